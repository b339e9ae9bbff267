import Foundation
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

/// The server's side of the one comment lifecycle (`Engine.lifecycle`): where a stored comment stands, and
/// how the effects the engine returns are written, in the caller's transaction.
extension Comment {
    /// The lifecycle stage a stored status (and who decided it) stands for.
    var stage: CommentStage {
        switch status {
        case .draft, .pending: .pending
        case .published: decidedBy == .trusted ? .publishedUnderReview : (decidedBy == .moderator ? .approved : .published)
        case .withheld, .held: .withheld
        case .rejected, .deleted: .rejected
        }
    }
}

extension CommentStage {
    /// The status readers and moderators see for a stage.
    var status: CommentStatus {
        switch self {
        case .pending: .pending
        case .publishedUnderReview, .published, .approved: .published
        case .withheld: .withheld
        case .rejected: .rejected
        }
    }
}

extension CommentService {
    /// The records a decision and settlement of `comment` read, as they are in this transaction: its reviews,
    /// its reviewers' records (the author's own among them), the author's record (`author` when the caller read
    /// it in this transaction already).
    func lifecycleRecords(_ comment: Comment, author: AuthorRecord? = nil, on db: any SQLDatabase) async throws -> LifecycleRecords {
        let reviews = try await CommentRows.reviews(of: comment.id, on: db)
        // The author's own reviewer record too (a default one if they never reviewed: it grants trust the same way).
        let records = try await CommentRows.reviewerRecords(reviews.map(\.reviewerID) + [comment.authorID], on: db)
        let authorRecord: AuthorRecord
        if let author { authorRecord = author } else { authorRecord = try await CommentRows.authorRecord(comment.authorID, on: db) }
        return LifecycleRecords(reviews: reviews, reviewers: records, author: authorRecord,
                                authorAsReviewer: records.first { $0.reviewerID == comment.authorID })
    }

    /// Writes one lifecycle step: the status (and who decided), then the reviewers' records and sanctions, then
    /// the author's. Returns the change readers should hear about, if what they see changed.
    func apply(_ effects: LifecycleEffects, to comment: Comment, now: Timestamp, on db: any SQLDatabase) async throws -> CommentChange? {
        if effects.stageChanged, let source = effects.decidedBy {
            let by = DecidedBy(rawValue: source.rawValue) ?? .peers
            if effects.from == .publishedUnderReview && effects.stage == .published {
                // Settled after publication: it leaves the review queue; when readers first saw it stays as it was.
                try await CommentRows.setDecidedBy(comment.id, by, on: db)
            } else {
                try await setStatus(comment.id, effects.stage.status, by: by, now: now, on: db)
            }
        }
        if let settlement = effects.settlement {
            if case .moderatorVerdict(let verdict) = settlement.outcome {
                try await CommentRows.setModeratorVerdict(comment.id, verdict, on: db)
            }
            for update in settlement.reliability {
                try await CommentRows.save(update.record, now: now, on: db)
                try await apply(update.sanctions, now: now, on: db)
            }
            try await CommentRows.save(settlement.author.record, now: now, on: db)
            try await apply(settlement.author.sanctions, now: now, on: db)
        }
        guard effects.stage.status != comment.status else { return nil }
        return CommentChange(articleID: comment.articleID, commentID: comment.id, status: effects.stage.status)
    }
}

extension CommentService {
    /// Audits and reviews over the last 30 days, which the queue keeps audits under
    /// `Settings.maximumAuditShare` of.
    func auditSpending(now: Timestamp, on db: any SQLDatabase) async throws -> AuditSpending {
        let since = now.adding(seconds: -30 * 86_400)
        let counts = try await CommentRows.reviewCounts(since: since, on: db)
        return AuditSpending(audits: counts.audits, reviews: counts.reviews)
    }
}
