import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import SQLKit
import Testing

@Suite("Bus payloads")
struct BusPayloadTests {
    @Test func aMessageRoundTripsThroughOnePayload() throws {
        let message = BusMessage(
            tags: [.article("harbour-vote"), .section("world"), .front, .feeds],
            live: [CommentNotice(slug: "harbour-vote", commentID: 42, status: .published).live]
        )
        let parts = BusPayload.encode(message, from: "instance-a")
        #expect(parts.count == 1)
        let decoded = try #require(BusPayload.decode(parts[0]))
        #expect(decoded.instance == "instance-a")
        #expect(decoded.message == message)
        #expect(BusPayload.decode(BusPayload.encode(.dropEverything, from: "x")[0])?.message == .dropEverything)
    }

    @Test func longMessagesAreSplitUnderTheLimitAndLoseNothing() throws {
        let tags = Set((0..<300).map { CacheTag.article("article-number-\($0)") })
        let notices = (0..<5).map { CommentNotice(slug: "story-\($0)", commentID: Int64($0), status: .held) }
        let parts = BusPayload.encode(BusMessage(tags: tags, live: notices.map(\.live)), from: "instance-a", limit: 2000)
        #expect(parts.count > 1)
        var tagsSeen: Set<CacheTag> = []
        var noticesSeen: [CommentNotice] = []
        for part in parts {
            #expect(part.utf8.count <= 2000)
            let decoded = try #require(BusPayload.decode(part))
            #expect(decoded.instance == "instance-a")
            #expect(!decoded.message.everything)
            tagsSeen.formUnion(decoded.message.tags)
            noticesSeen += decoded.message.live.compactMap(CommentNotice.init)
        }
        #expect(tagsSeen == tags)
        #expect(noticesSeen == notices)
        // Real limit: 8000 bytes is PostgreSQL's; each part stays below it.
        for part in BusPayload.encode(BusMessage(tags: Set((0..<2_000).map { CacheTag.tag("t\($0)") })), from: UUID().uuidString) {
            #expect(part.utf8.count < 8000)
        }
    }

    @Test func tooManyPartsOrAnUnsendableTagBecomeDropEverything() throws {
        let huge = Set((0..<5_000).map { CacheTag.article("a-rather-long-article-slug-\($0)") })
        let notice = CommentNotice(slug: "story", commentID: 7, status: .published)
        let parts = BusPayload.encode(BusMessage(tags: huge, live: [notice.live]), from: "i")
        #expect(parts.count == 1)
        let decoded = try #require(BusPayload.decode(parts[0]))
        #expect(decoded.message.everything)
        #expect(decoded.message.live == [notice.live], "live notices still travel")
        let unsendable = BusPayload.encode(BusMessage(tags: [.tag("line\nbreak")]), from: "i")
        #expect(unsendable.count == 1 && BusPayload.decode(unsendable[0])?.message == .dropEverything)
    }

    @Test func foreignOrMalformedPayloadsAreRefused() {
        #expect(BusPayload.decode("hello") == nil)
        // Another version of the format (an instance not yet upgraded) is ignored, not misread.
        #expect(BusPayload.decode("quorum-bus/1 x\nt front") == nil)
        #expect(BusPayload.decode("quorum-bus/3 x\nt front") == nil)
        #expect(BusPayload.decode("quorum-bus/2 x\nl notanumber published comments:slug") == nil)
        #expect(BusPayload.decode("quorum-bus/2 x\nl 1 published") == nil)
        #expect(BusPayload.decode("quorum-bus/2 x\nc 1 published slug") == nil)
        #expect(BusPayload.decode("quorum-bus/2 x\nt front")?.message == BusMessage(tags: [.front]))
    }

    @Test func backoffDoublesUpToItsMaximum() {
        let backoff = PostgresBus.Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        #expect((1...6).map { backoff.delay(afterFailures: $0) } == [
            .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1),
        ])
    }

    @Test func sqliteSitesKeepTheInProcessBus() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let bus = try defaultBus(database: test.database, logger: TestDatabases.logger)
            #expect(bus is LocalInvalidationBus)
        }
    }
}

/// Two instances of the site on one PostgreSQL database, each with its own pool, bus and HTTP server.
@Suite("PostgreSQL bus between instances", .enabled(if: TestDatabases.postgresURL != nil, "needs QUORUM_TEST_POSTGRES_URL"))
struct PostgresBusTests {
    struct Instance: Sendable {
        let browser: Browser
        let bus: PostgresBus
        var client: any TestClientProtocol { browser.client }
    }

    static func withInstances(_ body: @escaping @Sendable (Instance, Instance, CapturedMail, TestDatabase) async throws -> Void) async throws {
        let mail = CapturedMail()
        try await TestDatabases.withDatabase(.postgres) { test in
            try await withInstance(test, mail) { a in
                try await withInstance(test, mail) { b in
                    try await waitUntil("both buses listen") { a.bus.isListening && b.bus.isListening }
                    try await body(a, b, mail, test)
                }
            }
        }
    }

    static func withInstance(_ test: TestDatabase, _ mail: CapturedMail, _ body: @escaping @Sendable (Instance) async throws -> Void) async throws {
        guard case .postgres(let location) = test.location else { throw ConfigurationError("not PostgreSQL") }
        let database = try await Database.open(test.location, options: .init(poolSize: 4), logger: TestDatabases.logger)
        do {
            var configuration = LiveServer.configuration(for: test)
            configuration.siteURL = "http://localhost"
            let bus = try PostgresBus(
                database: database, location: location, logger: TestDatabases.logger,
                backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(500))
            )
            let app = try buildApplication(configuration: configuration, database: database, logger: TestDatabases.logger, bus: bus, mailTransport: mail)
            try await app.test(.live) { client in try await body(Instance(browser: Browser(client), bus: bus)) }
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    static func waitUntil(_ what: String, timeout: Double = 15, _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await !condition() {
            guard Date() < deadline else { throw QuorumProcess.TimeoutError(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A published article, and its headline changed behind every instance's back (no announcement).
    static func story(_ test: TestDatabase) async throws -> Article {
        let store = try await Fixtures.newsroom(test.database)
        return try await Fixtures.published(store, Fixtures.input("harbour-vote", headline: "Council votes on the harbour"), at: Timestamp.now.adding(seconds: -60))
    }

    static let unannounced = "Unannounced headline"

    /// The story, cached on `instance`, then its headline changed behind every instance's back (no
    /// announcement): `instance` still serves the old page. Returns the article and an editor's API token.
    static func cachedThenChangedSilently(on instance: Instance, _ test: TestDatabase) async throws -> (Article, String) {
        let article = try await story(test)
        let token = try await Fixtures.token(test.database)
        #expect(try await instance.client.send("/article/harbour-vote").text.contains("Council votes on the harbour"))
        try await test.database.transaction { db in
            try await db.update("articles").set("headline", to: unannounced).where("slug", .equal, "harbour-vote").run()
        }
        #expect(try await instance.client.send("/article/harbour-vote").text.contains("Council votes on the harbour"))
        return (article, token)
    }

    static func edit(on instance: Instance, token: String, id: Int64, headline: String) async throws {
        var body = AdminAPITests.article
        body["slug"] = "harbour-vote"
        body["headline"] = headline
        let response = try await instance.client.send("/api/admin/v1/articles/\(id)", .put, token: token, body: Fixtures.json(body))
        #expect(response.status == .ok, "\(response.text)")
    }

    @Test func aPageCachedOnOneInstanceIsRenderedAgainAfterAnEditOnAnother() async throws {
        try await Self.withInstances { a, b, _, test in
            let (article, token) = try await Self.cachedThenChangedSilently(on: b, test)
            try await Self.edit(on: a, token: token, id: article.id, headline: "Harbour vote postponed")
            #expect(try await a.client.send("/article/harbour-vote").text.contains("Harbour vote postponed"), "A applies its own change at once")
            try await Self.waitUntil("B renders the edited page") {
                try await b.client.send("/article/harbour-vote").text.contains("Harbour vote postponed")
            }
            #expect(a.bus.connections == 1 && b.bus.connections == 1)
        }
    }

    @Test func aCommentApprovedOnOneInstanceReachesALivePageOnAnother() async throws {
        try await Self.withInstances { a, b, mail, test in
            let article = try await Self.story(test)
            _ = try await UserStore(database: test.database).create(email: "mod@example.com", displayName: "Mod", roles: [.moderator])
            let held = try await CommentRouteTests.seedHeld("Heard everywhere.", on: test, article: article)
            let stream = try RawHTTPStream(port: try #require(b.client.port), path: "/article/harbour-vote/comments/live")
            defer { stream.close() }
            #expect(try await stream.off { try $0.read(until: ": listening", timeout: 10) }.contains("text/event-stream"))
            // A page open on A itself hears it once: A applied it at once and skips its own echo.
            let own = try RawHTTPStream(port: try #require(a.client.port), path: "/article/harbour-vote/comments/live")
            defer { own.close() }
            #expect(try await own.off { try $0.read(until: ": listening", timeout: 10) }.contains("text/event-stream"))
            try await LiveServer.signIn(a.browser, mail, email: "mod@example.com")
            try await a.browser.get("/moderation?queue=held")
            #expect(try await a.browser.post("/moderation/comments/\(held)", ["action": "approve"]).status == .seeOther)
            let events = try await stream.off { try $0.read(until: "event: comment", timeout: 15) }
            #expect(events.contains("data: {\"id\":\(held),\"slug\":\"harbour-vote\",\"status\":\"published\"}"))
            let heardOnA = try await own.off { $0.readFor(seconds: 1.5) }
            #expect(heardOnA.components(separatedBy: "event: comment").count - 1 == 1, "once, not again as an echo: \(heardOnA)")
            #expect(try await b.client.send("/article/harbour-vote/comments").text.contains("Heard everywhere."))
        }
    }

    @Test func theBusReconnectsAfterItsConnectionIsKilledAndDropsTheCache() async throws {
        try await Self.withInstances { a, b, _, test in
            // As if changed while B was not listening: only a dropped cache shows it.
            let (article, token) = try await Self.cachedThenChangedSilently(on: b, test)
            let killed = try await test.database.read { db in
                try await db.raw("""
                    SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                    WHERE application_name = \(bind: PostgresBus.applicationName) AND datname = current_database()
                    """).first(decodingColumn: "n", as: Int.self)
            }
            #expect(killed == 2, "one listening connection per instance")
            try await Self.waitUntil("both buses listen again") {
                a.bus.connections >= 2 && b.bus.connections >= 2 && a.bus.isListening && b.bus.isListening
            }
            #expect(try await b.client.send("/article/harbour-vote").text.contains(Self.unannounced))
            // And the bus carries changes again.
            try await Self.edit(on: a, token: token, id: article.id, headline: "After the reconnection")
            try await Self.waitUntil("B renders the edit made after the reconnection") {
                try await b.client.send("/article/harbour-vote").text.contains("After the reconnection")
            }
        }
    }
}
