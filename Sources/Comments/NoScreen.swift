import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

/// Accepts everything: for sites that turn the pre-screen off.
public struct NoScreen: CommentScreen {
    public init() {}
    public func screen(_ text: String, author: AuthorHistory, final: Bool, now: Timestamp) async -> ScreenVerdict { .pass(score: nil) }
}
