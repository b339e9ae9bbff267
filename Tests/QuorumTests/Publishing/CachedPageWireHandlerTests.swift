import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// The wire tier of the cached-page fast path, in the same pipeline the server builds: raw bytes in, raw bytes
/// out, with the real HTTP/1 decoder and encoder behind it and the application's side read from the end.
@Suite struct CachedPageWireHandlerTests {
    static let html = "<!doctype html><title>Cached</title><p>Same for every reader.</p>"

    static func pipeline() throws -> (EmbeddedChannel, CachedPage) {
        let cache = PageCache(bus: LocalInvalidationBus())
        let page = CachedPage(html: html, lastModified: Timestamp(milliseconds: 1_700_000_000_000), cacheControl: PageCache.cacheControl)
        cache.store("/article/cached", page, tags: [.article("cached")], renderedAt: cache.generation)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.pipeline.syncOperations.addHandler(CachedPageChannelHandler(cache: cache, installsWireTier: true))
        return (channel, page)
    }

    /// Everything written to the socket so far, as text.
    static func sent(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { text += String(buffer: buffer) }
        }
        return text
    }

    /// The requests that reached the application (heads only, by path).
    static func reachedApplication(_ channel: EmbeddedChannel) throws -> [String] {
        var paths: [String] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .head(let head) = part { paths.append(head.path ?? "") }
        }
        return paths
    }

    static func count(_ text: String, _ marker: String) -> Int { text.components(separatedBy: marker).count - 1 }

    @Test func aPlainGetIsAnsweredFromItsBytes() throws {
        let (channel, page) = try Self.pipeline()
        try channel.writeInbound(ByteBuffer(string: "GET /article/cached HTTP/1.1\r\nHost: news.example\r\nAccept: */*\r\n\r\n"))
        let text = try Self.sent(channel)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("\r\nETag: \(page.etag)\r\n"))
        #expect(text.contains("\r\nContent-Length: \(Self.html.utf8.count)\r\n"))
        #expect(text.contains("\r\nCache-Control: \(PageCache.cacheControl)\r\n"))
        #expect(text.contains("\r\nDate: ") && text.contains(" GMT\r\n"))
        #expect(text.hasSuffix("\r\n\r\n" + Self.html))
        #expect(try Self.reachedApplication(channel).isEmpty)
    }

    @Test func pipelinedAndSplitRequestsAreAllAnswered() throws {
        let (channel, _) = try Self.pipeline()
        let get = "GET /article/cached HTTP/1.1\r\nHost: x\r\n\r\n"
        try channel.writeInbound(ByteBuffer(string: get + get + get))
        #expect(Self.count(try Self.sent(channel), "HTTP/1.1 200 OK") == 3)
        // One byte at a time: nothing until the blank line, then exactly one answer.
        for (offset, byte) in get.utf8.enumerated() {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            let text = try Self.sent(channel)
            #expect(text.isEmpty == (offset < get.utf8.count - 1))
        }
        #expect(try Self.reachedApplication(channel).isEmpty)
    }

    @Test func aClientHoldingTheVersionGets304() throws {
        let (channel, page) = try Self.pipeline()
        try channel.writeInbound(ByteBuffer(string: "GET /article/cached HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(page.etag)\r\n\r\n"))
        let text = try Self.sent(channel)
        #expect(text.hasPrefix("HTTP/1.1 304 Not Modified\r\n"))
        #expect(!text.contains("<title>"))
        try channel.writeInbound(ByteBuffer(string: "GET /article/cached HTTP/1.1\r\nif-modified-since: \(page.lastModified)\r\n\r\n"))
        #expect(try Self.sent(channel).hasPrefix("HTTP/1.1 304 Not Modified\r\n"))
    }

    @Test(arguments: [
        "GET /article/other HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /article/cached?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /article/%63ached HTTP/1.1\r\nHost: x\r\n\r\n",
        "HEAD /article/cached HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nCookie: quorum_session=abc\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nauthorization: Bearer t\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nConnection: Close\r\n\r\n",
        "POST /article/cached HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    ])
    func requestsThatMayDifferPerReaderReachTheApplicationWhole(raw: String) throws {
        let (channel, _) = try Self.pipeline()
        try channel.writeInbound(ByteBuffer(string: raw))
        #expect(try Self.sent(channel).isEmpty, "the application answers it")
        #expect(try Self.reachedApplication(channel).count == 1)
    }

    @Test func aRequestPassedOnKeepsTheNextOneWaitingForItsTurn() throws {
        let (channel, _) = try Self.pipeline()
        let get = "GET /article/cached HTTP/1.1\r\nHost: x\r\n\r\n"
        try channel.writeInbound(ByteBuffer(string: "POST /comments HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + get))
        #expect(try Self.sent(channel).isEmpty, "the cached page must not overtake the POST's answer")
        #expect(try Self.reachedApplication(channel) == ["/comments", "/article/cached"])
        // The application answers both in order; then the wire tier takes requests again.
        for body in ["posted", "page"] {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "\(body.count)"])))
            try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: body)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        let answered = try Self.sent(channel)
        #expect(try #require(answered.range(of: "posted")).lowerBound < (try #require(answered.range(of: "page"))).lowerBound)
        try channel.writeInbound(ByteBuffer(string: get))
        #expect(try Self.sent(channel).contains(Self.html))
        #expect(try Self.reachedApplication(channel).isEmpty)
    }

    @Test func aBodyGoesToTheApplicationAsItArrives() throws {
        let (channel, _) = try Self.pipeline()
        try channel.writeInbound(ByteBuffer(string: "POST /comments HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n"))
        var parts: [HTTPRequestPart] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
        #expect(parts.count == 1, "the head reaches the application before any of the body (it may answer 100 or refuse)")
        try channel.writeInbound(ByteBuffer(string: "abc"))
        try channel.writeInbound(ByteBuffer(string: "defghij" + "GET /article/cached HTTP/1.1\r\nHost: x\r\n\r\n"))
        var body = ""
        var ends = 0, heads = 0
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            switch part {
            case .head: heads += 1
            case .body(let buffer): body += String(buffer: buffer)
            case .end: ends += 1
            }
        }
        #expect(body == "abcdefghij", "byte for byte")
        #expect(ends == 2 && heads == 1, "the POST ended, and the GET behind it waits its turn")
    }

    @Test func misalignedReadsKeepBeingAnswered() throws {
        let (channel, _) = try Self.pipeline()
        try channel.writeInbound(ByteBuffer(string: "G"))
        for _ in 0..<200 { try channel.writeInbound(ByteBuffer(string: "ET /article/cached HTTP/1.1\r\nHost: x\r\n\r\nG")) }
        #expect(Self.count(try Self.sent(channel), "HTTP/1.1 200 OK") == 200)
    }

    @Test func aRequestTheDecoderRefusesIsNeverOvertaken() throws {
        let (channel, _) = try Self.pipeline()
        let get = "GET /article/cached HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(throws: (any Error).self) { try channel.writeInbound(ByteBuffer(string: "FOO / HTTP/1.1\r\nHost: a\r\n\r\n" + get)) }
        #expect(!(try Self.sent(channel)).contains("200 OK"))
        #expect(throws: (any Error).self) { try channel.writeInbound(ByteBuffer(string: get)) }
        #expect(!(try Self.sent(channel)).contains("200 OK"), "the 400 for the refused request must come first")
    }

    @Test func afterAnUpgradeRequestTheConnectionIsTheDecoders() throws {
        let (channel, _) = try Self.pipeline()
        let wire = try channel.pipeline.syncOperations.handler(type: CachedPageWireHandler.self)
        try channel.writeInbound(ByteBuffer(string: "GET /socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n"))
        #expect(wire.passThrough)
        try? channel.writeInbound(ByteBuffer(string: "GET /article/cached HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try Self.sent(channel).isEmpty)
    }

    @Test func cacheHitsWaitWhileTheClientIsNotReading() throws {
        let (channel, _) = try Self.pipeline()
        channel.isWritable = false
        try channel.writeInbound(ByteBuffer(string: "GET /article/cached HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try Self.sent(channel).isEmpty)
        #expect(try Self.reachedApplication(channel) == ["/article/cached"], "queued behind the application's backpressure")
    }

    /// Requests whose framing the wire tier does not vouch for go to the decoder, and so does everything after
    /// them on the connection.
    @Test(arguments: [
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nContent-Length\u{0B}: 5\r\n\r\nGET /article/cached HTTP/1.1\r\n\r\n",
        "GET /article/cached HTTP/1.1\r\nX-Note: a\u{01}b\r\n\r\n",
        "G<T /article/cached HTTP/1.1\r\n\r\n",
        "GET /article/cached HTTP/1.1\nHost: x\n\n",
        "GET /article/cached HTTP/1.1\r\nHost: x\rY\r\n\r\n",
        "GET  /article/cached HTTP/1.1\r\n\r\n",
        "\r\nGET /article/cached HTTP/1.1\r\n\r\n",
    ])
    func unusualFramingTurnsTheConnectionToPassThrough(raw: String) throws {
        let (channel, _) = try Self.pipeline()
        let wire = try channel.pipeline.syncOperations.handler(type: CachedPageWireHandler.self)
        // The decoder may refuse the request, or read it: either way it is the decoder's from now on.
        try? channel.writeInbound(ByteBuffer(string: raw))
        #expect(wire.passThrough)
    }

    @Test func anOversizedHeadIsLeftToTheDecoderAndTheSecondTierStillAnswers() throws {
        let (channel, _) = try Self.pipeline()
        let wire = try channel.pipeline.syncOperations.handler(type: CachedPageWireHandler.self)
        let filler = String(repeating: "a", count: CachedPageWireHandler.maximumHead)
        try channel.writeInbound(ByteBuffer(string: "GET /article/cached HTTP/1.1\r\nX-Filler: \(filler)\r\n\r\n"))
        #expect(wire.passThrough)
        #expect(try Self.sent(channel).hasPrefix("HTTP/1.1 200 OK"), "decoded, then answered by the second tier")
        #expect(try Self.reachedApplication(channel).isEmpty)
    }

    @Test func theHeadParserReadsOnlyWhatItVouchesFor() throws {
        func parse(_ text: String) -> WireRequestHead.Parsed {
            Array(text.utf8).withUnsafeBytes { WireRequestHead.parse($0, maximumHead: 1024) }
        }
        #expect(parse("GET /a HTTP/1.1\r\nHost: x\r\n") == .incomplete(scanned: 26))
        #expect(parse("GET /a HTTP/1.1\r\nHost: x\r\n\r") == .incomplete(scanned: 27))
        #expect(parse("GET /a HTTP/1.1\r\nHost: x\r\n\r\n") == .request(.init(headLength: 28, bodyLength: 0, isPlainGet: true, path: "/a")))
        guard case .request(let head) = parse("GET /b HTTP/1.1\r\nHost: x\r\nIF-NONE-MATCH:  \"1\" \r\nIf-None-Match: \"2\"\r\nContent-Length: 0\r\n\r\n") else {
            Issue.record("not parsed"); return
        }
        #expect(head.ifNoneMatch == "\"1\", \"2\"")
        #expect(head.isPlainGet)
        #expect(parse("GET /a HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n") == .unusable)
        guard case .request(let post) = parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 000123456789\r\n\r\n") else {
            Issue.record("not parsed"); return
        }
        #expect(post.bodyLength == 123_456_789)
        #expect(!post.isPlainGet && !post.leavesConnectionToDecoder)
        for raw in ["GET /a HTTP/1.0\r\nHost: x\r\n\r\n", "GET /a HTTP/1.1\r\nProxy-Connection: keep-alive\r\n\r\n",
                    "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /a HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: x\r\n\r\n"] {
            guard case .request(let head) = parse(raw) else { Issue.record("not parsed: \(raw)"); continue }
            #expect(head.leavesConnectionToDecoder, "\(raw)")
        }
        #expect(parse("FOO /a HTTP/1.1\r\n\r\n") == .unusable, "a method the decoder does not know")
        #expect(parse("get /a HTTP/1.1\r\n\r\n") == .unusable)
        guard case .request(let hostless) = parse("GET /a HTTP/1.1\r\n\r\n") else { Issue.record("not parsed"); return }
        #expect(!hostless.isPlainGet, "exactly one Host")
        #expect(parse(String(repeating: "x", count: 2048)) == .unusable)
        #expect(parse("GET /a HTTP/1.1\r\nX: \u{0}\r\n\r\n") == .unusable)
    }
}
