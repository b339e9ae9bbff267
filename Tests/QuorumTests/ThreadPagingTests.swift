import Foundation
import HTTPTypes
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumStore
@testable import QuorumWeb

/// Threads read page after page with a cursor (`after`): every comment exactly once in every sort, also while
/// new ones are published between pages; the walk ends with an empty page and no `next`; counts come from the
/// counter the database keeps.
@Suite("Thread paging")
struct ThreadPagingTests {
    struct Seeded: Sendable {
        var id: Int64
        var publishedAt: Int64
        var pick: Bool
        var quality: Double
        var recommends: Int
    }

    /// Inserts published top-level comments (several share a publication time, so ties go to the id).
    static func seed(_ count: Int, on f: CommentFixture, from start: Int64, author: User) async throws -> [Seeded] {
        try await f.test.database.transaction { db in
            var seeded: [Seeded] = []
            for i in 0..<count {
                let at = start + Int64(i / 3) * 1000
                let pick = i % 17 == 5
                let quality = Double((i * 7) % 11) / 10 - 0.3
                let recommends = (i * 5) % 4
                let id = try await db.insert(into: "comments")
                    .columns("article_id", "author_id", "body", "status", "created_at", "submitted_at", "published_at", "decided_by",
                             "is_pick", "quality", "recommends")
                    .values(SQLBind(f.article.id), SQLBind(author.id), SQLBind("Comment \(start)-\(i)."), SQLBind("published"), SQLBind(at),
                            SQLBind(at), SQLBind(at), SQLBind("peers"), SQLBind(pick ? 1 : 0), SQLBind(quality), SQLBind(recommends))
                    .returning("id").first(decodingColumn: "id", as: Int64.self)!
                seeded.append(Seeded(id: id, publishedAt: at, pick: pick, quality: quality, recommends: recommends))
            }
            return seeded
        }
    }

    static func expected(_ all: [Seeded], _ sort: CommentSort) -> [Int64] {
        switch sort {
        case .oldest: all.sorted { ($0.publishedAt, $0.id) < ($1.publishedAt, $1.id) }.map(\.id)
        case .newest: all.sorted { ($0.publishedAt, $0.id) > ($1.publishedAt, $1.id) }.map(\.id)
        case .best:
            all.sorted { a, b in
                if a.pick != b.pick { return a.pick }
                if a.quality != b.quality { return a.quality > b.quality }
                if a.recommends != b.recommends { return a.recommends > b.recommends }
                return (a.publishedAt, a.id) < (b.publishedAt, b.id)
            }.map(\.id)
        }
    }

    /// Follows `nextAfter` to the end, running `between` after the first page.
    static func walk(_ f: CommentFixture, _ sort: CommentSort, between: () async throws -> Void = {}) async throws -> (ids: [Int64], pages: Int) {
        var ids: [Int64] = []
        var after: Int64?
        var pages = 0
        repeat {
            let page = try await f.comments.thread(articleID: f.article.id, sort: sort, after: after)
            pages += 1
            ids += page.comments.map(\.comment.id)
            #expect(page.comments.count == (page.nextAfter == nil ? page.comments.count : CommentService.pageSize))
            after = page.nextAfter
            if pages == 1 { try await between() }
            if pages > 100 { Issue.record("the walk does not end"); break }
        } while after != nil
        return (ids, pages)
    }

    @Test(arguments: TestDatabases.kinds)
    func everySortWalksEveryCommentOnceAndEnds(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let author = try await f.reader("writer")
            let all = try await Self.seed(47, on: f, from: 1_700_000_000_000, author: author)
            for sort in CommentSort.allCases {
                let (ids, pages) = try await Self.walk(f, sort)
                #expect(ids == Self.expected(all, sort), "\(sort) order")
                #expect(pages == 3, "\(sort): 20 + 20 + 7")
            }
            let first = try await f.comments.thread(articleID: f.article.id, sort: .oldest)
            #expect(first.total == 47)
            #expect(try await f.comments.counts(articleIDs: [f.article.id]) == [f.article.id: 47])

            // Past the end: the last comment as the cursor gives an empty page with no next.
            let last = try #require(Self.expected(all, .best).last)
            let end = try await f.comments.thread(articleID: f.article.id, sort: .best, after: last)
            #expect(end.comments.isEmpty)
            #expect(end.nextAfter == nil && !end.hasMore)
            #expect(try await f.comments.thread(articleID: f.article.id, sort: .oldest, page: 4).comments.isEmpty)
            // A cursor that is not a published top-level comment of this thread is refused.
            await #expect(throws: ThreadQueryError.unknownCursor) {
                _ = try await f.comments.thread(articleID: f.article.id, sort: .oldest, after: 999_999_999)
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func walksStayStableWhileCommentsArrive(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let author = try await f.reader("writer")
            let before = try await Self.seed(45, on: f, from: 1_700_000_000_000, author: author)
            // Oldest first: what is published during the walk comes at its end, nothing repeats or goes missing.
            var arrived: [Seeded] = []
            let oldest = try await Self.walk(f, .oldest) {
                arrived = try await Self.seed(6, on: f, from: 1_800_000_000_000, author: author)
            }
            #expect(oldest.ids == Self.expected(before + arrived, .oldest))
            // Newest first: newer comments arriving after the first page are ahead of the cursor and do not shift it.
            let newest = try await Self.walk(f, .newest) {
                _ = try await Self.seed(5, on: f, from: 1_900_000_000_000, author: author)
            }
            #expect(newest.ids == Self.expected(before + arrived, .newest))
            #expect(Set(newest.ids).count == newest.ids.count)
            #expect(try await f.comments.thread(articleID: f.article.id, sort: .newest).total == 56)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theCounterFollowsEveryStatusChange(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let author = try await f.reader("writer")
            let seeded = try await Self.seed(5, on: f, from: 1_700_000_000_000, author: author)
            func total() async throws -> Int { try await f.comments.thread(articleID: f.article.id, sort: .oldest).total }
            #expect(try await total() == 5)
            try await f.test.database.transaction { db in
                try await db.update("comments").set("status", to: "withheld").where("id", .equal, seeded[0].id).run()
                try await db.update("comments").set("body", to: "Edited.").where("id", .equal, seeded[1].id).run()
            }
            #expect(try await total() == 4)
            try await f.test.database.transaction { db in
                try await db.update("comments").set("status", to: "published").where("id", .equal, seeded[0].id).run()
                try await db.delete(from: "comments").where("id", .equal, seeded[2].id).run()
            }
            #expect(try await total() == 4)
            // A recommendation moves a comment in the best sort through its stored rank.
            try await f.test.database.transaction { db in try await db.update("comments").set("quality", to: 0.0).run() }
            let lowest = try #require(try await f.comments.thread(articleID: f.article.id, sort: .best).comments.last?.comment.id)
            for n in 0..<5 {
                try await f.comments.recommend(commentID: lowest, user: try await f.reader("fan\(n)"))
            }
            let best = try await f.comments.thread(articleID: f.article.id, sort: .best)
            let picks = best.comments.filter(\.comment.isPick).count
            #expect(best.comments.dropFirst(picks).first?.comment.id == lowest, "five recommendations put it first after the picks")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func pagingParametersAreCheckedAndNextLinksEnd(kind: DatabaseKind) async throws {
        try await CommentRouteTests.withSite(kind) { browser, _, test, article in
            let author = try await UserStore(database: test.database).create(email: "w@example.com", displayName: "W", roles: [])
            try await test.database.transaction { db in
                for i in 0..<25 {
                    let at = Int64(1_700_000_000_000 + i * 1000)
                    try await db.insert(into: "comments")
                        .columns("article_id", "author_id", "body", "status", "created_at", "submitted_at", "published_at", "decided_by")
                        .values(SQLBind(article.id), SQLBind(author.id), SQLBind("View \(i)."), SQLBind("published"), SQLBind(at), SQLBind(at),
                                SQLBind(at), SQLBind("peers")).run()
                }
            }
            for base in ["/article/harbour-vote/comments", "/api/v1/articles/harbour-vote/comments"] {
                for bad in ["page=-5", "page=0", "page=abc", "page=1.5", "page=11", "page=10001", "after=x", "after=-3", "after=0",
                            "after=99999999", "page=2&after=1", "sort=worst", "after=1&after=2"] {
                    let response = try await browser.get(base + "?" + bad)
                    #expect(response.status == .badRequest, "\(base)?\(bad): \(response.status)")
                }
            }
            // JSON: following next reaches every comment once and stops.
            var seen: [String] = []
            var next: String? = "/api/v1/articles/harbour-vote/comments?sort=newest"
            var pages = 0
            while let address = next, pages < 10 {
                let json = try await browser.get(address).json()
                pages += 1
                seen += (json["comments"] as? [[String: Any]] ?? []).compactMap { $0["body"] as? String }
                #expect(json["total"] as? Int == 25)
                next = json["next"] as? String
            }
            #expect(pages == 2)
            #expect(seen == (0..<25).reversed().map { "View \($0)." })
            // HTML: the second page's link, then the end.
            let first = try await browser.get("/article/harbour-vote/comments")
            let link = try #require(Browser.firstMatch(#"class="load-more" rel="next" href="([^"]+)""#, in: first.text))
            let second = try await browser.get(link.replacingOccurrences(of: "&amp;", with: "&"))
            #expect(second.status == .ok)
            #expect(second.text.contains("View 24.") && !second.text.contains("View 19."))
            #expect(!second.text.contains("load-more"))
            // Past the end: an empty page, no next.
            let lastID = try #require(Browser.firstMatch(#"after=(\d+)"#, in: link)).description
            let newestFirst = try await browser.get("/api/v1/articles/harbour-vote/comments?sort=oldest&after=\(lastID)").json()
            #expect((newestFirst["comments"] as? [Any])?.count == 5)
            let lastOfAll = try await test.database.read { db in
                try await db.select().column(SQLFunction("MAX", args: SQLIdentifier("id")), as: "id").from("comments").first(decodingColumn: "id", as: Int64.self)
            }
            let past = try await browser.get("/api/v1/articles/harbour-vote/comments?sort=oldest&after=\(try #require(lastOfAll))").json()
            #expect((past["comments"] as? [Any])?.isEmpty == true)
            #expect(past["next"] == nil)
            // The thread page is cached and dropped when a comment changes, like the article page.
            let again = try await browser.get("/article/harbour-vote/comments")
            #expect(again.headers[.eTag] == first.headers[.eTag])
            #expect(again.headers[.cacheControl] == "public, max-age=0, must-revalidate")
        }
    }
}
