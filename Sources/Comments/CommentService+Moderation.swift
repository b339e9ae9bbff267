import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

extension CommentService {
    /// What a moderator can do to a comment.
    public enum ModerationAction: Sendable, Equatable {
        /// Publish it: peers or the pre-screen were wrong, or a flag was unfounded.
        case approve
        /// Reject as uncivil: the author is told why, and Daily Maverick's ladder applies (a week's commenting
        /// ban, then commenting revoked).
        case rejectUncivil(reason: String)
        /// Reject for another reason (off-topic, duplicate, legal): the author is told why; no sanction.
        case reject(reason: String)
        /// An editor's pick: shown first under "best" and marked.
        case feature(Bool)
        /// Use this comment as a known-answer audit for reviewers.
        case markAudit(CivilityVote?)
        /// Dismiss readers' flags on a published comment without changing it.
        case dismissFlags

        /// The action a moderation form or API request names, or a 400 saying which names exist.
        public static func named(_ name: String, reason: String) throws -> ModerationAction {
            switch name {
            case "approve": .approve
            case "reject": .reject(reason: reason)
            case "reject_uncivil": .rejectUncivil(reason: reason)
            case "feature": .feature(true)
            case "unfeature": .feature(false)
            case "audit_civil": .markAudit(.civil)
            case "audit_uncivil": .markAudit(.uncivil)
            case "audit_none": .markAudit(nil)
            case "dismiss": .dismissFlags
            default: throw CommentError.refused("invalid_action", "Unknown moderation action '\(name)'.")
            }
        }
    }

    public func moderate(commentID: Int64, moderator: User, _ action: ModerationAction) async throws {
        let isPick: Bool
        if case .feature = action { isPick = true } else { isPick = false }
        // Editors choose picks; everything else is a moderator's call.
        guard moderator.has(.moderator) || moderator.has(.admin) || (moderator.has(.editor) && isPick) else { throw CommentError.notModerator }
        let engine = try await engine()
        let now = now()
        let change = try await database.transaction { db -> CommentChange? in
            guard let comment = try await CommentRows.find(commentID, on: db, lock: true) else { throw CommentError.notFound }
            let subject = "comment:\(commentID)"
            switch action {
            case .approve:
                try await self.moderatorStep(comment, verdict: .civil, engine: engine, now: now, on: db)
                try await CommentRows.recordModeration(commentID, moderatorID: moderator.id, reason: nil, now: now, on: db)
                try await AuditLog.record(actor: moderator.id, action: "comment.approve", subject: subject, now: now, on: db)
                return CommentChange(articleID: comment.articleID, commentID: commentID, status: .published)
            case .rejectUncivil(let reason), .reject(let reason):
                let uncivil: Bool
                if case .rejectUncivil = action { uncivil = true } else { uncivil = false }
                let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { throw CommentError.needsReason }
                try await self.moderatorStep(comment, verdict: uncivil ? .uncivil : nil, engine: engine, now: now, on: db)
                try await CommentRows.recordModeration(commentID, moderatorID: moderator.id, reason: trimmed, now: now, on: db)
                try await self.tellAuthorOfRejection(comment, reason: trimmed, now: now, on: db)
                try await AuditLog.record(actor: moderator.id, action: uncivil ? "comment.reject_uncivil" : "comment.reject",
                                          subject: subject, reason: trimmed, now: now, on: db)
                return CommentChange(articleID: comment.articleID, commentID: commentID, status: .rejected, mail: true)
            case .feature(let on):
                try await CommentRows.setPick(commentID, on, on: db)
                try await AuditLog.record(actor: moderator.id, action: on ? "comment.feature" : "comment.unfeature", subject: subject, now: now, on: db)
                return CommentChange(articleID: comment.articleID, commentID: commentID, status: comment.status)
            case .markAudit(let verdict):
                try await CommentRows.setAuditVerdict(commentID, verdict, on: db)
                try await AuditLog.record(actor: moderator.id, action: "comment.audit", subject: subject, details: verdict?.rawValue ?? "none", now: now, on: db)
                return nil
            case .dismissFlags:
                try await CommentRows.resolveFlags(of: commentID, now: now, on: db)
                try await AuditLog.record(actor: moderator.id, action: "comment.dismiss_flags", subject: subject, now: now, on: db)
                return nil
            }
        }
        if let change { await announce(change) }
    }

    /// A moderator's verdict through the one lifecycle: the status, and (for a verdict on civility) the truth
    /// reviewers are judged against and the author's record. Status and decider are written even when the stage
    /// stays (a moderator re-deciding), as before.
    func moderatorStep(_ comment: Comment, verdict: CivilityVote?, engine: Engine, now: Timestamp, on db: any SQLDatabase) async throws {
        let records = try await lifecycleRecords(comment, on: db)
        let effects = engine.lifecycle(comment.stage, event: .moderated(verdict), submittedAt: comment.underReview.submittedAt,
                                       records: records, now: now.date)
        if !effects.stageChanged { try await setStatus(comment.id, effects.stage.status, by: .moderator, now: now, on: db) }
        _ = try await apply(effects, to: comment, now: now, on: db)
    }

    func tellAuthorOfRejection(_ comment: Comment, reason: String, now: Timestamp, on db: any SQLDatabase) async throws {
        guard let author = try await UserRows.find(where: "id", equals: comment.authorID, on: db) else { return }
        let link = SiteURL.commentRate(comment.id).absolute(site.configuration.siteBase)
        try await Outbox.enqueue(try site.pages.email("comment-rejected", kind: "comment-rejected", to: author.email, [
            "name": author.displayName, "excerpt": String(comment.body.prefix(500)), "reason": reason, "link": link,
        ]), on: db, now: now)
    }

    /// Lifts a commenting ban or restores revoked commenting (a moderator overriding the automatic ladder).
    public func restoreCommenting(userID: Int64, moderator: User, reason: String) async throws {
        guard moderator.has(.moderator) || moderator.has(.admin) else { throw CommentError.notModerator }
        let now = now()
        try await database.transaction { db in
            var record = try await CommentRows.authorRecord(userID, on: db)
            record.commentingBannedUntil = nil
            record.commentingRevoked = false
            try await CommentRows.save(record, now: now, on: db)
            try await AuditLog.record(actor: moderator.id, action: "comment.restore_commenting", subject: "user:\(userID)", reason: reason, now: now, on: db)
        }
    }

    /// The moderation queues.
    public enum Queue: String, Sendable, CaseIterable {
        case withheld, timedOut = "timed-out", held, flagged, rejected

        public var title: String {
            switch self {
            case .withheld: "Withheld by peers"
            case .timedOut: "Timed out"
            case .held: "Held by the pre-screen"
            case .flagged: "Flagged after publishing"
            case .rejected: "Rejected"
            }
        }
    }

    public func queue(_ queue: Queue, articleID: Int64? = nil, limit: Int = 100) async throws -> [Comment] {
        try await database.read { db in
            var query = CommentRows.select(db)
            switch queue {
            case .withheld:
                query = query.where(SQLColumn("status", table: "c"), .equal, SQLBind(CommentStatus.withheld.rawValue))
                    .where(SQLColumn("decided_by", table: "c"), .equal, SQLBind(DecidedBy.peers.rawValue))
            case .timedOut:
                query = query.where(SQLColumn("status", table: "c"), .equal, SQLBind(CommentStatus.withheld.rawValue))
                    .where(SQLColumn("decided_by", table: "c"), .equal, SQLBind(DecidedBy.timeout.rawValue))
            case .held:
                query = query.where(SQLColumn("status", table: "c"), .equal, SQLBind(CommentStatus.held.rawValue))
            case .flagged:
                query = query.where(SQLColumn("status", table: "c"), .equal, SQLBind(CommentStatus.published.rawValue))
                    .where(SQLColumn("flags_open", table: "c"), .greaterThan, SQLBind(0))
            case .rejected:
                query = query.where(SQLColumn("status", table: "c"), .equal, SQLBind(CommentStatus.rejected.rawValue))
            }
            if let articleID { query = query.where(SQLColumn("article_id", table: "c"), .equal, SQLBind(articleID)) }
            return try await query.orderBy(SQLColumn("submitted_at", table: "c")).limit(limit).all().map(CommentRows.decode)
        }
    }

    public func queueCounts() async throws -> [Queue: Int] {
        var counts: [Queue: Int] = [:]
        for queue in Queue.allCases where queue != .rejected { counts[queue] = try await self.queue(queue, limit: 1000).count }
        return counts
    }
}
