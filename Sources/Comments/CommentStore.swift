import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

/// The SQL behind comments: rows in and out, nothing about policy.
package enum CommentRows {
    static let columns = [
        "c.id", "c.article_id", "c.author_id", "c.parent_id", "c.body", "c.status", "c.self_rating", "c.prescreen_score",
        "c.prescreen_reasons", "c.created_at", "c.submitted_at", "c.decided_at", "c.published_at", "c.edited_at", "c.decided_by",
        "c.decision", "c.probability_uncivil", "c.moderation_reason", "c.audit_verdict", "c.is_pick", "c.recommends", "c.quality",
        "c.flags_open", "c.reviews_required", "c.reviews_optional",
    ]

    /// `SELECT … FROM comments c JOIN users u` with the author's display name.
    static func select(_ db: any SQLDatabase) -> SQLSelectBuilder {
        db.select()
            .columns(columns.map { SQLColumn(String($0.dropFirst(2)), table: "c") })
            .column(SQLColumn("display_name", table: "u"), as: "author_name")
            .from(SQLAlias(SQLIdentifier("comments"), as: SQLIdentifier("c")))
            .join(SQLAlias(SQLIdentifier("users"), as: SQLIdentifier("u")), method: SQLJoinMethod.inner,
                  on: SQLColumn("author_id", table: "c"), .equal, SQLColumn("id", table: "u"))
    }

    static func decode(_ row: any SQLRow) throws -> Comment {
        func ts(_ column: String) throws -> Timestamp? {
            try row.decode(column: column, as: Int64?.self).map(Timestamp.init(milliseconds:))
        }
        return Comment(
            id: try row.decode(column: "id", as: Int64.self),
            articleID: try row.decode(column: "article_id", as: Int64.self),
            authorID: try row.decode(column: "author_id", as: Int64.self),
            authorName: try row.decode(column: "author_name", as: String.self),
            parentID: try row.decode(column: "parent_id", as: Int64?.self),
            body: try row.decode(column: "body", as: String.self),
            status: CommentStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending,
            selfRating: try row.decode(column: "self_rating", as: String?.self).flatMap(CivilityVote.init(rawValue:)),
            preScreenScore: try row.decode(column: "prescreen_score", as: Double?.self),
            preScreenReasons: try row.decode(column: "prescreen_reasons", as: String?.self),
            createdAt: try ts("created_at")!,
            submittedAt: try ts("submitted_at"),
            decidedAt: try ts("decided_at"),
            publishedAt: try ts("published_at"),
            editedAt: try ts("edited_at"),
            decidedBy: try row.decode(column: "decided_by", as: String?.self).flatMap(DecidedBy.init(rawValue:)),
            decisionSummary: try row.decode(column: "decision", as: String?.self),
            probabilityUncivil: try row.decode(column: "probability_uncivil", as: Double?.self),
            moderationReason: try row.decode(column: "moderation_reason", as: String?.self),
            auditVerdict: try row.decode(column: "audit_verdict", as: String?.self).flatMap(CivilityVote.init(rawValue:)),
            isPick: try row.decode(column: "is_pick", as: Int.self) != 0,
            recommends: try row.decode(column: "recommends", as: Int.self),
            quality: try row.decode(column: "quality", as: Double.self),
            openFlags: try row.decode(column: "flags_open", as: Int.self),
            reviewsRequired: try row.decode(column: "reviews_required", as: Int.self),
            reviewsOptional: try row.decode(column: "reviews_optional", as: Int.self)
        )
    }

    static func find(_ id: Int64, on db: any SQLDatabase, lock: Bool = false) async throws -> Comment? {
        var query = select(db).where(SQLColumn("id", table: "c"), .equal, SQLBind(id))
        if lock, db.dialect.exclusiveSelectLockExpression != nil {
            // Serialises decisions on one comment: concurrent reviews wait here, then see each other's rows. Only
            // the comment's row (`OF c`), not its author's. SQLite has no row locks: its one writer serialises.
            query = query.lockingClause(SQLQueryString("FOR UPDATE OF c"))
        }
        return try await query.first().map(decode)
    }

    static func reviews(of commentID: Int64, on db: any SQLDatabase) async throws -> [Review] {
        try await db.select().columns("id", "comment_id", "reviewer_id", "civility", "quality", "flags", "created_at")
            .from("reviews").where("comment_id", .equal, commentID).where("is_audit", .equal, 0).orderBy("id").all().map(decodeReview)
    }

    static func decodeReview(_ row: any SQLRow) throws -> Review {
        Review(
            id: try row.decode(column: "id", as: Int64.self),
            commentID: try row.decode(column: "comment_id", as: Int64.self),
            reviewerID: try row.decode(column: "reviewer_id", as: Int64.self),
            civility: CivilityVote(rawValue: try row.decode(column: "civility", as: String.self)) ?? .civil,
            quality: try row.decode(column: "quality", as: String?.self).flatMap(QualityVote.init(rawValue:)),
            flags: try row.decode(column: "flags", as: String.self).split(separator: ",").compactMap { ReviewFlag(rawValue: String($0)) },
            submittedAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).date
        )
    }

    // MARK: Engine records, stored as JSON documents

    static func reviewerRecords(_ ids: [Int64], on db: any SQLDatabase) async throws -> [ReviewerRecord] {
        guard !ids.isEmpty else { return [] }
        let stored = try await db.select().columns("user_id", "record").from("reviewer_records")
            .where("user_id", .in, Array(Set(ids))).all()
        var records: [Int64: ReviewerRecord] = [:]
        for row in stored {
            let data = Data(try row.decode(column: "record", as: String.self).utf8)
            records[try row.decode(column: "user_id", as: Int64.self)] = try JSONDecoder().decode(ReviewerRecord.self, from: data)
        }
        return Set(ids).sorted().map { records[$0] ?? ReviewerRecord(reviewerID: $0) }
    }

    static func reviewerRecord(_ id: Int64, on db: any SQLDatabase) async throws -> ReviewerRecord {
        try await reviewerRecords([id], on: db)[0]
    }

    package static func save(_ record: ReviewerRecord, now: Timestamp, on db: any SQLDatabase) async throws {
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        try await db.insert(into: "reviewer_records").columns("user_id", "record", "updated_at")
            .values(SQLBind(record.reviewerID), SQLBind(json), SQLBind(now.milliseconds))
            .onConflict(with: ["user_id"]) { $0.set(excludedValueOf: "record").set(excludedValueOf: "updated_at") }
            .run()
    }

    static func authorRecord(_ id: Int64, on db: any SQLDatabase) async throws -> AuthorRecord {
        guard let json = try await db.select().column("record").from("author_records").where("user_id", .equal, id)
            .first(decodingColumn: "record", as: String.self)
        else { return AuthorRecord(authorID: id) }
        return try JSONDecoder().decode(AuthorRecord.self, from: Data(json.utf8))
    }

    static func save(_ record: AuthorRecord, now: Timestamp, on db: any SQLDatabase) async throws {
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        let bannedUntil = record.commentingBannedUntil.map { Timestamp($0).milliseconds }
        try await db.insert(into: "author_records")
            .columns("user_id", "record", "commenting_banned_until", "commenting_revoked", "updated_at")
            .values(SQLBind(record.authorID), SQLBind(json), SQLBind(bannedUntil), SQLBind(record.commentingRevoked ? 1 : 0), SQLBind(now.milliseconds))
            .onConflict(with: ["user_id"]) {
                $0.set(excludedValueOf: "record").set(excludedValueOf: "commenting_banned_until")
                    .set(excludedValueOf: "commenting_revoked").set(excludedValueOf: "updated_at")
            }
            .run()
    }
}
