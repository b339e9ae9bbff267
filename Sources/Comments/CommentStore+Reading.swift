import QuorumStore
import ReviewEngine
import SQLKit

/// The SQL of reading threads, reactions, flags and counts, of writing a draft, and of what moderators see.
extension CommentRows {
    /// One page of an article's published top-level comments in `sort` order, from just after the comment
    /// `after` (keyset), or at `offset` for the first few numbered pages; one more than `limit` tells there is a next.
    static func topLevel(articleID: Int64, sort: CommentSort, after: Int64?, offset: Int, limit: Int, on db: any SQLDatabase) async throws -> [Comment] {
        let visible = SQLBind(CommentStatus.published.rawValue)
        var query = select(db)
            .where(SQLColumn("article_id", table: "c"), .equal, SQLBind(articleID))
            .where(SQLColumn("status", table: "c"), .equal, visible)
            .where(SQLColumn("parent_id", table: "c"), .is, SQLLiteral.null)
        let key: [SQLColumn] = sort == .best
            ? [SQLColumn("best_rank", table: "c"), SQLColumn("published_at", table: "c"), SQLColumn("id", table: "c")]
            : [SQLColumn("published_at", table: "c"), SQLColumn("id", table: "c")]
        if let after {
            guard let row = try await db.select().columns("published_at", "best_rank").from("comments")
                .where("id", .equal, after).where("article_id", .equal, articleID).where("parent_id", .is, SQLLiteral.null)
                .where("published_at", .isNot, SQLLiteral.null).first()
            else { throw ThreadQueryError.unknownCursor }
            let publishedAt = try row.decode(column: "published_at", as: Int64.self)
            let values: [any SQLExpression] = sort == .best
                ? [SQLBind(try row.decode(column: "best_rank", as: Int64.self)), SQLBind(publishedAt), SQLBind(after)]
                : [SQLBind(publishedAt), SQLBind(after)]
            query = query.where(SQLBinaryExpression(SQLGroupExpression(key), sort == .newest ? .lessThan : .greaterThan, SQLGroupExpression(values)))
        }
        for column in key { query = query.orderBy(column, sort == .newest ? SQLDirection.descending : SQLDirection.ascending) }
        query = query.limit(limit)
        if after == nil, offset > 0 { query = query.offset(offset) }
        return try await query.all().map(decode)
    }

    /// The published replies to `parents`, oldest first (through the parent index).
    static func replies(to parents: [Int64], on db: any SQLDatabase) async throws -> [Comment] {
        guard !parents.isEmpty else { return [] }
        return try await select(db)
            .where(SQLColumn("parent_id", table: "c"), .in, SQLBind.group(parents))
            .where(SQLColumn("status", table: "c"), .equal, SQLBind(CommentStatus.published.rawValue))
            .orderBy(SQLColumn("published_at", table: "c")).orderBy(SQLColumn("id", table: "c")).all().map(decode)
    }

    /// Published comments on each article, from the counter the database keeps; articles without any are left out.
    static func publishedCounts(_ articleIDs: [Int64], on db: any SQLDatabase) async throws -> [Int64: Int] {
        guard !articleIDs.isEmpty else { return [:] }
        let rows = try await db.select().columns("article_id", "published").from("comment_counts")
            .where("article_id", .in, articleIDs).where("published", .greaterThan, 0).all()
        return try Dictionary(uniqueKeysWithValues: rows.map {
            (try $0.decode(column: "article_id", as: Int64.self), try $0.decode(column: "published", as: Int.self))
        })
    }

    /// The author's own comments on an article that others cannot see yet, newest first.
    static func unpublished(articleID: Int64, author: Int64, on db: any SQLDatabase) async throws -> [Comment] {
        try await select(db)
            .where(SQLColumn("article_id", table: "c"), .equal, SQLBind(articleID))
            .where(SQLColumn("author_id", table: "c"), .equal, SQLBind(author))
            .where(SQLColumn("status", table: "c"), .in, SQLBind.group([CommentStatus.draft, .pending, .withheld, .held, .rejected].map(\.rawValue)))
            .orderBy(SQLColumn("created_at", table: "c"), SQLDirection.descending).all().map(decode)
    }

    /// Records `user`'s recommendation once and returns the comment's count of them.
    static func recommend(_ commentID: Int64, by userID: Int64, now: Timestamp, on db: any SQLDatabase) async throws -> Int {
        try await db.insert(into: "comment_reactions").columns("comment_id", "user_id", "kind", "created_at")
            .values(SQLBind(commentID), SQLBind(userID), SQLBind("recommend"), SQLBind(now.milliseconds))
            .ignoringConflicts(with: ["comment_id", "user_id", "kind"]).run()
        let count = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("comment_reactions")
            .where("comment_id", .equal, commentID).where("kind", .equal, "recommend").first(decodingColumn: "n", as: Int.self) ?? 0
        try await db.update("comments").set("recommends", to: count).where("id", .equal, commentID).run()
        return count
    }

    /// Records `user`'s flag once (a second flag by the same reader changes nothing) and counts it as open.
    static func flag(_ commentID: Int64, by userID: Int64, reason: CommentFlagReason, note: String, now: Timestamp, on db: any SQLDatabase) async throws {
        let inserted = try await db.raw("""
            INSERT INTO comment_flags (comment_id, user_id, reason, note, created_at)
            VALUES (\(bind: commentID), \(bind: userID), \(bind: reason.rawValue), \(bind: String(note.prefix(500))), \(bind: now.milliseconds))
            ON CONFLICT (comment_id, user_id) DO NOTHING RETURNING id
            """).first()
        if inserted != nil {
            try await db.update("comments").set(SQLIdentifier("flags_open"), to: SQLBinaryExpression(SQLIdentifier("flags_open"), .add, SQLBind(1)))
                .where("id", .equal, commentID).run()
        }
    }

    /// Inserts a draft and returns its id.
    static func insertDraft(articleID: Int64, authorID: Int64, parentID: Int64?, body: String, reviewsRequired: Int, reviewsOptional: Int,
                            now: Timestamp, on db: any SQLDatabase) async throws -> Int64 {
        try await db.insert(into: "comments")
            .columns("article_id", "author_id", "parent_id", "body", "status", "created_at", "reviews_required", "reviews_optional")
            .values(SQLBind(articleID), SQLBind(authorID), SQLBind(parentID), SQLBind(body), SQLBind(CommentStatus.draft.rawValue),
                    SQLBind(now.milliseconds), SQLBind(reviewsRequired), SQLBind(reviewsOptional))
            .returning("id").first(decodingColumn: "id", as: Int64.self)!
    }

    /// What the author wrote since `since` (not deleted), newest first: the pre-screen's pace and duplicate checks.
    static func recentBodies(of authorID: Int64, since: Timestamp, limit: Int = 50, on db: any SQLDatabase) async throws -> [(body: String, at: Timestamp)] {
        let rows = try await db.select().columns("body", "created_at").from("comments").where("author_id", .equal, authorID)
            .where("created_at", .greaterThan, since.milliseconds).where("status", .notEqual, CommentStatus.deleted.rawValue)
            .orderBy("created_at", .descending).limit(limit).all()
        return try rows.map { (body: try $0.decode(column: "body", as: String.self), at: Timestamp(milliseconds: try $0.decode(column: "created_at", as: Int64.self))) }
    }

    /// Each comment's reviews as (civility, flags) pairs, for the moderators' summary.
    static func reviewVotes(of commentIDs: [Int64], on db: any SQLDatabase) async throws -> [(commentID: Int64, civil: Bool, flags: [String])] {
        guard !commentIDs.isEmpty else { return [] }
        return try await db.select().columns("comment_id", "civility", "flags").from("reviews").where("comment_id", .in, commentIDs).all().map { row in
            (commentID: try row.decode(column: "comment_id", as: Int64.self),
             civil: try row.decode(column: "civility", as: String.self) == CivilityVote.civil.rawValue,
             flags: try row.decode(column: "flags", as: String.self).split(separator: ",").map(String.init))
        }
    }
}
