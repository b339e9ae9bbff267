import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

extension CommentService {
    // MARK: 2. Review others

    /// The reviewer's current task while writing `draftID`: the open one, or a new pick from the engine.
    /// Nil when the reviewer has done what is required, or nothing is left to review (a quiet site).
    ///
    /// `extra`: the writer chose to do one of the optional reviews they were offered (``optionalReviewsLeft``);
    /// without it, an optional review left open does not hold up the rest of the flow.
    public func currentTask(reviewer: User, forComment draftID: Int64, extra: Bool = false) async throws -> ReviewTask? {
        let engine = try await engine()
        let now = now()
        return try await database.transaction { db in
            guard let draft = try await CommentRows.find(draftID, on: db) else { throw CommentError.notFound }
            guard draft.authorID == reviewer.id else { throw CommentError.notYours }
            guard draft.status == .draft else { throw CommentError.wrongStep }
            let done = try await CommentRows.doneCount(reviewer: reviewer.id, forComment: draftID, on: db)
            let progress = TaskProgress(done: done, required: draft.reviewsRequired)
            if let open = try await self.openTask(reviewer: reviewer.id, forComment: draftID, progress: progress, on: db),
               extra || done < draft.reviewsRequired
            {
                return open
            }
            guard done < draft.reviewsRequired + (extra ? draft.reviewsOptional : 0) else { return nil }
            let record = try await CommentRows.reviewerRecord(reviewer.id, on: db)
            if record.isBanned(at: now.date) { return nil }
            guard let pick = try await self.pick(for: record, engine: engine, now: now, on: db) else {
                // Nothing to review: the requirement shrinks to what was possible.
                if done < draft.reviewsRequired {
                    try await CommentRows.setReviewsRequired(draftID, done, on: db)
                }
                return nil
            }
            try await CommentRows.insertTask(reviewer: reviewer.id, pick: pick, forComment: draftID, now: now, on: db)
            return try await self.openTask(reviewer: reviewer.id, forComment: draftID, progress: progress, on: db)
        }
    }

    /// Whether the writer of `draft` must still review before submitting it: a required review is open, or one
    /// could be handed out now. Read-only (the route asks before showing the rate step, `submit` before taking
    /// the rating); a writer with nothing left to review owes nothing, as ``currentTask`` then agrees.
    public func owesReviews(_ draft: Comment, writer: User) async throws -> Bool {
        let engine = try await engine()
        return try await database.read { db in try await self.owesReviews(draft, writer: writer, engine: engine, on: db) }
    }

    func owesReviews(_ draft: Comment, writer: User, engine: Engine, on db: any SQLDatabase) async throws -> Bool {
        guard draft.status == .draft else { return false }
        let now = now()
        let done = try await CommentRows.doneCount(reviewer: writer.id, forComment: draft.id, on: db)
        guard done < draft.reviewsRequired else { return false }
        if try await CommentRows.openTask(reviewer: writer.id, forComment: draft.id, on: db) != nil { return true }
        let record = try await CommentRows.reviewerRecord(writer.id, on: db)
        if record.isBanned(at: now.date) { return false }
        return try await pick(for: record, engine: engine, now: now, on: db) != nil
    }

    /// How many optional reviews the writer of `draftID` may still do, and how many comments are waiting for a
    /// review. Offered on the last step; zero once the writer has done them or nothing waits.
    public func optionalReviewsLeft(reviewer: User, forComment draftID: Int64) async throws -> (left: Int, waiting: Int) {
        try await database.read { db in
            guard let draft = try await CommentRows.find(draftID, on: db) else { throw CommentError.notFound }
            guard draft.authorID == reviewer.id else { throw CommentError.notYours }
            guard draft.status == .draft, draft.reviewsOptional > 0 else { return (0, 0) }
            let done = try await CommentRows.doneCount(reviewer: reviewer.id, forComment: draftID, on: db)
            let left = draft.reviewsRequired + draft.reviewsOptional - done
            guard done >= draft.reviewsRequired, left > 0 else { return (0, 0) }
            let waiting = try await CommentRows.waitingQueue(excluding: reviewer.id, on: db).count
            return waiting > 0 ? (left, waiting) : (0, 0)
        }
    }

    /// A task outside the posting flow, for readers who review because they choose to (trusted commenters).
    public func voluntaryTask(reviewer: User) async throws -> ReviewTask? {
        let engine = try await engine()
        let now = now()
        return try await database.transaction { db in
            if let open = try await self.openTask(reviewer: reviewer.id, forComment: nil, progress: nil, on: db) { return open }
            let record = try await CommentRows.reviewerRecord(reviewer.id, on: db)
            guard !record.isBanned(at: now.date), let pick = try await self.pick(for: record, engine: engine, now: now, on: db) else { return nil }
            try await CommentRows.insertTask(reviewer: reviewer.id, pick: pick, forComment: nil, now: now, on: db)
            return try await self.openTask(reviewer: reviewer.id, forComment: nil, progress: nil, on: db)
        }
    }

    /// How far a writer is with the reviews for their draft (voluntary tasks: none of this).
    struct TaskProgress {
        var done: Int
        var required: Int
    }

    func openTask(reviewer: Int64, forComment draftID: Int64?, progress: TaskProgress?, on db: any SQLDatabase) async throws -> ReviewTask? {
        guard let task = try await CommentRows.openTask(reviewer: reviewer, forComment: draftID, on: db) else { return nil }
        let article = try await articles.article(id: task.articleID, on: db)
        let done = progress?.done ?? 0
        let required = progress?.required ?? 1
        return ReviewTask(
            id: task.id, commentID: task.commentID, body: task.body, articleHeadline: article?.headline ?? "",
            articleSlug: article?.slug ?? "", isAudit: task.isAudit,
            position: done + 1, required: max(required, done + 1), isOptional: progress != nil && done >= required
        )
    }

    /// Asks the engine which comment to hand out, from pending comments, recent trusted publications and audits.
    func pick(for record: ReviewerRecord, engine: Engine, now: Timestamp, on db: any SQLDatabase) async throws -> QueuePick? {
        let queue = try await CommentRows.queue(for: record.reviewerID, now: now, on: db)
        // Tasks handed out and not done yet also count as taken by this reviewer.
        return engine.pick(for: record, candidates: queue.candidates, audits: queue.audits, recentPicks: queue.recentPicks, now: now.date,
                           entropy: UInt64.random(in: .min ... .max), auditSpending: try await auditSpending(now: now, on: db))
    }

    public struct ReviewInput: Sendable {
        public var civility: CivilityVote
        public var quality: QualityVote
        public var flags: [CommentFlagReason]
        public init(civility: CivilityVote, quality: QualityVote, flags: [CommentFlagReason] = []) {
            self.civility = civility
            self.quality = quality
            self.flags = flags
        }
    }

    /// Records `reviewer`'s review for task `taskID` and lets the engine decide the reviewed comment again.
    /// Reviews arriving at once on one comment queue on its row lock, so each counts exactly once.
    public func review(taskID: Int64, reviewer: User, _ input: ReviewInput) async throws {
        guard reviewer.status.effective(at: now()).kind == .active else { throw CommentError.suspended }
        let engine = try await engine()
        let now = now()
        let changed = try await database.transaction { db -> CommentChange? in
            guard let task = try await CommentRows.task(taskID, of: reviewer.id, on: db) else { throw CommentError.noTask }
            guard !task.done else { throw CommentError.reviewedTwice }
            let commentID = task.commentID, isAudit = task.isAudit
            guard let comment = try await CommentRows.find(commentID, on: db, lock: true) else { throw CommentError.notFound }
            guard comment.authorID != reviewer.id else { throw CommentError.ownComment }
            if try await CommentRows.hasReviewed(commentID, reviewer: reviewer.id, on: db) { throw CommentError.reviewedTwice }
            var record = try await CommentRows.reviewerRecord(reviewer.id, on: db)
            if record.isBanned(at: now.date) { throw CommentError.reviewBanned }
            let reviewID = try await CommentRows.insertReview(
                of: commentID, by: reviewer.id, civility: input.civility, quality: input.quality, flags: input.flags.map(\.reviewFlag),
                isAudit: isAudit, now: now, on: db
            )
            try await CommentRows.completeTask(taskID, now: now, on: db)
            record = engine.recordReviewGiven(by: record)
            if isAudit, let verdict = comment.auditVerdict {
                let review = Review(id: reviewID, commentID: commentID, reviewerID: reviewer.id, civility: input.civility,
                                    quality: input.quality, flags: input.flags.map(\.reviewFlag), submittedAt: now.date)
                let update = engine.grade(audit: review, verdict: verdict, reviewer: record, now: now.date)
                try await CommentRows.save(update.record, now: now, on: db)
                try await self.apply(update.sanctions, now: now, on: db)
                return nil
            }
            try await CommentRows.save(record, now: now, on: db)
            guard comment.status == .pending || (comment.status == .published && comment.decidedBy == .trusted) else { return nil }
            return try await self.announced(try await self.decide(comment, engine: engine, now: now, on: db), on: db)
        }
        if let changed { await announce(changed) }
    }
}
