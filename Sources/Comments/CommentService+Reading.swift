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
            let top = try await CommentRows.topLevel(
                articleID: articleID, sort: sort, after: after, offset: (page - 1) * Self.pageSize, limit: Self.pageSize + 1, on: db
            )
            let shown = Array(top.prefix(Self.pageSize))
            var replies: [Int64: [Comment]] = [:]
            for reply in try await CommentRows.replies(to: shown.map(\.id), on: db) { replies[reply.parentID!, default: []].append(reply) }
            let total = try await CommentRows.publishedCounts([articleID], on: db)[articleID] ?? 0
            let hasMore = top.count > Self.pageSize
            return Thread(comments: shown.map { ($0, replies[$0.id] ?? []) }, total: total, hasMore: hasMore,
                          nextAfter: hasMore ? shown.last?.id : nil)
        }
    }

    /// The author's own comments on an article that others cannot see yet ("waiting for review", held, rejected).
    public func unpublished(articleID: Int64, author: Int64) async throws -> [Comment] {
        try await database.read { db in try await CommentRows.unpublished(articleID: articleID, author: author, on: db) }
    }

    /// Recommends a published comment; recommending twice is a no-op. Returns the new count.
    @discardableResult
    public func recommend(commentID: Int64, user: User) async throws -> Int {
        let now = now()
        let (count, articleID) = try await database.transaction { db -> (Int, Int64) in
            guard let comment = try await CommentRows.find(commentID, on: db, lock: true), comment.status == .published else { throw CommentError.notFound }
            return (try await CommentRows.recommend(commentID, by: user.id, now: now, on: db), comment.articleID)
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
            try await CommentRows.flag(commentID, by: user.id, reason: reason, note: note, now: now, on: db)
        }
    }

    /// Published comment counts for articles, for listings and the counts API.
    public func counts(articleIDs: [Int64]) async throws -> [Int64: Int] {
        guard !articleIDs.isEmpty else { return [:] }
        return try await database.read { db in try await CommentRows.publishedCounts(articleIDs, on: db) }
    }
}
