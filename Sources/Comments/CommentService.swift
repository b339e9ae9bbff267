import Foundation
import Logging
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

/// The comment flow: write, review three others, rate your own, peers decide, moderators finish.
///
/// Policy lives in `ReviewEngine` (pure); this service loads what the engine needs from the store, calls it,
/// and saves and applies what it returns, each step in one transaction.
public struct CommentService: Sendable {
    public let site: Site
    let bus: any InvalidationBus
    /// Where comments learn about the article they belong to (Publishing provides it).
    let articles: any ArticleDirectory
    let screen: any CommentScreen
    let events: CommentEvents
    let now: @Sendable () -> Timestamp
    let logger: Logger
    /// The comment settings rows, kept by this instance until one changes (on any instance).
    let settingsCache: CommentSettingsCache

    /// Reviews asked of a writer when the engine's settings are unavailable (its default).
    public static let requiredReviews = 3
    public static let defaultMaximumLength = 3000

    public init(
        site: Site, bus: any InvalidationBus, articles: any ArticleDirectory, screen: any CommentScreen, events: CommentEvents,
        now: @escaping @Sendable () -> Timestamp
    ) {
        self.site = site
        self.bus = bus
        self.articles = articles
        let settingsCache = CommentSettingsCache(database: site.database, bus: bus)
        self.settingsCache = settingsCache
        if var sitePreScreen = screen as? SitePreScreen {
            // The site's pre-screen reads its settings from the same kept rows.
            sitePreScreen.cache = settingsCache
            self.screen = sitePreScreen
        } else {
            self.screen = screen
        }
        self.events = events
        self.now = now
        self.logger = site.logger
    }

    var database: Database { site.database }

    // MARK: Settings

    /// The review engine with the site's settings and its learned model. A stored row that cannot be read is
    /// left out (its defaults stand in): it was reported at start-up and is shown on the settings page.
    func engine() async throws -> Engine {
        try await settingsCache.snapshot().engine
    }

    public func saveEngineSettings(_ settings: ReviewEngine.Settings) async throws {
        try await site.settings.set("review_engine_settings", String(decoding: try JSONEncoder().encode(settings), as: UTF8.self))
        await settingsChanged()
    }

    /// Tells every instance that comment settings rows changed (they are kept until then). Whatever writes
    /// one of them calls it after its transaction committed.
    public func settingsChanged() async {
        await settingsCache.changed()
    }

    public struct SiteRules: Sendable {
        public var membersOnly: Bool
        public var closeAfterDays: Int?
        public var maximumLength: Int
    }

    public func rules() async throws -> SiteRules {
        try await settingsCache.snapshot().rules
    }

    // MARK: Who may comment

    /// The published article `id`, or nil: comments belong to published articles only.
    func article(_ id: Int64, on db: any SQLDatabase) async throws -> ArticleSummary? {
        try await articles.article(id: id, on: db).flatMap { $0.isPublished ? $0 : nil }
    }

    public func article(slug: String) async throws -> ArticleSummary? {
        try await database.read { db in try await articles.article(slug: slug, on: db).flatMap { $0.isPublished ? $0 : nil } }
    }

    /// The slug of a comment's article, whatever the article's state (for links back to it).
    public func slug(ofArticle id: Int64) async throws -> String? {
        try await database.read { db in try await articles.article(id: id, on: db)?.slug }
    }

    /// Whether comments on `article` are open now (per article, and the site's automatic closing).
    public func isOpen(_ article: ArticleSummary, rules: SiteRules) -> Bool {
        guard article.commentsOpen else { return false }
        if let days = rules.closeAfterDays, let published = article.publishedAt,
           now() > published.adding(seconds: Double(days) * 86_400)
        {
            return false
        }
        return true
    }

    /// Throws the reason `user` may not comment now, if there is one.
    public func checkMayComment(_ user: User, rules: SiteRules) async throws {
        let record = try await database.read { db in try await CommentRows.authorRecord(user.id, on: db) }
        try checkMayComment(user, rules: rules, record: record)
    }

    /// ``checkMayComment(_:rules:)`` with the author's record already loaded.
    func checkMayComment(_ user: User, rules: SiteRules, record: AuthorRecord) throws {
        let status = user.status.effective(at: now())
        guard status.kind == .active else { throw CommentError.suspended }
        if rules.membersOnly && !(user.has(.member) || user.has(.moderator) || user.has(.editor) || user.has(.admin)) {
            throw CommentError.membersOnly
        }
        if record.commentingRevoked { throw CommentError.banned(until: nil) }
        if let until = record.commentingBannedUntil, until > now().date { throw CommentError.banned(until: Timestamp(until)) }
    }

    // MARK: 1. Write

    /// Creates the comment as a draft, after the cheap pre-screen rules. The author then reviews others.
    /// One transaction: the author's records and recent comments, the queue and the article are read in it.
    public func write(articleID: Int64, author: User, body raw: String, parentID: Int64? = nil) async throws -> Comment {
        let settings = try await settingsCache.snapshot()
        let rules = settings.rules, engine = settings.engine
        let body = Self.normalise(raw)
        guard !body.isEmpty else { throw CommentError.empty }
        guard body.count <= rules.maximumLength else { throw CommentError.tooLong(rules.maximumLength) }
        let now = now()
        return try await database.transaction { db -> Comment in
            try self.checkMayComment(author, rules: rules, record: try await CommentRows.authorRecord(author.id, on: db))
            let history = try await self.history(of: author.id, on: db)
            // The cheap rules only (no scorer): nothing here waits on anything but this transaction.
            if case .refuse(let code, let message) = await self.screen.screen(body, author: history, final: false, now: now) {
                throw CommentError.refused(code, message)
            }
            guard let article = try await self.article(articleID, on: db) else { throw CommentError.articleNotFound }
            guard self.isOpen(article, rules: rules) else { throw CommentError.closed }
            if let parentID {
                guard let parent = try await CommentRows.find(parentID, on: db), parent.articleID == articleID, parent.status == .published
                else { throw CommentError.replyToUnpublished }
            }
            let record = try await CommentRows.reviewerRecord(author.id, on: db)
            let queue = try await CommentRows.waitingQueue(excluding: author.id, on: db)
            let asked = engine.reviewsToAsk(of: record, waiting: queue.count, oldestWaitingSince: queue.oldest?.date, now: now.date)
            let id = try await CommentRows.insertDraft(
                articleID: articleID, authorID: author.id, parentID: parentID, body: body,
                reviewsRequired: asked.required, reviewsOptional: asked.optional, now: now, on: db
            )
            guard let comment = try await CommentRows.find(id, on: db) else { throw CommentError.notFound }
            return comment
        }
    }

    /// Trims, unifies line endings and drops control characters other than newlines and tabs.
    static func normalise(_ text: String) -> String {
        let unified = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let cleaned = String(String.UnicodeScalarView(unified.unicodeScalars.filter { scalar in
            scalar == "\n" || scalar == "\t" || !(CharacterSet.controlCharacters.contains(scalar))
        }))
        return cleaned.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func history(of authorID: Int64, on db: any SQLDatabase) async throws -> AuthorHistory {
        let since = now().adding(seconds: -86_400)
        let recent = try await CommentRows.recentBodies(of: authorID, since: since, on: db)
        return AuthorHistory(recent: recent, lastCommentAt: recent.first?.at)
    }

    public func comment(_ id: Int64) async throws -> Comment? {
        try await database.read { db in try await CommentRows.find(id, on: db) }
    }

    /// A comment that `user` wrote, or an error naming why not.
    public func own(_ id: Int64, by user: User) async throws -> Comment {
        guard let comment = try await comment(id) else { throw CommentError.notFound }
        guard comment.authorID == user.id else { throw CommentError.notYours }
        return comment
    }
}
