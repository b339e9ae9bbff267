import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing
@testable import Quorum

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
        #expect(parse("GET /a HTTP/1.1\r\nHost: x\r\n") == .incomplete)
        #expect(parse("GET /a HTTP/1.1\r\nHost: x\r\n\r") == .incomplete)
        #expect(parse("GET /a HTTP/1.1\r\nHost: x\r\n\r\n") == .request(.init(headLength: 28, bodyLength: 0, isPlainGet: true, path: "/a")))
        guard case .request(let head) = parse("GET /b HTTP/1.1\r\nIF-NONE-MATCH:  \"1\" \r\nIf-None-Match: \"2\"\r\nContent-Length: 0\r\n\r\n") else {
            Issue.record("not parsed"); return
        }
        #expect(head.ifNoneMatch == "\"1\", \"2\"")
        #expect(head.isPlainGet)
        #expect(parse("GET /a HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n") == .unusable)
        #expect(parse(String(repeating: "x", count: 2048)) == .unusable)
        #expect(parse("GET /a HTTP/1.1\r\nX: \u{0}\r\n\r\n") == .unusable)
    }
}
