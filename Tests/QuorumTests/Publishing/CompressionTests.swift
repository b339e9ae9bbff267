import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import QuorumBus
@testable import QuorumStore
@testable import QuorumWeb

/// gzip: cached pages carry a variant compressed once, sent by the fast path to clients that take it; other
/// responses over the threshold are compressed as they go; `Vary: Accept-Encoding` wherever it matters.
@Suite struct CompressionTests {
    @Test func acceptEncodingIsReadAsHTTPSaysIt() {
        for yes in ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "*", "GZIP", "deflate, *;q=0.5", "x-gzip"] {
            #expect(Compression.acceptsGzip(yes.utf8), "\(yes)")
        }
        for no in ["", "identity", "br", "gzip;q=0", "gzip; q=0.000", "*;q=0", "gzip;q=0, *", "deflate"] {
            #expect(!Compression.acceptsGzip(no.utf8), "\(no)")
        }
    }

    static let html = "<!doctype html><p>" + String(repeating: "A newsroom page with words that repeat. ", count: 200) + "</p>"

    @Test func aCachedPageIsCompressedOnceAndChosenByAcceptEncoding() throws {
        let page = CachedPage(html: Self.html, lastModified: Timestamp(milliseconds: 1_700_000_000_000), cacheControl: PageCache.cacheControl)
        let gzip = try #require(page.gzipBody)
        #expect(gzip.readableBytes < page.body.readableBytes / 5)
        #expect(try Compression.gunzip(gzip) == page.body)
        let compressed = page.reply(to: [.acceptEncoding: "gzip, deflate"])
        #expect(compressed.head.headerFields[.contentEncoding] == "gzip")
        #expect(compressed.head.headerFields[.contentLength] == String(gzip.readableBytes))
        #expect(compressed.head.headerFields[.vary] == "Accept-Encoding")
        #expect(compressed.body == gzip)
        let plain = page.reply(to: [:])
        #expect(plain.head.headerFields[.contentEncoding] == nil && plain.body == page.body)
        #expect(plain.head.headerFields[.vary] == "Accept-Encoding")
        #expect(page.reply(to: [.acceptEncoding: "gzip", .ifNoneMatch: page.gzipETag]).head.status == .notModified)
        let tiny = CachedPage(html: "<p>hi</p>", lastModified: .now, cacheControl: PageCache.cacheControl)
        #expect(tiny.gzipBody == nil && tiny.reply(to: [.acceptEncoding: "gzip"]).head.headerFields[.contentEncoding] == nil)
    }

    /// Over real HTTP: the first request renders (through the router), the second comes from the fast path; both
    /// send the same compressed bytes, which hold the page.
    @Test(arguments: TestDatabases.kinds)
    func pagesAndLargeResponsesGoOutCompressed(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, _ in
            let plain = try await client.execute(uri: "/", method: .get)
            #expect(plain.status == .ok && plain.headers[.contentEncoding] == nil)
            var bodies: [ByteBuffer] = []
            for _ in 0..<2 {
                let response = try await client.execute(uri: "/", method: .get, headers: [.acceptEncoding: "gzip"])
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.vary] == "Accept-Encoding")
                #expect(response.headers[.contentSecurityPolicy] != nil)
                bodies.append(response.body)
            }
            #expect(bodies[0] == bodies[1])
            #expect(try Compression.gunzip(bodies[0]) == plain.body)

            // Not cached: the API document, compressed on the fly.
            let document = try await client.execute(uri: "/api/openapi.json", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(document.headers[.contentEncoding] == "gzip" && document.headers[.vary] == "Accept-Encoding")
            let whole = try await client.execute(uri: "/api/openapi.json", method: .get)
            #expect(whole.headers[.contentEncoding] == nil)
            #expect(try Compression.gunzip(document.body) == whole.body)
            // Small answers are sent as they are.
            let small = try await client.execute(uri: "/healthz", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(small.headers[.contentEncoding] == nil)
        }
    }
}
