import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import ReviewEngine
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import TestSupport

@Suite("Comments: pages, API and moderation over HTTP")
struct CommentRouteTests {
    /// Runs the site with one published article and hands the test a browser, the mail and the database.
    static func withSite(_ kind: DatabaseKind, _ body: @escaping @Sendable (Browser, CapturedMail, TestDatabase, Article) async throws -> Void) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let store = ArticleStore(database: test.database)
            _ = try await store.createSection(slug: "news", name: "News")
            let draft = try await store.create(ArticleInput(slug: "harbour-vote", headline: "Council votes on the harbour", body: "Text.", section: "news"))
            let article = try await store.publish(id: draft.id, now: Timestamp.now.adding(seconds: -60))
            try await body(browser, mail, test, article)
        }
    }

    static func seedPublished(_ text: String, by name: String, on test: TestDatabase, article: Article) async throws -> Int64 {
        let user = try await UserStore(database: test.database).create(email: "\(TestDatabases.uniqueName("writer"))@example.com", displayName: name, roles: [])
        return try await test.database.transaction { db in
            try await db.insert(into: "comments")
                .columns("article_id", "author_id", "body", "status", "created_at", "submitted_at", "published_at", "decided_by")
                .values(SQLBind(article.id), SQLBind(user.id), SQLBind(text), SQLBind("published"), SQLBind(Timestamp.now.milliseconds),
                        SQLBind(Timestamp.now.milliseconds), SQLBind(Timestamp.now.milliseconds), SQLBind("peers"))
                .returning("id").first(decodingColumn: "id", as: Int64.self)!
        }
    }

    /// A comment the pre-screen held for moderators, by a new writer.
    static func seedHeld(_ text: String, on test: TestDatabase, article: Article) async throws -> Int64 {
        let author = try await UserStore(database: test.database).create(email: "\(TestDatabases.uniqueName("writer"))@example.com", displayName: "W", roles: [])
        return try await test.database.transaction { db in
            try await db.insert(into: "comments").columns("article_id", "author_id", "body", "status", "created_at", "submitted_at", "decided_by")
                .values(SQLBind(article.id), SQLBind(author.id), SQLBind(text), SQLBind("held"), SQLBind(Timestamp.now.milliseconds),
                        SQLBind(Timestamp.now.milliseconds), SQLBind("prescreen"))
                .returning("id").first(decodingColumn: "id", as: Int64.self)!
        }
    }

    /// `count` comments waiting for peer review, each by its own new writer: a queue for writers to review.
    static func seedPending(_ count: Int, on test: TestDatabase, article: Article) async throws {
        for i in 0..<count {
            let author = try await UserStore(database: test.database).create(email: "\(TestDatabases.uniqueName("writer"))@example.com", displayName: "W\(i)", roles: [])
            try await test.database.transaction { db in
                try await db.insert(into: "comments").columns("article_id", "author_id", "body", "status", "created_at", "submitted_at")
                    .values(SQLBind(article.id), SQLBind(author.id), SQLBind("Pending view number \(i)."), SQLBind("pending"),
                            SQLBind(Timestamp.now.milliseconds), SQLBind(Timestamp.now.milliseconds)).run()
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theWholeFlowWorksAsPlainForms(kind: DatabaseKind) async throws {
        try await Self.withSite(kind) { browser, mail, test, article in
            // Signed out: writing sends the reader to sign in and back.
            let signedOut = try await browser.get("/article/\(article.slug)/comments/new")
            #expect(signedOut.headers[.location] == "/signin?next=/article/\(article.slug)/comments/new")

            let others = ["x", "y", "z"]
            for name in others {
                let user = try await UserStore(database: test.database).create(email: "\(name)@example.com", displayName: name, roles: [])
                try await test.database.transaction { db in
                    try await db.insert(into: "comments").columns("article_id", "author_id", "body", "status", "created_at", "submitted_at")
                        .values(SQLBind(article.id), SQLBind(user.id), SQLBind("Pending view by \(name)."), SQLBind("pending"),
                                SQLBind(Timestamp.now.milliseconds), SQLBind(Timestamp.now.milliseconds)).run()
                }
            }
            try await LiveServer.signIn(browser, mail, email: "a@example.com", next: "/article/\(article.slug)/comments/new")
            let form = try await browser.get("/article/\(article.slug)/comments/new")
            #expect(form.status == .ok)
            #expect(form.text.contains("Review three comments"))
            let written = try await browser.post("/article/\(article.slug)/comments", ["body": "The harbour plan <b>costs</b> too much."])
            #expect(written.status == .seeOther)
            let reviewPath = try #require(written.headers[.location])
            #expect(reviewPath.hasSuffix("/review"))
            let id = try #require(Int64(reviewPath.split(separator: "/")[1]))
            for step in 1...3 {
                let page = try await browser.get(reviewPath)
                #expect(page.status == .ok)
                #expect(page.text.contains("Review comment \(step) of 3"))
                #expect(page.text.contains("Pending view by"))
                #expect(!page.text.contains(">x<") && !page.text.contains("by x</"), "the author's name is hidden")
                let task = try #require(Browser.firstMatch(#"name="task" value="(\d+)""#, in: page.text))
                #expect(try await browser.post(reviewPath, ["task": task, "quality": "good"]).status == .badRequest, "both questions must be answered")
                #expect(try await browser.post(reviewPath, ["task": task, "quality": "good", "civil": "civil", "flag": "spam"]).status == .seeOther)
            }
            let afterReviews = try await browser.get(reviewPath)
            #expect(afterReviews.headers[.location] == "/comments/\(id)/rate")
            let rate = try await browser.get("/comments/\(id)/rate")
            #expect(rate.text.contains("The harbour plan &lt;b&gt;costs&lt;/b&gt; too much."))
            let submitted = try await browser.post("/comments/\(id)/rate", ["civil": "civil", "body": "The harbour plan costs too much."])
            #expect(submitted.headers[.location] == "/comments/\(id)")
            let status = try await browser.get("/comments/\(id)")
            #expect(status.text.contains("Waiting for review"))
            // No one else sees it.
            let stranger = Browser(browser.client)
            #expect(try await stranger.get("/comments/\(id)").status == .notFound)
            #expect(!(try await stranger.get("/article/\(article.slug)/comments").text.contains("costs too much")))
            #expect(try await stranger.get("/api/v1/comments/\(id)").status == .notFound)
            let mine = try await browser.get("/api/v1/articles/\(article.slug)/comments")
            #expect(((try mine.json()["mine"]) as? [[String: Any]])?.first?["status"] as? String == "pending")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func hostileTextIsShownAsText(kind: DatabaseKind) async throws {
        try await Self.withSite(kind) { browser, _, test, article in
            let payloads = [
                "<script>window.__xss=1</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>",
                "<a href=\"javascript:alert(1)\">x</a>", "' OR 1=1; DROP TABLE comments; --",
            ]
            for (i, payload) in payloads.enumerated() {
                _ = try await Self.seedPublished(payload, by: "<b>name\(i)</b>", on: test, article: article)
            }
            let page = try await browser.get("/article/\(article.slug)/comments")
            #expect(page.status == .ok)
            for forbidden in ["<script>window", "<img src=x", "<svg onload", "<a href=\"javascript:", "<b>name"] {
                #expect(!page.text.contains(forbidden), "\(forbidden) was not escaped")
            }
            #expect(page.text.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"))
            #expect(page.text.contains("&lt;b&gt;name0&lt;/b&gt;"))
            let count = try await test.database.read { db in try await db.select().column("id").from("comments").all().count }
            #expect(count == payloads.count, "the SQL-looking comment is stored as text, nothing dropped")
            let api = try await browser.get("/api/v1/articles/\(article.slug)/comments")
            let bodies = (try api.json()["comments"] as? [[String: Any]])?.compactMap { $0["body"] as? String } ?? []
            #expect(Set(bodies) == Set(payloads), "the API returns the text exactly")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func jsonAPIRunsTheFlowWithTheCSRFHeader(kind: DatabaseKind) async throws {
        try await Self.withSite(kind) { browser, mail, test, article in
            try await LiveServer.signIn(browser, mail, email: "api@example.com")
            let session = try await browser.get("/api/v1/session")
            let token = try #require(try session.json()["csrfToken"] as? String)
            func post(_ path: String, _ object: [String: Any], token: String? = token) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: "application/json", .origin: "http://localhost"]
                if let token { headers[CSRFMiddleware.tokenHeader] = token }
                return try await browser.send(path, method: .post, headers: headers,
                                              body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
            }
            #expect(try await post("/api/v1/articles/\(article.slug)/comments", ["body": "x"], token: nil).status == .forbidden)
            let empty = try await post("/api/v1/articles/\(article.slug)/comments", ["body": ""])
            #expect(empty.status == .badRequest)
            #expect((try empty.json()["error"] as? [String: Any])?["code"] as? String == "empty")
            let malformed = try await browser.send("/api/v1/articles/\(article.slug)/comments", method: .post,
                headers: [.contentType: "application/json", .origin: "http://localhost", CSRFMiddleware.tokenHeader: token], body: ByteBuffer(string: "{\"bod"))
            #expect(malformed.status == .badRequest)
            let missing = try await post("/api/v1/articles/\(article.slug)/comments", ["text": "wrong field"])
            #expect((try missing.json()["error"] as? [String: Any])?["message"] as? String == "The field 'body' is missing.")
            let long = try await post("/api/v1/articles/\(article.slug)/comments", ["body": String(repeating: "a", count: 3001)])
            #expect((try long.json()["error"] as? [String: Any])?["code"] as? String == "too_long")

            let created = try await post("/api/v1/articles/\(article.slug)/comments", ["body": "Through the API."])
            #expect(created.status == .created)
            let id = try #require((try created.json()["comment"] as? [String: Any])?["id"] as? Int)
            let task = try await browser.get("/api/v1/comments/\(id)/review-task")
            #expect(try task.json()["task"] is NSNull, "nothing to review on an empty site")
            let submitted = try await post("/api/v1/comments/\(id)/submit", ["civil": true])
            #expect(submitted.status == .ok)
            #expect((try submitted.json()["comment"] as? [String: Any])?["status"] as? String == "pending")
            #expect(try await post("/api/v1/comments/\(id)/submit", ["civil": true]).status == .conflict)
            #expect(try await post("/api/v1/review-tasks/12345", ["civil": true, "quality": "good"]).status == .forbidden)
            let counts = try await browser.get("/api/v1/comment-counts?articles=\(article.slug),nope")
            #expect((try counts.json()["counts"] as? [String: Int]) == [article.slug: 0])
            let published = try await Self.seedPublished("Published one.", by: "pub", on: test, article: article)
            let recommended = try await post("/api/v1/comments/\(published)/recommend", [:])
            #expect(try recommended.json()["recommends"] as? Int == 1)
            let flagged = try await post("/api/v1/comments/\(published)/flag", ["reason": "spam", "note": "ad"])
            #expect(flagged.status == .accepted)
            #expect(try await post("/api/v1/comments/\(published)/flag", ["reason": "rude"]).status == .badRequest)
            #expect(try await browser.get("/api/v1/moderation/queues/flagged").status == .forbidden)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func moderatorsWorkTheQueuesFromTheirPages(kind: DatabaseKind) async throws {
        try await Self.withSite(kind) { browser, mail, test, article in
            _ = try await UserStore(database: test.database).create(email: "mod@example.com", displayName: "Mod", roles: [.moderator])
            let author = try await UserStore(database: test.database).create(email: "author@example.com", displayName: "Author", roles: [])
            let withheld = try await test.database.transaction { db in
                try await db.insert(into: "comments").columns("article_id", "author_id", "body", "status", "created_at", "submitted_at", "decided_by", "decision")
                    .values(SQLBind(article.id), SQLBind(author.id), SQLBind("Withheld words."), SQLBind("withheld"), SQLBind(Timestamp.now.milliseconds),
                            SQLBind(Timestamp.now.milliseconds), SQLBind("peers"), SQLBind("Peers found it uncivil."))
                    .returning("id").first(decodingColumn: "id", as: Int64.self)!
            }
            let reader = Browser(browser.client)
            try await LiveServer.signIn(reader, mail, email: "reader@example.com")
            #expect(try await reader.get("/moderation").status == .forbidden)

            try await LiveServer.signIn(browser, mail, email: "mod@example.com")
            let queue = try await browser.get("/moderation?queue=withheld")
            #expect(queue.status == .ok)
            #expect(queue.text.contains("Withheld words."))
            #expect(queue.text.contains("Peers found it uncivil."))
            #expect(try await browser.post("/moderation/comments/\(withheld)", ["action": "reject_uncivil", "reason": ""]).status == .badRequest)
            try await browser.get("/moderation?queue=withheld")
            let rejected = try await browser.post("/moderation/comments/\(withheld)", ["action": "reject_uncivil", "reason": "Insults another reader", "back": "/moderation?queue=withheld"])
            #expect(rejected.headers[.location] == "/moderation?queue=withheld")
            let email = try await mail.latest(to: "author@example.com", kind: "comment-rejected")
            #expect(email.text.contains("Insults another reader"))
            #expect(email.text.contains("/comments/\(withheld)/rate"))
            let empty = try await browser.get("/moderation?queue=withheld")
            #expect(empty.text.contains("Nothing waiting here."))
            let rejectedQueue = try await browser.get("/moderation?queue=rejected")
            #expect(rejectedQueue.text.contains("Withheld words."))
            let api = try await browser.get("/api/v1/moderation/queues/rejected")
            #expect((try api.json()["comments"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func adminsTuneCommentSettingsAndThePreScreenUsesThem(kind: DatabaseKind) async throws {
        try await Self.withSite(kind) { browser, mail, test, article in
            _ = try await UserStore(database: test.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
            let reader = Browser(browser.client)
            try await LiveServer.signIn(reader, mail, email: "reader@example.com")
            #expect(try await reader.get("/admin/comments").status == .forbidden)
            try await LiveServer.signIn(browser, mail, email: "chief@example.com")
            let page = try await browser.get("/admin/comments")
            #expect(page.status == .ok)
            var fields = [
                "maximumLength": "500", "closeAfterDays": "", "bannedWords": "grotnak\nflibber", "suspectWords": "harbourmaster",
                "maxLinks": "1", "minSeconds": "0", "holdThreshold": "0.95", "publishAtMost": "0.01", "withholdAtLeast": "0.7",
                "maximumWaitHours": "6", "auditShare": "0.05", "publishNearDeadlineAtMost": "0.005", "relaxPublishAfterWaitShare": "0.6",
            ]
            #expect(page.text.contains("name=\"publishNearDeadlineAtMost\" value=\"0.003\""))
            fields["publishAtMost"] = "2"
            #expect(try await browser.post("/admin/comments", fields).status == .badRequest)
            fields["publishAtMost"] = "0.01"
            let below = try await browser.post("/admin/comments", fields)
            #expect(below.status == .badRequest, "the near-deadline bar below the ordinary one")
            #expect(below.text.contains("at least the ordinary publish bar"))
            fields["publishNearDeadlineAtMost"] = "0.02"
            try await browser.get("/admin/comments")
            #expect(try await browser.post("/admin/comments", fields).status == .seeOther)
            let engine = try JSONDecoder().decode(ReviewEngine.Settings.self, from: Data((try await SettingsStore(database: test.database).get("review_engine_settings") ?? "").utf8))
            #expect(engine.maximumWait == 6 * 3600)
            #expect(engine.withholdAtLeast == 0.7)
            #expect(engine.publishNearDeadlineAtMost == 0.02)
            #expect(engine.relaxPublishAfterWaitShare == 0.6)

            try await reader.get("/article/\(article.slug)/comments/new")
            let banned = try await reader.post("/article/\(article.slug)/comments", ["body": "What a grotnak idea."])
            #expect(banned.status == .badRequest)
            #expect(banned.text.contains("banned word"))
            #expect(!banned.text.contains("grotnak"), "the word is not echoed back")
            let long = try await reader.post("/article/\(article.slug)/comments", ["body": String(repeating: "word ", count: 120)])
            #expect(long.status == .badRequest)
            let links = try await reader.post("/article/\(article.slug)/comments", ["body": "See https://a.example.com and https://b.example.com"])
            #expect(links.status == .badRequest)
            #expect(try await reader.post("/article/\(article.slug)/comments", ["body": "Ask the harbourmaster."]).status == .seeOther)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func anonymousThreadsAreCachedAndInvalidatedByComments(kind: DatabaseKind) async throws {
        try await Self.withSite(kind) { browser, mail, test, article in
            _ = try await Self.seedPublished("First.", by: "one", on: test, article: article)
            let anonymous = Browser(browser.client)
            let first = try await anonymous.get("/api/v1/articles/\(article.slug)/comments")
            #expect(try first.json()["total"] as? Int == 1)
            let etag = try #require(first.headers[.eTag])
            #expect(try await anonymous.get("/api/v1/articles/\(article.slug)/comments", headers: [.ifNoneMatch: etag]).status == .notModified)
            // A moderator publishes a held comment: the cached thread and article page are dropped at once.
            _ = try await UserStore(database: test.database).create(email: "mod@example.com", displayName: "Mod", roles: [.moderator])
            let held = try await Self.seedHeld("Second.", on: test, article: article)
            let articlePage = try await anonymous.get("/article/\(article.slug)")
            #expect(articlePage.text.contains("First."))
            #expect(!articlePage.text.contains("Second."))
            try await LiveServer.signIn(browser, mail, email: "mod@example.com")
            try await browser.get("/moderation?queue=held")
            #expect(try await browser.post("/moderation/comments/\(held)", ["action": "approve"]).status == .seeOther)
            let second = try await anonymous.get("/api/v1/articles/\(article.slug)/comments", headers: [.ifNoneMatch: etag])
            #expect(second.status == .ok)
            #expect(try second.json()["total"] as? Int == 2)
            #expect(try await anonymous.get("/article/\(article.slug)").text.contains("Second."))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func anOptionalExtraReviewIsOfferedAsFormsAndThroughTheAPI(kind: DatabaseKind) async throws {
        try await Self.withSite(kind) { browser, mail, test, article in
            try await Self.seedPending(12, on: test, article: article)
            try await LiveServer.signIn(browser, mail, email: "a@example.com")
            #expect(try await browser.get("/article/\(article.slug)/comments/new").status == .ok)
            let written = try await browser.post("/article/\(article.slug)/comments", ["body": "A view on the harbour."])
            let reviewPath = try #require(written.headers[.location], "\(written.status) \(written.text)")
            let id = try #require(Int64(reviewPath.split(separator: "/")[1]))
            for _ in 1...3 {
                let page = try await browser.get(reviewPath)
                let task = try #require(Browser.firstMatch(#"name="task" value="(\d+)""#, in: page.text))
                #expect(try await browser.post(reviewPath, ["task": task, "quality": "good", "civil": "civil"]).status == .seeOther)
            }
            let rate = try await browser.get("/comments/\(id)/rate")
            #expect(rate.text.contains("comments are waiting for readers to review them"))
            #expect(rate.text.contains("href=\"/comments/\(id)/review?extra=1\""))
            let api = try await browser.get("/api/v1/comments/\(id)/review-task")
            #expect(api.text.contains("\"left\":1"))
            let extra = try await browser.get("/comments/\(id)/review?extra=1")
            #expect(extra.text.contains("An extra review (optional)"))
            #expect(extra.text.contains("href=\"/comments/\(id)/rate\""), "a way to skip it")
            // Skipping leaves the rate step open.
            #expect(try await browser.get("/comments/\(id)/rate").status == .ok)
            let task = try #require(Browser.firstMatch(#"name="task" value="(\d+)""#, in: extra.text))
            #expect(try await browser.post(reviewPath, ["task": task, "quality": "somewhat", "civil": "civil"]).headers[.location] == reviewPath)
            #expect(try await browser.get(reviewPath).headers[.location] == "/comments/\(id)/rate")
            let after = try await browser.get("/comments/\(id)/rate")
            #expect(!after.text.contains("review?extra=1"), "offered once")
            #expect(try await browser.post("/comments/\(id)/rate", ["civil": "civil", "body": "A view on the harbour."]).headers[.location] == "/comments/\(id)")
        }
    }

    @Test func liveUpdatesArriveAsServerSentEvents() async throws {
        try await Self.withSite(.sqlite) { browser, mail, test, article in
            _ = try await UserStore(database: test.database).create(email: "mod@example.com", displayName: "Mod", roles: [.moderator])
            let held = try await Self.seedHeld("Soon live.", on: test, article: article)
            let port = try #require(browser.client.port)
            let stream = try RawHTTPStream(port: port, path: "/article/\(article.slug)/comments/live")
            defer { stream.close() }
            #expect(try await stream.off { try $0.read(until: ": listening", timeout: 10) }.contains("text/event-stream"))
            try await LiveServer.signIn(browser, mail, email: "mod@example.com")
            try await browser.get("/moderation?queue=held")
            #expect(try await browser.post("/moderation/comments/\(held)", ["action": "approve"]).status == .seeOther)
            let events = try await stream.off { try $0.read(until: "event: comment", timeout: 10) }
            #expect(events.contains("data: {\"id\":\(held),\"slug\":\"\(article.slug)\",\"status\":\"published\"}"))
            let page = try await browser.get("/article/\(article.slug)/comments?fragment=1")
            #expect(page.text.contains("Soon live."))
            #expect(!page.text.contains("<html"), "the fragment is the thread alone, for the page's script")
        }
    }
}

/// Reads a streaming HTTP response (Server-Sent Events) over a plain socket, as a browser's EventSource would.
final class RawHTTPStream: @unchecked Sendable {
    private let descriptor: Int32
    private var received = ""

    convenience init(port: Int, path: String) throws {
        try self.init(port: port, raw: "GET \(path) HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
    }

    /// Connects and sends `raw` as the start of a request; `send` can add the rest later.
    init(port: Int, raw: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw QuorumProcess.TimeoutError(what: "connect to \(port)") }
        try send(raw)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws {
        let sent = text.withCString { Glibc.send(descriptor, $0, strlen($0), 0) }
        guard sent == text.utf8.count else { throw QuorumProcess.TimeoutError(what: "sending \(text.utf8.count) bytes") }
    }

    /// Everything received so far once it contains `marker`, or an error after `timeout` seconds.
    func read(until marker: String, timeout: Double) throws -> String {
        try read(timeout: timeout, what: "'\(marker)'") { $0.contains(marker) }
    }

    /// Everything received so far once `done` says it is enough, or an error after `timeout` seconds.
    func read(timeout: Double, what: String, until done: (String) -> Bool) throws -> String {
        guard receive(until: Date().addingTimeInterval(timeout), done: done) else {
            throw QuorumProcess.TimeoutError(what: "\(what) in the response; got: \(received)")
        }
        return received
    }

    /// Everything received after waiting `seconds` more.
    func readFor(seconds: Double) -> String {
        _ = receive(until: Date().addingTimeInterval(seconds)) { _ in false }
        return received
    }

    /// Receives until `done` holds (true) or the deadline passes (false).
    private func receive(until deadline: Date, done: (String) -> Bool) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !done(received) {
            guard Date() < deadline else { return false }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { received += String(decoding: buffer[0..<count], as: UTF8.self) }
        }
        return true
    }

    func close() { _ = Glibc.close(descriptor) }
}

extension RawHTTPStream {
    /// Runs a blocking read on a thread of its own: blocked in `recv`, it must not hold one of the few threads
    /// Swift concurrency has, which the server under test needs to write what is being waited for.
    func off<R: Sendable>(_ read: @escaping @Sendable (RawHTTPStream) throws -> R) async throws -> R {
        try await onOwnThread { try read(self) }
    }
}
