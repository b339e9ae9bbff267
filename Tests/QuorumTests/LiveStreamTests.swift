import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumStore
@testable import QuorumWeb

/// Live comment streams over real HTTP: one stream follows several articles, heartbeats flow, a client that goes
/// away is noticed at once, and one address cannot hold more than its share.
@Suite("Live comment streams", .serialized)
struct LiveStreamTests {
    static func withSite(
        adjust: @escaping (inout QuorumConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (Browser, CapturedMail, TestDatabase, [Article]) async throws -> Void
    ) async throws {
        try await LiveServer.withBrowser(.sqlite, adjust: adjust) { browser, mail, test in
            let store = ArticleStore(database: test.database)
            _ = try await store.createSection(slug: "news", name: "News")
            var articles: [Article] = []
            for slug in ["harbour-vote", "bridge-opens"] {
                let draft = try await store.create(ArticleInput(slug: slug, headline: "Story \(slug)", body: "Text.", section: "news"))
                articles.append(try await store.publish(id: draft.id, now: Timestamp.now.adding(seconds: -60)))
            }
            try await body(browser, mail, test, articles)
        }
    }

    @Test func oneStreamCarriesEveryFollowedArticle() async throws {
        try await Self.withSite { browser, mail, test, articles in
            _ = try await UserStore(database: test.database).create(email: "mod@example.com", displayName: "Mod", roles: [.moderator])
            let first = try await CommentRouteTests.seedHeld("On the harbour.", on: test, article: articles[0])
            let second = try await CommentRouteTests.seedHeld("On the bridge.", on: test, article: articles[1])
            let port = try #require(browser.client.port)
            let stream = try RawHTTPStream(port: port, path: "/comments/live?articles=harbour-vote,bridge-opens")
            defer { stream.close() }
            #expect(try await stream.off { try $0.read(until: ": listening", timeout: 10) }.contains("text/event-stream"))
            try await LiveServer.signIn(browser, mail, email: "mod@example.com")
            try await browser.get("/moderation?queue=held")
            #expect(try await browser.post("/moderation/comments/\(first)", ["action": "approve"]).status == .seeOther)
            #expect(try await browser.post("/moderation/comments/\(second)", ["action": "approve"]).status == .seeOther)
            let events = try await stream.off { try $0.read(timeout: 10, what: "both events") { $0.components(separatedBy: "event: comment").count == 3 } }
            #expect(events.contains("data: {\"id\":\(first),\"slug\":\"harbour-vote\",\"status\":\"published\"}"))
            #expect(events.contains("data: {\"id\":\(second),\"slug\":\"bridge-opens\",\"status\":\"published\"}"))
        }
    }

    @Test func malformedArticleListsAreRefused() async throws {
        try await Self.withSite(adjust: { $0.liveStreams.maximumArticles = 3 }) { browser, _, _, _ in
            for query in ["", "?articles=", "?articles=Harbour", "?articles=a,,b", "?articles=a%20b", "?articles=a,b,c,d"] {
                let response = try await browser.get("/comments/live" + query)
                #expect(response.status == .badRequest, "\(query): \(response.status)")
                #expect(response.headers[.contentType] != "text/event-stream")
            }
        }
    }

    @Test func heartbeatsKeepAnIdleStreamTalking() async throws {
        try await Self.withSite(adjust: { $0.liveStreams.heartbeat = .milliseconds(100) }) { browser, _, _, _ in
            let stream = try RawHTTPStream(port: try #require(browser.client.port), path: "/comments/live?articles=harbour-vote")
            defer { stream.close() }
            let text = try await stream.off { try $0.read(timeout: 10, what: "three heartbeats") { $0.components(separatedBy: ":\n\n\r\n").count >= 4 } }
            #expect(text.contains(": listening"))
        }
    }

    /// With room for one stream per address, a closed stream must give its place back within a couple of seconds
    /// (heartbeats are a minute apart here, so only noticing the close can do it), and a second one is refused.
    @Test func aClosedStreamIsNoticedAtOnceAndEachAddressHasALimit() async throws {
        try await Self.withSite(adjust: {
            $0.liveStreams.perClient = 1
            $0.liveStreams.heartbeat = .seconds(60)
        }) { browser, _, _, _ in
            let port = try #require(browser.client.port)
            let path = "/comments/live?articles=harbour-vote"
            let first = try RawHTTPStream(port: port, path: path)
            #expect(try await first.off { try $0.read(until: ": listening", timeout: 10) }.contains("200 OK"))
            let refused = try RawHTTPStream(port: port, path: path)
            let answer = try await refused.off { try $0.read(until: "\r\n\r\n", timeout: 10) }
            refused.close()
            #expect(answer.hasPrefix("HTTP/1.1 429"), "\(answer)")
            #expect(answer.lowercased().contains("retry-after: 60"))

            first.close()
            let closedAt = Date()
            var admitted = false
            while !admitted, Date().timeIntervalSince(closedAt) < 2 {
                let next = try RawHTTPStream(port: port, path: path)
                admitted = (try? await next.off { try $0.read(until: "\r\n\r\n", timeout: 2) })?.hasPrefix("HTTP/1.1 200") == true
                next.close()
                if !admitted { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(admitted, "the closed stream's place came back within 2 s")
        }
    }
}
