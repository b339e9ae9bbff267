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
        let draft = try await own(draftID, by: reviewer)
        guard draft.status == .draft else { throw CommentError.wrongStep }
        let engine = try await engine()
        let now = now()
        return try await database.transaction { db in
            let done = try await self.doneCount(reviewer: reviewer.id, forComment: draftID, on: db)
            if let open = try await self.openTask(reviewer: reviewer.id, forComment: draftID, on: db), extra || done < draft.reviewsRequired {
                return open
            }
            guard done < draft.reviewsRequired + (extra ? draft.reviewsOptional : 0) else { return nil }
            let record = try await CommentRows.reviewerRecord(reviewer.id, on: db)
            if record.isBanned(at: now.date) { return nil }
            guard let pick = try await self.pick(for: record, engine: engine, now: now, on: db) else {
                // Nothing to review: the requirement shrinks to what was possible.
                if done < draft.reviewsRequired {
                    try await db.update("comments").set("reviews_required", to: done).where("id", .equal, draftID).run()
                }
                return nil
            }
            try await db.insert(into: "review_tasks")
                .columns("reviewer_id", "comment_id", "for_comment_id", "is_audit", "anonymise", "reason", "created_at")
                .values(SQLBind(reviewer.id), SQLBind(pick.commentID), SQLBind(draftID), SQLBind(pick.isAudit ? 1 : 0),
                        SQLBind(pick.anonymiseAuthor ? 1 : 0), SQLBind(pick.reason), SQLBind(now.milliseconds))
                .run()
            return try await self.openTask(reviewer: reviewer.id, forComment: draftID, on: db)
        }
    }

    /// Whether the writer of `draft` must still review before submitting it: a required review is open, or one
    /// could be handed out now. Read-only (the route asks before showing the rate step, `submit` before taking
    /// the rating); a writer with nothing left to review owes nothing, as ``currentTask`` then agrees.
    public func owesReviews(_ draft: Comment, writer: User) async throws -> Bool {
        guard draft.status == .draft else { return false }
        let engine = try await engine()
        let now = now()
        return try await database.read { db in
            let done = try await self.doneCount(reviewer: writer.id, forComment: draft.id, on: db)
            guard done < draft.reviewsRequired else { return false }
            if try await self.openTask(reviewer: writer.id, forComment: draft.id, on: db) != nil { return true }
            let record = try await CommentRows.reviewerRecord(writer.id, on: db)
            if record.isBanned(at: now.date) { return false }
            return try await self.pick(for: record, engine: engine, now: now, on: db) != nil
        }
    }

    /// How many optional reviews the writer of `draftID` may still do, and how many comments are waiting for a
    /// review. Offered on the last step; zero once the writer has done them or nothing waits.
    public func optionalReviewsLeft(reviewer: User, forComment draftID: Int64) async throws -> (left: Int, waiting: Int) {
        let draft = try await own(draftID, by: reviewer)
        guard draft.status == .draft, draft.reviewsOptional > 0 else { return (0, 0) }
        return try await database.read { db in
            let done = try await self.doneCount(reviewer: reviewer.id, forComment: draftID, on: db)
            let left = draft.reviewsRequired + draft.reviewsOptional - done
            guard done >= draft.reviewsRequired, left > 0 else { return (0, 0) }
            let waiting = try await self.waitingQueue(excluding: reviewer.id, on: db).count
            return waiting > 0 ? (left, waiting) : (0, 0)
        }
    }

    /// Comments waiting for peer review that `reader` did not write, and since when the oldest waits.
    func waitingQueue(excluding reader: Int64, on db: any SQLDatabase) async throws -> (count: Int, oldest: Timestamp?) {
        let row = try await db.select()
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .column(SQLFunction("MIN", args: SQLColumn("submitted_at")), as: "oldest")
            .from("comments").where("status", .equal, CommentStatus.pending.rawValue).where("author_id", .notEqual, reader)
            .first()
        let count = try row?.decode(column: "n", as: Int.self) ?? 0
        let oldest = try row?.decode(column: "oldest", as: Int64?.self).map(Timestamp.init(milliseconds:))
        return (count, oldest)
    }

    /// A task outside the posting flow, for readers who review because they choose to (trusted commenters).
    public func voluntaryTask(reviewer: User) async throws -> ReviewTask? {
        let engine = try await engine()
        let now = now()
        return try await database.transaction { db in
            if let open = try await self.openTask(reviewer: reviewer.id, forComment: nil, on: db) { return open }
            let record = try await CommentRows.reviewerRecord(reviewer.id, on: db)
            guard !record.isBanned(at: now.date), let pick = try await self.pick(for: record, engine: engine, now: now, on: db) else { return nil }
            try await db.insert(into: "review_tasks")
                .columns("reviewer_id", "comment_id", "is_audit", "anonymise", "reason", "created_at")
                .values(SQLBind(reviewer.id), SQLBind(pick.commentID), SQLBind(pick.isAudit ? 1 : 0),
                        SQLBind(pick.anonymiseAuthor ? 1 : 0), SQLBind(pick.reason), SQLBind(now.milliseconds))
                .run()
            return try await self.openTask(reviewer: reviewer.id, forComment: nil, on: db)
        }
    }

    func openTask(reviewer: Int64, forComment draftID: Int64?, on db: any SQLDatabase) async throws -> ReviewTask? {
        var query = db.select()
            .columns(SQLColumn("id", table: "t"), SQLColumn("comment_id", table: "t"), SQLColumn("is_audit", table: "t"))
            .column(SQLColumn("body", table: "c"))
            .column(SQLColumn("article_id", table: "c"))
            .from(SQLAlias(SQLIdentifier("review_tasks"), as: SQLIdentifier("t")))
            .join(SQLAlias(SQLIdentifier("comments"), as: SQLIdentifier("c")), method: SQLJoinMethod.inner,
                  on: SQLColumn("comment_id", table: "t"), .equal, SQLColumn("id", table: "c"))
            .where(SQLColumn("reviewer_id", table: "t"), .equal, SQLBind(reviewer))
            .where(SQLColumn("done_at", table: "t"), .is, SQLLiteral.null)
        if let draftID {
            query = query.where(SQLColumn("for_comment_id", table: "t"), .equal, SQLBind(draftID))
        } else {
            query = query.where(SQLColumn("for_comment_id", table: "t"), .is, SQLLiteral.null)
        }
        guard let row = try await query.orderBy(SQLColumn("id", table: "t")).first() else { return nil }
        let article = try await articles.article(id: try row.decode(column: "article_id", as: Int64.self), on: db)
        let done = draftID == nil ? 0 : try await doneCount(reviewer: reviewer, forComment: draftID!, on: db)
        let required = draftID == nil ? 1 : (try await db.select().column("reviews_required").from("comments")
            .where("id", .equal, draftID!).first(decodingColumn: "reviews_required", as: Int.self) ?? Self.requiredReviews)
        return ReviewTask(
            id: try row.decode(column: "id", as: Int64.self), commentID: try row.decode(column: "comment_id", as: Int64.self),
            body: try row.decode(column: "body", as: String.self), articleHeadline: article?.headline ?? "",
            articleSlug: article?.slug ?? "", isAudit: try row.decode(column: "is_audit", as: Int.self) != 0,
            position: done + 1, required: max(required, done + 1), isOptional: draftID != nil && done >= required
        )
    }

    func doneCount(reviewer: Int64, forComment draftID: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("review_tasks")
            .where("reviewer_id", .equal, reviewer).where("for_comment_id", .equal, draftID)
            .where("done_at", .isNot, SQLLiteral.null).first(decodingColumn: "n", as: Int.self) ?? 0
    }

    /// Asks the engine which comment to hand out, from pending comments, recent trusted publications and audits.
    func pick(for record: ReviewerRecord, engine: Engine, now: Timestamp, on db: any SQLDatabase) async throws -> QueuePick? {
        let recentTrusted = now.adding(seconds: -2 * 86_400).milliseconds
        let rows = try await db.select()
            .columns("id", "author_id", "article_id", "submitted_at", "created_at", "status", "reviews_still_needed")
            .from("comments")
            .where { $0.where("status", .equal, CommentStatus.pending.rawValue)
                .orWhere { $0.where("status", .equal, CommentStatus.published.rawValue).where("decided_by", .equal, DecidedBy.trusted.rawValue)
                    .where("published_at", .greaterThan, recentTrusted) } }
            .where("author_id", .notEqual, record.reviewerID)
            .orderBy("submitted_at").limit(300).all()
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        let reviewers = try await reviewerIDs(of: ids, on: db)
        let published = try await publishedCounts(authors: try rows.map { try $0.decode(column: "author_id", as: Int64.self) }, on: db)
        let candidates = try rows.map { row -> QueueCandidate in
            let id = try row.decode(column: "id", as: Int64.self)
            let author = try row.decode(column: "author_id", as: Int64.self)
            return QueueCandidate(
                commentID: id, authorID: author, articleID: try row.decode(column: "article_id", as: Int64.self),
                submittedAt: Timestamp(milliseconds: try row.decode(column: "submitted_at", as: Int64?.self)
                    ?? row.decode(column: "created_at", as: Int64.self)).date,
                reviewerIDs: reviewers[id] ?? [],
                reviewsStillNeeded: try row.decode(column: "reviews_still_needed", as: Double?.self) ?? 3,
                alreadyPublished: try row.decode(column: "status", as: String.self) == CommentStatus.published.rawValue,
                authorPublished: published[author] ?? 0
            )
        }
        let auditRows = try await db.select().columns("id", "author_id", "article_id", "audit_verdict").from("comments")
            .where("audit_verdict", .isNot, SQLLiteral.null).where("author_id", .notEqual, record.reviewerID)
            .orderBy("id", .descending).limit(200).all()
        let auditIDs = try auditRows.map { try $0.decode(column: "id", as: Int64.self) }
        let auditReviewers = try await reviewerIDs(of: auditIDs, on: db, includingAudits: true)
        let audits = try auditRows.compactMap { row -> AuditCandidate? in
            let id = try row.decode(column: "id", as: Int64.self)
            guard let verdict = CivilityVote(rawValue: try row.decode(column: "audit_verdict", as: String.self)) else { return nil }
            return AuditCandidate(commentID: id, authorID: try row.decode(column: "author_id", as: Int64.self),
                                  articleID: try row.decode(column: "article_id", as: Int64.self), verdict: verdict,
                                  reviewerIDs: auditReviewers[id] ?? [])
        }
        let recent = try await db.select().columns("comment_id", "is_audit", "anonymise", "reason").from("review_tasks")
            .where("reviewer_id", .equal, record.reviewerID).orderBy("id", .descending).limit(3).all()
        var recentPicks: [QueuePick] = []
        for row in recent {
            let id = try row.decode(column: "comment_id", as: Int64.self)
            if let c = try await CommentRows.find(id, on: db) {
                recentPicks.append(QueuePick(commentID: id, authorID: c.authorID, articleID: c.articleID,
                                             isAudit: try row.decode(column: "is_audit", as: Int.self) != 0,
                                             anonymiseAuthor: true, reason: try row.decode(column: "reason", as: String.self)))
            }
        }
        // Tasks handed out and not done yet also count as taken by this reviewer.
        return engine.pick(for: record, candidates: candidates, audits: audits, recentPicks: recentPicks, now: now.date,
                           entropy: UInt64.random(in: .min ... .max))
    }

    func reviewerIDs(of commentIDs: [Int64], on db: any SQLDatabase, includingAudits: Bool = false) async throws -> [Int64: [Int64]] {
        guard !commentIDs.isEmpty else { return [:] }
        var result: [Int64: [Int64]] = [:]
        // Given and handed-out both exclude a comment from being picked for the same reviewer again.
        let given = try await db.select().columns("comment_id", "reviewer_id").from("reviews").where("comment_id", .in, commentIDs).all()
        let handed = try await db.select().columns("comment_id", "reviewer_id").from("review_tasks").where("comment_id", .in, commentIDs).all()
        for row in given + handed {
            result[try row.decode(column: "comment_id", as: Int64.self), default: []].append(try row.decode(column: "reviewer_id", as: Int64.self))
        }
        return result
    }

    func publishedCounts(authors: [Int64], on db: any SQLDatabase) async throws -> [Int64: Int] {
        guard !authors.isEmpty else { return [:] }
        let rows = try await db.select().column("author_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("comments")
            .where("author_id", .in, Array(Set(authors))).where("status", .equal, CommentStatus.published.rawValue)
            .groupBy("author_id").all()
        return try Dictionary(uniqueKeysWithValues: rows.map {
            (try $0.decode(column: "author_id", as: Int64.self), try $0.decode(column: "n", as: Int.self))
        })
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
            guard let task = try await db.select().columns("comment_id", "is_audit", "done_at").from("review_tasks")
                .where("id", .equal, taskID).where("reviewer_id", .equal, reviewer.id).first()
            else { throw CommentError.noTask }
            guard try task.decode(column: "done_at", as: Int64?.self) == nil else { throw CommentError.reviewedTwice }
            let commentID = try task.decode(column: "comment_id", as: Int64.self)
            let isAudit = try task.decode(column: "is_audit", as: Int.self) != 0
            guard let comment = try await CommentRows.find(commentID, on: db, lock: true) else { throw CommentError.notFound }
            guard comment.authorID != reviewer.id else { throw CommentError.ownComment }
            if try await db.select().column("id").from("reviews").where("comment_id", .equal, commentID)
                .where("reviewer_id", .equal, reviewer.id).first() != nil { throw CommentError.reviewedTwice }
            var record = try await CommentRows.reviewerRecord(reviewer.id, on: db)
            if record.isBanned(at: now.date) { throw CommentError.reviewBanned }
            let reviewID = try await db.insert(into: "reviews")
                .columns("comment_id", "reviewer_id", "civility", "quality", "flags", "is_audit", "created_at")
                .values(SQLBind(commentID), SQLBind(reviewer.id), SQLBind(input.civility.rawValue), SQLBind(input.quality.rawValue),
                        SQLBind(input.flags.map(\.reviewFlag.rawValue).joined(separator: ",")), SQLBind(isAudit ? 1 : 0), SQLBind(now.milliseconds))
                .returning("id").first(decodingColumn: "id", as: Int64.self)!
            try await db.update("review_tasks").set("done_at", to: now.milliseconds).where("id", .equal, taskID).run()
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
            return try await self.decide(comment, engine: engine, now: now, on: db)
        }
        if let changed { await announce(changed) }
    }
}
