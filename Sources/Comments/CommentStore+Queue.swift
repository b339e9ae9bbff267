import QuorumStore
import ReviewEngine
import SQLKit

/// The SQL of review tasks and reviews: the queue the engine picks from, tasks handed out, reviews recorded.
extension CommentRows {
    /// Comments waiting for peer review that `reader` did not write, and since when the oldest waits.
    static func waitingQueue(excluding reader: Int64, on db: any SQLDatabase) async throws -> (count: Int, oldest: Timestamp?) {
        let row = try await db.select()
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .column(SQLFunction("MIN", args: SQLColumn("submitted_at")), as: "oldest")
            .from("comments").where("status", .equal, CommentStatus.pending.rawValue).where("author_id", .notEqual, reader)
            .first()
        let count = try row?.decode(column: "n", as: Int.self) ?? 0
        let oldest = try row?.decode(column: "oldest", as: Int64?.self).map(Timestamp.init(milliseconds:))
        return (count, oldest)
    }

    static func doneCount(reviewer: Int64, forComment draftID: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("review_tasks")
            .where("reviewer_id", .equal, reviewer).where("for_comment_id", .equal, draftID)
            .where("done_at", .isNot, SQLLiteral.null).first(decodingColumn: "n", as: Int.self) ?? 0
    }

    /// What the engine may hand `reviewerID`: pending comments and trusted authors' recent publications (not
    /// their own), known-answer audits, and the reviewer's last few tasks.
    static func queue(for reviewerID: Int64, now: Timestamp, on db: any SQLDatabase) async throws
        -> (candidates: [QueueCandidate], audits: [AuditCandidate], recentPicks: [QueuePick])
    {
        let recentTrusted = now.adding(seconds: -2 * 86_400).milliseconds
        let rows = try await db.select()
            .columns("id", "author_id", "article_id", "submitted_at", "created_at", "status", "reviews_still_needed")
            .from("comments")
            .where { $0.where("status", .equal, CommentStatus.pending.rawValue)
                .orWhere { $0.where("status", .equal, CommentStatus.published.rawValue).where("decided_by", .equal, DecidedBy.trusted.rawValue)
                    .where("published_at", .greaterThan, recentTrusted) } }
            .where("author_id", .notEqual, reviewerID)
            .orderBy("submitted_at").limit(300).all()
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        let reviewers = try await Self.reviewerIDs(of: ids, on: db)
        let published = try await Self.publishedCounts(authors: try rows.map { try $0.decode(column: "author_id", as: Int64.self) }, on: db)
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
            .where("audit_verdict", .isNot, SQLLiteral.null).where("author_id", .notEqual, reviewerID)
            .orderBy("id", .descending).limit(200).all()
        let auditIDs = try auditRows.map { try $0.decode(column: "id", as: Int64.self) }
        let auditReviewers = try await Self.reviewerIDs(of: auditIDs, on: db, includingAudits: true)
        let audits = try auditRows.compactMap { row -> AuditCandidate? in
            let id = try row.decode(column: "id", as: Int64.self)
            guard let verdict = CivilityVote(rawValue: try row.decode(column: "audit_verdict", as: String.self)) else { return nil }
            return AuditCandidate(commentID: id, authorID: try row.decode(column: "author_id", as: Int64.self),
                                  articleID: try row.decode(column: "article_id", as: Int64.self), verdict: verdict,
                                  reviewerIDs: auditReviewers[id] ?? [])
        }
        // The reviewer's last three tasks with their comments' authors and articles, in one query.
        let recent = try await db.select()
            .column(SQLColumn("comment_id", table: "t")).column(SQLColumn("is_audit", table: "t")).column(SQLColumn("reason", table: "t"))
            .column(SQLColumn("author_id", table: "c")).column(SQLColumn("article_id", table: "c"))
            .from(SQLAlias(SQLIdentifier("review_tasks"), as: SQLIdentifier("t")))
            .join(SQLAlias(SQLIdentifier("comments"), as: SQLIdentifier("c")), method: SQLJoinMethod.inner,
                  on: SQLColumn("comment_id", table: "t"), .equal, SQLColumn("id", table: "c"))
            .where(SQLColumn("reviewer_id", table: "t"), .equal, SQLBind(reviewerID))
            .orderBy(SQLColumn("id", table: "t"), SQLDirection.descending).limit(3).all()
        let recentPicks = try recent.map { row in
            QueuePick(commentID: try row.decode(column: "comment_id", as: Int64.self), authorID: try row.decode(column: "author_id", as: Int64.self),
                      articleID: try row.decode(column: "article_id", as: Int64.self),
                      isAudit: try row.decode(column: "is_audit", as: Int.self) != 0,
                      anonymiseAuthor: true, reason: try row.decode(column: "reason", as: String.self))
        }
        return (candidates, audits, recentPicks)
    }

    static func reviewerIDs(of commentIDs: [Int64], on db: any SQLDatabase, includingAudits: Bool = false) async throws -> [Int64: [Int64]] {
        guard !commentIDs.isEmpty else { return [:] }
        var result: [Int64: [Int64]] = [:]
        // Given and handed-out both exclude a comment from being picked for the same reviewer again.
        let rows = try await db.select().columns("comment_id", "reviewer_id").from("reviews").where("comment_id", .in, commentIDs)
            .union(all: { $0.columns("comment_id", "reviewer_id").from("review_tasks").where("comment_id", .in, commentIDs) })
            .all()
        for row in rows {
            result[try row.decode(column: "comment_id", as: Int64.self), default: []].append(try row.decode(column: "reviewer_id", as: Int64.self))
        }
        return result
    }

    static func publishedCounts(authors: [Int64], on db: any SQLDatabase) async throws -> [Int64: Int] {
        guard !authors.isEmpty else { return [:] }
        let rows = try await db.select().column("author_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("comments")
            .where("author_id", .in, Array(Set(authors))).where("status", .equal, CommentStatus.published.rawValue)
            .groupBy("author_id").all()
        return try Dictionary(uniqueKeysWithValues: rows.map {
            (try $0.decode(column: "author_id", as: Int64.self), try $0.decode(column: "n", as: Int.self))
        })
    }

    static func insertTask(reviewer: Int64, pick: QueuePick, forComment draftID: Int64?, now: Timestamp, on db: any SQLDatabase) async throws {
        try await db.insert(into: "review_tasks")
            .columns("reviewer_id", "comment_id", "for_comment_id", "is_audit", "anonymise", "reason", "created_at")
            .values(SQLBind(reviewer), SQLBind(pick.commentID), SQLBind(draftID), SQLBind(pick.isAudit ? 1 : 0),
                    SQLBind(pick.anonymiseAuthor ? 1 : 0), SQLBind(pick.reason), SQLBind(now.milliseconds))
            .run()
    }

    /// A writer's required reviews, when fewer were possible than asked.
    static func setReviewsRequired(_ draftID: Int64, _ count: Int, on db: any SQLDatabase) async throws {
        try await db.update("comments").set("reviews_required", to: count).where("id", .equal, draftID).run()
    }

    /// Task `id` if it was handed to `reviewer`: what it is for and whether it is done.
    static func task(_ id: Int64, of reviewer: Int64, on db: any SQLDatabase) async throws -> (commentID: Int64, isAudit: Bool, done: Bool)? {
        guard let row = try await db.select().columns("comment_id", "is_audit", "done_at").from("review_tasks")
            .where("id", .equal, id).where("reviewer_id", .equal, reviewer).first()
        else { return nil }
        return (try row.decode(column: "comment_id", as: Int64.self), try row.decode(column: "is_audit", as: Int.self) != 0,
                try row.decode(column: "done_at", as: Int64?.self) != nil)
    }

    static func hasReviewed(_ commentID: Int64, reviewer: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.select().column("id").from("reviews").where("comment_id", .equal, commentID)
            .where("reviewer_id", .equal, reviewer).first() != nil
    }

    static func insertReview(of commentID: Int64, by reviewer: Int64, civility: CivilityVote, quality: QualityVote, flags: [ReviewFlag],
                             isAudit: Bool, now: Timestamp, on db: any SQLDatabase) async throws -> Int64 {
        try await db.insert(into: "reviews")
            .columns("comment_id", "reviewer_id", "civility", "quality", "flags", "is_audit", "created_at")
            .values(SQLBind(commentID), SQLBind(reviewer), SQLBind(civility.rawValue), SQLBind(quality.rawValue),
                    SQLBind(flags.map(\.rawValue).joined(separator: ",")), SQLBind(isAudit ? 1 : 0), SQLBind(now.milliseconds))
            .returning("id").first(decodingColumn: "id", as: Int64.self)!
    }

    static func completeTask(_ id: Int64, now: Timestamp, on db: any SQLDatabase) async throws {
        try await db.update("review_tasks").set("done_at", to: now.milliseconds).where("id", .equal, id).run()
    }

    /// The reviewer's oldest open task (for a draft, or voluntary when `draftID` is nil) with the comment's text.
    static func openTask(reviewer: Int64, forComment draftID: Int64?, on db: any SQLDatabase) async throws
        -> (id: Int64, commentID: Int64, isAudit: Bool, body: String, articleID: Int64)?
    {
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
        return (try row.decode(column: "id", as: Int64.self), try row.decode(column: "comment_id", as: Int64.self),
                try row.decode(column: "is_audit", as: Int.self) != 0, try row.decode(column: "body", as: String.self),
                try row.decode(column: "article_id", as: Int64.self))
    }

    static func reviewsRequired(of draftID: Int64, on db: any SQLDatabase) async throws -> Int? {
        try await db.select().column("reviews_required").from("comments")
            .where("id", .equal, draftID).first(decodingColumn: "reviews_required", as: Int.self)
    }
}
