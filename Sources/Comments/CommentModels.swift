import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

import ReviewEngine

/// Where a comment is in its life.
public enum CommentStatus: String, Sendable, Codable, CaseIterable {
    /// Written; its author is reviewing others' comments and has not rated their own yet. Only the author sees it.
    case draft
    /// Submitted and waiting for peers. Only its author sees it ("waiting for review").
    case pending
    /// Visible to everyone.
    case published
    /// Peers found it uncivil, could not agree, or it waited too long: a moderator decides.
    case withheld
    /// The pre-screen held it (a suspect word, a high toxicity score): a moderator decides.
    case held
    /// A moderator rejected it. Its author was told why and may edit and resubmit.
    case rejected
    /// Its author deleted it.
    case deleted
}

/// Who or what settled a comment.
public enum DecidedBy: String, Sendable, Codable {
    case peers, trusted, timeout, prescreen, moderator
}

public struct Comment: Sendable, Equatable {
    public var id: Int64
    public var articleID: Int64
    public var authorID: Int64
    public var authorName: String
    public var parentID: Int64?
    public var body: String
    public var status: CommentStatus
    public var selfRating: CivilityVote?
    public var preScreenScore: Double?
    public var preScreenReasons: String?
    public var createdAt: Timestamp
    public var submittedAt: Timestamp?
    public var decidedAt: Timestamp?
    public var publishedAt: Timestamp?
    public var editedAt: Timestamp?
    public var decidedBy: DecidedBy?
    /// The engine's explanation of its last decision, as a reader-facing summary.
    public var decisionSummary: String?
    public var probabilityUncivil: Double?
    public var moderationReason: String?
    public var auditVerdict: CivilityVote?
    public var isPick: Bool
    public var recommends: Int
    public var quality: Double
    public var openFlags: Int
    public var reviewsRequired: Int
    /// Extra reviews offered to the writer, which they may do or skip (many comments were waiting).
    public var reviewsOptional: Int

    /// The engine's view of the comment.
    var underReview: CommentUnderReview {
        CommentUnderReview(
            id: id, authorID: authorID, articleID: articleID, submittedAt: (submittedAt ?? createdAt).date,
            preScreenScore: preScreenScore, selfRating: selfRating
        )
    }
}

/// One comment to review, as the reviewer sees it: the author's name hidden.
public struct ReviewTask: Sendable, Equatable {
    public var id: Int64
    public var commentID: Int64
    public var body: String
    public var articleHeadline: String
    public var articleSlug: String
    public var isAudit: Bool
    /// Which of the reviewer's required reviews this is (1-based), and how many there are.
    public var position: Int
    public var required: Int
    /// One of the extra reviews the writer chose to do after the required ones.
    public var isOptional = false
}

/// What a reader can flag.
public enum CommentFlagReason: String, Sendable, CaseIterable {
    case attack, harassment, threat, spam, doxxing, misinformation

    public var label: String {
        switch self {
        case .attack: "Personal attack"
        case .harassment: "Harassment"
        case .threat: "Threat"
        case .spam: "Spam"
        case .doxxing: "Personal information (doxxing)"
        case .misinformation: "Mis- or disinformation"
        }
    }

    var reviewFlag: ReviewFlag {
        switch self {
        case .attack: .personalAttack
        case .harassment: .harassment
        case .threat: .threat
        case .spam: .spam
        case .doxxing: .doxxing
        case .misinformation: .misinformation
        }
    }
}

/// How a thread is ordered.
public enum CommentSort: String, Sendable, CaseIterable {
    case newest, oldest, best
}
