import Foundation
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// What the pre-screen says about a comment before peers see it.
public enum ScreenVerdict: Sendable, Equatable {
    /// Go on to peer review; `score` is the toxicity estimate (0 civil … 1 toxic), when one was made.
    case pass(score: Double?)
    /// A moderator looks first (a suspect word, a high toxicity score).
    case hold(score: Double?, reasons: [String])
    /// Not accepted at all; the author sees `message` and can change the comment.
    case refuse(code: String, message: String)
}

/// The author's recent writing, which the pre-screen needs for duplicate and pace checks.
public struct AuthorHistory: Sendable {
    public var recent: [(body: String, at: Timestamp)]
    public var lastCommentAt: Timestamp?
    public init(recent: [(body: String, at: Timestamp)], lastCommentAt: Timestamp?) {
        self.recent = recent
        self.lastCommentAt = lastCommentAt
    }
}

/// Checks a comment before review. `final` is false for the early check when the comment is written (cheap
/// rules) and true at submission, after the author's last edit (everything, toxicity included).
public protocol CommentScreen: Sendable {
    func screen(_ text: String, author: AuthorHistory, final: Bool, now: Timestamp) async -> ScreenVerdict
}
