import Hummingbird
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// What a reader or moderator is told when a comment action cannot be done.
public struct CommentError: AppError, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static let empty = CommentError(.badRequest, "empty", "Please write something before posting.")
    static func tooLong(_ limit: Int) -> CommentError {
        CommentError(.badRequest, "too_long", "Comments can be at most \(limit) characters long.")
    }
    static let notFound = CommentError(.notFound, "not_found", "There is no such comment.")
    static let articleNotFound = CommentError(.notFound, "not_found", "There is no such article.")
    static let closed = CommentError(.forbidden, "comments_closed", "Comments on this article are closed.")
    static let membersOnly = CommentError(.forbidden, "members_only", "Commenting on this site is for members.")
    static func banned(until: Timestamp?) -> CommentError {
        CommentError(.forbidden, "commenting_banned", until.map { "You may comment again after \(DateText.format($0))." }
            ?? "Your commenting rights have been revoked.")
    }
    static let suspended = CommentError(.forbidden, "suspended", "Your account is suspended, so you cannot comment or review.")
    static let notYours = CommentError(.forbidden, "not_yours", "This is not your comment.")
    static let replyToUnpublished = CommentError(.badRequest, "reply_unpublished", "You can only reply to a published comment.")
    static let wrongStep = CommentError(.conflict, "wrong_step", "This comment is not at that step any more.")
    static let ownComment = CommentError(.forbidden, "own_comment", "You cannot review your own comment.")
    static let reviewedTwice = CommentError(.conflict, "already_reviewed", "You have already reviewed this comment.")
    static let noTask = CommentError(.forbidden, "no_task", "This comment was not given to you to review. Reviews are handed out one at a time.")
    static let reviewBanned = CommentError(.forbidden, "review_banned", "You may not review comments for now.")
    static let invalidVote = CommentError(.badRequest, "invalid_vote", "Please answer both questions: is it a good comment, and is it civil?")
    static let invalidFlag = CommentError(.badRequest, "invalid_flag", "That is not a reason you can flag a comment for.")
    static let notModerator = CommentError(.forbidden, "forbidden", "Only moderators can do this.")
    static let needsReason = CommentError(.badRequest, "reason_required", "Please give a reason; the author will see it.")
    static func refused(_ code: String, _ message: String) -> CommentError { CommentError(.badRequest, code, message) }
}
