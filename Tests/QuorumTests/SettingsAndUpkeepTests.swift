import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Stored settings that cannot be read, rate-limit upkeep, the review-before-submit rule")
struct SettingsAndUpkeepTests {
    /// A malformed engine or pre-screen row is named (for the start-up log and the admin page) and its defaults
    /// stand in: writing, reviewing and submitting still work instead of failing with 500 on every request.
    @Test(arguments: TestDatabases.kinds)
    func malformedSettingsRowsAreReportedAndNeverBreakComments(kind: DatabaseKind) async throws {
        try await CommentRouteTests.withSite(kind) { browser, mail, test, article in
            let settings = SettingsStore(database: test.database)
            try await settings.set("review_engine_settings", "{not json")
            try await settings.set("prescreen_settings", #"{"maxLinks": "many"}"#)
            let problems = try await settingsProblems(database: test.database)
            #expect(problems.map(\.key) == ["review_engine_settings", "prescreen_settings"])
            #expect(problems.allSatisfy { $0.description.contains("/admin/comments") && $0.description.contains("cannot be read") })

            try await CommentRouteTests.seedPending(3, on: test, article: article)
            try await LiveServer.signIn(browser, mail, email: "writer@example.com", next: "/article/\(article.slug)/comments/new")
            try await browser.get("/article/\(article.slug)/comments/new")
            let written = try await browser.post("/article/\(article.slug)/comments", ["body": "Settings or not, the harbour plan costs too much."])
            #expect(written.status == .seeOther)
            let reviewPath = try #require(written.headers[.location])
            let review = try await browser.get(reviewPath)
            #expect(review.status == .ok, "a bad engine row must not turn the review step into a 500")

            _ = try await UserStore(database: test.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
            let admin = Browser(browser.client)
            try await LiveServer.signIn(admin, mail, email: "chief@example.com")
            let page = try await admin.get("/admin/comments")
            #expect(page.status == .ok)
            #expect(page.text.contains("<code>review_engine_settings</code> cannot be read"))
            #expect(page.text.contains("<code>prescreen_settings</code> cannot be read"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func wellFormedOrMissingSettingsReportNothing(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            #expect(try await settingsProblems(database: test.database).isEmpty)
            try await SettingsStore(database: test.database).set("prescreen_settings", String(decoding: try JSONEncoder().encode(PreScreenSettings.default), as: UTF8.self))
            #expect(try await settingsProblems(database: test.database).isEmpty)
        }
    }

    /// The pruner runs as a service and forgets windows that ended more than a day ago, keeping current ones.
    @Test(arguments: TestDatabases.kinds)
    func thePrunerForgetsOldRateLimitWindows(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let limiter = RateLimiter(database: test.database)
            let now = Timestamp.now
            try await limiter.hit(.init("old", count: 10, per: 60), key: "k", now: now.adding(seconds: -3 * 86_400))
            try await limiter.hit(.init("new", count: 10, per: 60), key: "k", now: now)
            func buckets() async throws -> [String] {
                try await test.database.read { db in
                    try await db.select().column("bucket").from("rate_limits").orderBy("bucket").all(decodingColumn: "bucket", as: String.self)
                }
            }
            #expect(try await buckets() == ["new:k", "old:k"])
            let pruner = RateLimitPruner(limiter: limiter, interval: .seconds(3600), logger: TestDatabases.logger)
            let task = Task { try await pruner.run() }
            for _ in 0..<100 where try await buckets().count > 1 { try await Task.sleep(for: .milliseconds(50)) }
            task.cancel()
            #expect(try await buckets() == ["new:k"])
        }
    }

    /// Asking whether a writer still owes reviews changes nothing; `submit` itself refuses until they are done,
    /// whichever route (form or JSON) calls it.
    @Test(arguments: TestDatabases.kinds)
    func theReviewRuleIsReadOnlyAndEnforcedBySubmit(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let others = [try await f.reader("o1"), try await f.reader("o2"), try await f.reader("o3")]
            for (i, other) in others.enumerated() { _ = try await f.submitted("Waiting comment \(i).", by: other) }
            let writer = try await f.reader("writer")
            let draft = try await f.comments.write(articleID: f.article.id, author: writer, body: "My view on the harbour.")
            func tasks() async throws -> Int {
                try await test.database.read { db in
                    try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("review_tasks").first(decodingColumn: "n", as: Int.self) ?? 0
                }
            }
            let before = try await tasks()
            #expect(try await f.comments.owesReviews(draft, writer: writer))
            #expect(try await f.comments.owesReviews(draft, writer: writer))
            #expect(try await tasks() == before, "asking hands out no task")
            await #expect(throws: CommentError.wrongStep) {
                _ = try await f.comments.submit(commentID: draft.id, author: writer, selfRating: .civil)
            }
            for _ in 0..<3 {
                let task = try #require(try await f.comments.currentTask(reviewer: writer, forComment: draft.id))
                try await f.comments.review(taskID: task.id, reviewer: writer, .init(civility: .civil, quality: .good))
            }
            #expect(try await !f.comments.owesReviews(draft, writer: writer))
            let submitted = try await f.comments.submit(commentID: draft.id, author: writer, selfRating: .civil)
            #expect(submitted.status == .pending)
        }
    }
}
