import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

extension CommentService {
    public static let pageSize = 20

    /// One page of a thread: top-level published comments in `sort` order, each with its published replies
    /// (oldest first). `hasMore` says whether another page exists; `nextAfter` is then the cursor for it.
    public struct Thread: Sendable {
        public var comments: [(comment: Comment, replies: [Comment])]
        public var total: Int
        public var hasMore: Bool
        /// The last comment shown, when there is more: `after` for the next page.
        public var nextAfter: Int64? = nil
    }

    /// A page of the thread, read from the thread indexes whatever its depth: the page after top-level comment
    /// `after` (keyset: no rows are skipped, so every page costs the same, and comments published meanwhile
    /// neither repeat nor hide others), or page `page` of the first few (see ``ThreadQuery/maximumPage``).
    /// Past the end, the page is empty. An `after` that is not a top-level comment of this article that was
    /// published is ``ThreadQueryError``.
    public func thread(articleID: Int64, sort: CommentSort, page: Int = 1, after: Int64? = nil) async throws -> Thread {
        let page = max(1, page)
        return try await database.expensiveRead { db in
            let visible = SQLBind(CommentStatus.published.rawValue)
            var query = CommentRows.select(db)
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
            query = query.limit(Self.pageSize + 1)
            if after == nil, page > 1 { query = query.offset((page - 1) * Self.pageSize) }
            let top = try await query.all().map(CommentRows.decode)
            let shown = Array(top.prefix(Self.pageSize))
            var replies: [Int64: [Comment]] = [:]
            if !shown.isEmpty {
                let rows = try await CommentRows.select(db)
                    .where(SQLColumn("parent_id", table: "c"), .in, SQLBind.group(shown.map(\.id)))
                    .where(SQLColumn("status", table: "c"), .equal, visible)
                    .orderBy(SQLColumn("published_at", table: "c")).orderBy(SQLColumn("id", table: "c")).all().map(CommentRows.decode)
                for reply in rows { replies[reply.parentID!, default: []].append(reply) }
            }
            let total = try await db.select().column("published").from("comment_counts").where("article_id", .equal, articleID)
                .first(decodingColumn: "published", as: Int.self) ?? 0
            let hasMore = top.count > Self.pageSize
            return Thread(comments: shown.map { ($0, replies[$0.id] ?? []) }, total: total, hasMore: hasMore,
                          nextAfter: hasMore ? shown.last?.id : nil)
        }
    }

    /// The author's own comments on an article that others cannot see yet ("waiting for review", held, rejected).
    public func unpublished(articleID: Int64, author: Int64) async throws -> [Comment] {
        try await database.read { db in
            try await CommentRows.select(db)
                .where(SQLColumn("article_id", table: "c"), .equal, SQLBind(articleID))
                .where(SQLColumn("author_id", table: "c"), .equal, SQLBind(author))
                .where(SQLColumn("status", table: "c"), .in, SQLBind.group([CommentStatus.draft, .pending, .withheld, .held, .rejected].map(\.rawValue)))
                .orderBy(SQLColumn("created_at", table: "c"), SQLDirection.descending).all().map(CommentRows.decode)
        }
    }

    /// Recommends a published comment; recommending twice is a no-op. Returns the new count.
    @discardableResult
    public func recommend(commentID: Int64, user: User) async throws -> Int {
        let now = now()
        let (count, articleID) = try await database.transaction { db -> (Int, Int64) in
            guard let comment = try await CommentRows.find(commentID, on: db, lock: true), comment.status == .published else { throw CommentError.notFound }
            try await db.insert(into: "comment_reactions").columns("comment_id", "user_id", "kind", "created_at")
                .values(SQLBind(commentID), SQLBind(user.id), SQLBind("recommend"), SQLBind(now.milliseconds))
                .ignoringConflicts(with: ["comment_id", "user_id", "kind"]).run()
            let count = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("comment_reactions")
                .where("comment_id", .equal, commentID).where("kind", .equal, "recommend").first(decodingColumn: "n", as: Int.self) ?? 0
            try await db.update("comments").set("recommends", to: count).where("id", .equal, commentID).run()
            return (count, comment.articleID)
        }
        await announce(CommentChange(articleID: articleID, commentID: commentID, status: .published))
        return count
    }

    /// A reader flags a published comment; it goes to the moderators' "flagged" queue. One flag per reader.
    public func flag(commentID: Int64, user: User, reason: CommentFlagReason, note: String) async throws {
        let now = now()
        try await site.limiter.hit(.init("comment-flag", count: 30, per: 3600), key: String(user.id), now: now)
        try await database.transaction { db in
            guard let comment = try await CommentRows.find(commentID, on: db, lock: true), comment.status == .published else { throw CommentError.notFound }
            guard comment.authorID != user.id else { throw CommentError.refused("own_comment", "You cannot flag your own comment.") }
            let inserted = try await db.raw("""
                INSERT INTO comment_flags (comment_id, user_id, reason, note, created_at)
                VALUES (\(bind: commentID), \(bind: user.id), \(bind: reason.rawValue), \(bind: String(note.prefix(500))), \(bind: now.milliseconds))
                ON CONFLICT (comment_id, user_id) DO NOTHING RETURNING id
                """).first()
            if inserted != nil {
                try await db.update("comments").set(SQLIdentifier("flags_open"), to: SQLBinaryExpression(SQLIdentifier("flags_open"), .add, SQLBind(1)))
                    .where("id", .equal, commentID).run()
            }
        }
    }

    /// Published comment counts for articles, for listings and the counts API.
    public func counts(articleIDs: [Int64]) async throws -> [Int64: Int] {
        guard !articleIDs.isEmpty else { return [:] }
        return try await database.read { db in
            let rows = try await db.select().columns("article_id", "published").from("comment_counts")
                .where("article_id", .in, articleIDs).where("published", .greaterThan, 0).all()
            return try Dictionary(uniqueKeysWithValues: rows.map {
                (try $0.decode(column: "article_id", as: Int64.self), try $0.decode(column: "published", as: Int.self))
            })
        }
    }
}
