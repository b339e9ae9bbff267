import Logging
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// Scores how toxic a comment's text is: 0 = civil … 1 = toxic.
///
/// The pre-screen calls one scorer per comment. Quorum ships `LocalToxicityScorer` (offline, built in)
/// and `PerspectiveScorer` (optional, HTTP); `FallbackToxicityScorer` puts the second in front of the first.
public protocol ToxicityScorer: Sendable {
    func score(_ text: String) async throws -> Double
}

/// Asks `primary` and, when it throws (timeout, outage, bad key), answers with `fallback` instead.
///
/// The usual pairing is `FallbackToxicityScorer(primary: PerspectiveScorer(…), fallback: LocalToxicityScorer())`,
/// so a Perspective outage never blocks commenting.
public struct FallbackToxicityScorer: ToxicityScorer {
    public let primary: any ToxicityScorer
    public let fallback: any ToxicityScorer
    public let logger: Logger?

    public init(primary: any ToxicityScorer, fallback: any ToxicityScorer, logger: Logger? = nil) {
        self.primary = primary
        self.fallback = fallback
        self.logger = logger
    }

    public func score(_ text: String) async throws -> Double {
        do {
            return try await primary.score(text)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger?.warning("toxicity scorer failed, using the fallback", metadata: ["error": "\(error)"])
            return try await fallback.score(text)
        }
    }
}
