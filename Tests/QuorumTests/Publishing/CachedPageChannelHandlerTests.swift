import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// The event-loop fast path for cached pages: which requests it answers, which it passes on, and that
/// responses keep their order on a connection.
@Suite struct CachedPageChannelHandlerTests {
    static let html = "<!doctype html><title>Cached</title><p>Same for every reader.</p>"

    /// A cache holding `/article/cached`, and a channel with the handler in it.
    static func channel() throws -> (EmbeddedChannel, CachedPage) {
        let cache = PageCache(bus: LocalInvalidationBus())
        let page = CachedPage(html: html, lastModified: Timestamp(milliseconds: 1_700_000_000_000), cacheControl: PageCache.cacheControl)
        cache.store("/article/cached", page, tags: [.article("cached")], renderedAt: cache.generation)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(CachedPageChannelHandler(cache: cache))
        return (channel, page)
    }

    static func request(_ path: String, method: HTTPRequest.Method = .get, _ headers: HTTPFields = [:]) -> HTTPRequestPart {
        .head(HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers))
    }

    /// Every response part written so far.
    static func written(_ channel: EmbeddedChannel) throws -> [HTTPResponsePart] {
        var parts: [HTTPResponsePart] = []
        while let part = try channel.readOutbound(as: HTTPResponsePart.self) { parts.append(part) }
        return parts
    }

    /// Every request part passed on so far.
    static func passedOn(_ channel: EmbeddedChannel) throws -> [HTTPRequestPart] {
        var parts: [HTTPRequestPart] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
        return parts
    }

    @Test func aConnectionReusesItsDatedHeadOnlyForTheSamePageAndStatus() {
        var cache = DatedHeadCache<HTTPResponse>()
        var builds = 0
        let page = CachedPage(html: Self.html, lastModified: Timestamp(milliseconds: 1_700_000_000_000), cacheControl: PageCache.cacheControl)
        let republished = CachedPage(html: Self.html, lastModified: Timestamp(milliseconds: 1_800_000_000_000), cacheControl: PageCache.cacheControl)
        #expect(page.etag == republished.etag, "same body, other Last-Modified")
        let first = cache.head(page.okHead, of: page) { builds += 1; return $0 }
        #expect(first.headerFields[.date] != nil)
        _ = cache.head(page.okHead, of: page) { builds += 1; return $0 }
        #expect(builds <= 2, "the same page within a second is not rebuilt (at most once more at a second's turn)")
        let other = cache.head(republished.okHead, of: republished) { builds += 1; return $0 }
        #expect(other.headerFields[.lastModified] == republished.lastModified)
        let notModified = cache.head(republished.notModifiedHead, of: republished) { builds += 1; return $0 }
        #expect(notModified.status == .notModified)
    }

    @Test func pagesExpireEvenWithoutAnInvalidation() throws {
        let cache = PageCache(bus: LocalInvalidationBus())
        let page = CachedPage(html: Self.html, lastModified: Timestamp(milliseconds: 0), cacheControl: PageCache.cacheControl)
        let now = 1_800_000_000
        cache.store("/old", page, tags: [.front], renderedAt: cache.generation, now: now - PageCache.maximumAge)
        cache.store("/recent", page, tags: [.front], renderedAt: cache.generation, now: now - 10)
        #expect(cache.page("/old", now: now) == nil, "a change another instance could not announce is seen within maximumAge")
        #expect(cache.page("/recent", now: now) != nil)
    }

    @Test func anAnonymousGetForACachedPageIsAnsweredOnTheEventLoop() throws {
        let (channel, page) = try Self.channel()
        try channel.writeInbound(Self.request("/article/cached"))
        #expect(try Self.written(channel).isEmpty, "nothing is answered before the request has been read to its end")
        try channel.writeInbound(HTTPRequestPart.end(nil))
        let parts = try Self.written(channel)
        #expect(parts.count == 3)
        guard case .head(let head) = parts.first, case .body(let body) = parts[1], case .end = parts[2] else {
            Issue.record("unexpected parts \(parts)"); return
        }
        #expect(head.status == .ok)
        #expect(head.headerFields[.contentLength] == String(Self.html.utf8.count))
        #expect(head.headerFields[.eTag] == page.etag)
        #expect(head.headerFields[.contentType] == "text/html; charset=utf-8")
        #expect(head.headerFields[.cacheControl] == PageCache.cacheControl)
        let date = try #require(head.headerFields[.date], "an origin server with a clock sends Date")
        #expect(date.hasSuffix(" GMT") && date.count == 29, "IMF-fixdate, as \(date)")
        #expect(String(buffer: body) == Self.html)
        #expect(try Self.passedOn(channel).isEmpty, "the application never saw it")
    }

    @Test func aClientHoldingTheVersionGets304WithoutABody() throws {
        let (channel, page) = try Self.channel()
        try channel.writeInbound(Self.request("/article/cached", [.ifNoneMatch: "W/\"other\", \(page.etag)"]))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        let parts = try Self.written(channel)
        guard case .head(let head) = parts.first else { Issue.record("no head"); return }
        #expect(head.status == .notModified)
        #expect(parts.count == 2, "head and end, no body")
        try channel.writeInbound(Self.request("/article/cached", [.ifModifiedSince: page.lastModified]))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        guard case .head(let second) = try Self.written(channel).first else { Issue.record("no head"); return }
        #expect(second.status == .notModified)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let path: String
        var method = HTTPRequest.Method.get
        var headers: HTTPFields = [:]
        var testDescription: String { "\(method) \(path) \(headers)" }
    }

    @Test(arguments: [
        Case(path: "/article/other"),
        Case(path: "/article/cached?page=2"),
        Case(path: "/article/cached", method: .post),
        Case(path: "/article/cached", method: .head),
        Case(path: "/article/cached", headers: [.cookie: "quorum_session=abc"]),
        Case(path: "/article/cached", headers: [.authorization: "Bearer token"]),
        Case(path: "/article/cached", headers: [.connection: "close"]),
        Case(path: "/article/%63ached"),
    ])
    func requestsThatMayDifferPerReaderArePassedOn(_ test: Case) throws {
        let (channel, _) = try Self.channel()
        try channel.writeInbound(Self.request(test.path, method: test.method, test.headers))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "x")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try Self.written(channel).isEmpty)
        #expect(try Self.passedOn(channel).count == 3, "head, body and end reach the application")
    }

    @Test func whileAResponseIsOwedLaterRequestsWaitTheirTurn() throws {
        let (channel, _) = try Self.channel()
        // The first request goes to the application, which has not answered yet.
        try channel.writeInbound(Self.request("/slow"))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        // A cached page pipelined behind it must not overtake its response.
        try channel.writeInbound(Self.request("/article/cached"))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try Self.passedOn(channel).count == 4)
        #expect(try Self.written(channel).isEmpty)
        // The application answers both, in order…
        for body in ["slow", "cached"] {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: body)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        #expect(try Self.written(channel).count == 6)
        // …and once nothing is owed, the fast path takes requests again.
        try channel.writeInbound(Self.request("/article/cached"))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try Self.passedOn(channel).isEmpty)
        #expect(try Self.written(channel).count == 3)
    }

    @Test func aBodySentWithACachedGetIsDroppedWithItsRequest() throws {
        let (channel, _) = try Self.channel()
        try channel.writeInbound(Self.request("/article/cached", [.contentLength: "5"]))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "hello")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeInbound(Self.request("/next"))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try Self.written(channel).count == 3)
        let passed = try Self.passedOn(channel)
        #expect(passed.count == 2, "only the next request, whole")
        if case .head(let head) = passed.first { #expect(head.path == "/next") } else { Issue.record("expected the next head") }
    }

    /// Over a real server on loopback: pipelined requests on one connection, a slow one passed on first, are
    /// answered in order; cached pages pipelined together are all answered.
    @Test(arguments: TestDatabases.kinds)
    func pipelinedRequestsOverLoopbackAreAnsweredInOrder(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind, configureRouter: { router in
            router.get("/test/slow") { _, _ in
                try await Task.sleep(for: .milliseconds(300))
                return "slow answer"
            }
        }) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            let article = try await Fixtures.published(store, Fixtures.input("pipelined", headline: "Pipelined headline"), at: Timestamp.now.adding(seconds: -60))
            let first = try await client.send("/article/\(article.slug)")
            #expect(first.status == .ok)
            let port = try #require(client.port)
            let get = "GET /article/\(article.slug) HTTP/1.1\r\nHost: localhost\r\n\r\n"
            let stream = try RawHTTPStream(port: port, raw: "GET /test/slow HTTP/1.1\r\nHost: localhost\r\n\r\n" + get + get)
            defer { stream.close() }
            let all = try stream.read(timeout: 10, what: "two pages") { $0.components(separatedBy: "</html>").count - 1 == 2 }
            let slow = try #require(all.range(of: "slow answer"))
            let page = try #require(all.range(of: "Pipelined headline"))
            #expect(slow.lowerBound < page.lowerBound, "the slow response comes first")
            #expect(all.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 3)
            #expect(all.components(separatedBy: "</html>").count - 1 == 2)
            // The same page again on a connection with nothing owed: from the fast path, byte for byte the same.
            let again = try RawHTTPStream(port: port, raw: get)
            defer { again.close() }
            let text = try again.read(until: "</html>", timeout: 10)
            #expect(text.hasSuffix(first.text), "the same bytes as the page the application rendered")
            #expect(text.contains("content-length: \(first.body.readableBytes)") || text.contains("Content-Length: \(first.body.readableBytes)"))
        }
    }
}
