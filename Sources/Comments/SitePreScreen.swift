import Foundation
import Logging
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// The site's pre-screen: `PreScreen` with the settings an admin saved (`prescreen_settings`, JSON) and the
/// configured toxicity scorer. If the scorer fails, the rules still apply and the comment goes to peers.
public struct SitePreScreen: CommentScreen {
    let settings: SettingsStore
    let scorer: any ToxicityScorer
    let logger: Logger
    /// The kept comment settings rows, once the comment service uses this pre-screen (else read per comment).
    var cache: CommentSettingsCache?

    public init(settings: SettingsStore, scorer: any ToxicityScorer = LocalToxicityScorer(), logger: Logger) {
        self.settings = settings
        self.scorer = scorer
        self.logger = logger
    }

    func loadSettings() async -> PreScreenSettings {
        if let cache, let snapshot = try? await cache.snapshot() { return snapshot.preScreen }
        let rows = CommentSettingsRows.self
        guard let json = try? await settings.get(rows.preScreen),
              case .success(let decoded?) = rows.decode(PreScreenSettings.self, json, key: rows.preScreen)
        else { return .default }
        return decoded
    }

    public func screen(_ text: String, author: AuthorHistory, final: Bool, now: Timestamp) async -> ScreenVerdict {
        let preScreen = PreScreen(settings: await loadSettings(), scorer: scorer)
        let history = PreScreenAuthor(
            recentComments: author.recent.map { PreScreenAuthor.PastComment(text: $0.body, postedAt: $0.at.date) },
            lastCommentAt: author.lastCommentAt?.date
        )
        if !final {
            if case .refuse(let refusal) = preScreen.checkRules(text, author: history, now: now.date) {
                return .refuse(code: refusal.code.rawValue, message: refusal.message)
            }
            return .pass(score: nil)
        }
        do {
            switch try await preScreen.screen(text, author: history, now: now.date) {
            case .pass(let score): return .pass(score: score)
            case .hold(let reasons, let score): return .hold(score: score, reasons: reasons.map(\.description))
            case .refuse(let refusal): return .refuse(code: refusal.code.rawValue, message: refusal.message)
            }
        } catch {
            logger.warning("toxicity scorer failed; screening by rules only", metadata: ["error": "\(String(describing: error))"])
            if case .refuse(let refusal) = preScreen.checkRules(text, author: history, now: now.date) {
                return .refuse(code: refusal.code.rawValue, message: refusal.message)
            }
            return .pass(score: nil)
        }
    }
}

extension SitePreScreen {
    /// The pre-screen as the site's configuration asks: a Perspective-compatible scorer when one is configured
    /// (falling back to the built-in one when it fails), else the built-in local scorer.
    public static func configured(site: Site) -> SitePreScreen {
        let scorer: any ToxicityScorer = site.configuration.perspective.map {
            FallbackToxicityScorer(
                primary: PerspectiveScorer(apiKey: $0.apiKey, endpoint: $0.endpoint), fallback: LocalToxicityScorer(), logger: site.logger
            )
        } ?? LocalToxicityScorer()
        return SitePreScreen(settings: site.settings, scorer: scorer, logger: site.logger)
    }
}
