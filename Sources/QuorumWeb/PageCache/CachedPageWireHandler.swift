import Foundation
import HTTPTypes
import NIOCore
import QuorumBus
import QuorumMail

import QuorumStore

/// The first tier of the cached-page fast path: at the very front of a connection's pipeline, it reads the
/// bytes as they arrive and answers requests for cached pages straight from them, with the response's bytes
/// prepared once per page and second, before the HTTP/1 decoder, the type conversions and the encoder run.
///
/// It is deliberately narrow. It takes a request only when its head is complete, well-formed, plain
/// HTTP/1.1, a `GET` without a body that every reader gets the same answer to, for a page in the cache, and
/// nothing on the connection is still being answered by the application. Every other complete request is
/// handed to the decoder as the exact bytes it arrived as, one whole request at a time, so the decoder always
/// starts at a request boundary (a body is passed on as it arrives, counted by its `Content-Length`). Anything
/// it does not fully understand (a chunked body, repeated or odd `Content-Length`, folded or malformed header
/// lines, bare line feeds, a method the decoder does not know, an oversized head) or after which the decoder may
/// stop reading requests (an upgrade, `CONNECT`, HTTP/1.0, `Connection: close`) switches the connection to
/// plain pass-through for good: from then on the decoder alone reads it, and the second tier
/// (``CachedPageChannelHandler``, which installs this one) still answers cache hits after decoding. Cache hits
/// are answered only while the connection is writable; otherwise they queue behind the application's answers.
final class CachedPageWireHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Heads longer than this are left to the decoder (which has its own, larger limits).
    static let maximumHead = 16 * 1024

    private let cache: PageCache
    /// The second tier on the same connection: it knows whether a response is still owed.
    private weak var decoded: CachedPageChannelHandler?
    /// Bytes of a head that has not fully arrived, and how far they were already scanned for its end.
    private var held: ByteBuffer?
    private var scanned = 0
    /// Body bytes of the request being passed on that are still to come: they go to the decoder as they arrive.
    private var bodyRemaining = 0
    private(set) var passThrough = false
    private var needsFlush = false
    private var dated = DatedHeadCache<ByteBuffer>()

    init(cache: PageCache, decoded: CachedPageChannelHandler) {
        self.cache = cache
        self.decoded = decoded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if passThrough {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        var buffer: ByteBuffer
        if var held {
            self.held = nil
            held.writeBuffer(&incoming)
            buffer = held
        } else {
            buffer = incoming
        }
        while buffer.readableBytes > 0 {
            if bodyRemaining > 0 {
                let count = min(bodyRemaining, buffer.readableBytes)
                bodyRemaining -= count
                context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: count)!))
                continue
            }
            let parsed = buffer.withUnsafeReadableBytes { WireRequestHead.parse($0, maximumHead: Self.maximumHead, resumingAt: scanned) }
            switch parsed {
            case .incomplete(let scannedTo):
                scanned = scannedTo
                buffer.discardReadBytes()
                held = buffer
                return
            case .unusable:
                passThrough = true
                context.fireChannelRead(wrapInboundOut(buffer))
                return
            case .request(let head):
                scanned = 0
                if head.isPlainGet, decoded?.isIdle == true, context.channel.isWritable,
                   let response = response(to: head, peer: context.channel.remoteAddress) {
                    buffer.moveReaderIndex(forwardBy: head.headLength)
                    context.write(wrapOutboundOut(response.head), promise: nil)
                    if let body = response.body { context.write(wrapOutboundOut(body), promise: nil) }
                    needsFlush = true
                    continue
                }
                // Passed on as it arrived: the head and what is here of the body now, the rest of the body as it
                // comes. The decoder reads the head at once, so the second tier knows an answer is owed before
                // the next request is looked at.
                let total = head.headLength + head.bodyLength
                let now = min(total, buffer.readableBytes)
                bodyRemaining = total - now
                context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: now)!))
                if head.leavesConnectionToDecoder {
                    passThrough = true
                    if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
                    return
                }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    /// Bytes still held when the connection ends go to the decoder, which decides what they were.
    func channelInactive(context: ChannelHandlerContext) {
        if let held, held.readableBytes > 0 {
            self.held = nil
            context.fireChannelRead(wrapInboundOut(held))
        }
        context.fireChannelInactive()
    }

    private func response(to head: WireRequestHead, peer: SocketAddress?) -> (head: ByteBuffer, body: ByteBuffer?)? {
        let counted = head.counted
        guard let page = cache.anonymousPage(path: head.path, cookie: counted.cookie.map { Substring($0) }, view: { reader in
            PageView(path: head.path, peer: peer, userAgent: counted.userAgent.map { Substring($0) },
                     forwardedFor: counted.forwardedFor.map { Substring($0) }, referer: counted.referer.map { Substring($0) },
                     isPrefetch: PageView.isPrefetch(purpose: counted.purpose), reader: reader)
        }) else { return nil }
        // Only what the reply reads: the conditional headers and the encoding.
        var fields = HTTPFields()
        if let match = head.ifNoneMatch { fields[.ifNoneMatch] = match }
        if let since = head.ifModifiedSince { fields[.ifModifiedSince] = since }
        if head.acceptsGzip { fields[.acceptEncoding] = "gzip" }
        let reply = page.reply(to: fields)
        return (dated.head(reply.head, of: page, build: Self.bytes(of:)), reply.body)
    }

    /// A head as HTTP/1.1 bytes, as NIO's encoder would write it.
    private static func bytes(of head: HTTPResponse) -> ByteBuffer {
        var text = "HTTP/1.1 \(head.status.code) \(head.status.reasonPhrase)\r\n"
        for field in head.headerFields { text += "\(field.name.rawName): \(field.value)\r\n" }
        text += "\r\n"
        return ByteBuffer(string: text)
    }
}

/// What the wire tier needs to know of a request head, read strictly from its bytes.
struct WireRequestHead: Equatable {
    /// Bytes up to and including the blank line.
    var headLength: Int
    /// From a single, all-digit `Content-Length`; 0 without one.
    var bodyLength: Int
    /// A `GET` over HTTP/1.1 with one `Host`, without a body, cookie, credentials, query, escapes, or a wish
    /// to close, upgrade or expect: a request every reader gets the same answer to.
    var isPlainGet: Bool
    /// After this request the decoder may stop reading the connection as HTTP/1.1 requests (an upgrade,
    /// `CONNECT`, HTTP/1.0, a wish to close): the wire tier steps aside for good.
    var leavesConnectionToDecoder = false
    var path: Substring
    var ifNoneMatch: String?
    var ifModifiedSince: String?
    /// `Accept-Encoding` takes gzip (the cached page's compressed variant is sent).
    var acceptsGzip = false
    /// What the variant and the readership count read (cookie, User-Agent, X-Forwarded-For, Referer, purpose).
    var counted = CountedFields()

    struct CountedFields: Equatable {
        var cookie: String?
        var userAgent: String?
        var forwardedFor: String?
        var referer: String?
        var purpose: String?
    }

    enum Parsed: Equatable {
        /// The head has not fully arrived yet; its bytes up to `scanned` hold no blank line.
        case incomplete(scanned: Int)
        /// Not a head this reader vouches for: leave the connection to the decoder.
        case unusable
        case request(WireRequestHead)
    }

    /// Methods the decoder knows, which the wire tier passes on; any other leaves the connection to the decoder.
    static let methods: [[UInt8]] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT"].map { Array($0.utf8) }

    static func parse(_ bytes: UnsafeRawBufferPointer, maximumHead: Int, resumingAt resume: Int = 0) -> Parsed {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        // Up to the blank line; every CR must be followed by LF and every LF preceded by CR, no NUL.
        var end = -1
        var index = max(resume, 0)
        while index < min(bytes.count, maximumHead) {
            let byte = bytes[index]
            if byte == lf {
                guard index > 0, bytes[index - 1] == cr else { return .unusable }
                if index >= 3, bytes[index - 2] == lf, bytes[index - 3] == cr {
                    end = index + 1
                    break
                }
            } else if byte == 0 || (index > 0 && bytes[index - 1] == cr) {
                return .unusable
            }
            index += 1
        }
        guard end > 0 else { return bytes.count >= maximumHead ? .unusable : .incomplete(scanned: index) }

        // The request line: METHOD SP TARGET SP VERSION.
        guard let lineEnd = firstIndex(of: cr, in: bytes, from: 0, to: end),
              let firstSpace = firstIndex(of: UInt8(ascii: " "), in: bytes, from: 0, to: lineEnd), firstSpace > 0,
              let secondSpace = firstIndex(of: UInt8(ascii: " "), in: bytes, from: firstSpace + 1, to: lineEnd),
              secondSpace > firstSpace + 1,
              firstIndex(of: UInt8(ascii: " "), in: bytes, from: secondSpace + 1, to: lineEnd) == nil
        else { return .unusable }
        let method = UnsafeRawBufferPointer(rebasing: bytes[0..<firstSpace])
        guard methods.contains(where: { method.elementsEqual($0) }) else { return .unusable }
        let version = UnsafeRawBufferPointer(rebasing: bytes[(secondSpace + 1)..<lineEnd])
        let isHTTP11 = version.elementsEqual("HTTP/1.1".utf8)
        guard isHTTP11 || version.elementsEqual("HTTP/1.0".utf8) else { return .unusable }
        let target = UnsafeRawBufferPointer(rebasing: bytes[(firstSpace + 1)..<secondSpace])
        let isGet = firstSpace == 3 && UnsafeRawBufferPointer(rebasing: bytes[0..<3]).elementsEqual("GET".utf8)
        let plainTarget = target.first == UInt8(ascii: "/") && !target.contains {
            $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "#") || $0 < 0x21 || $0 > 0x7E
        }
        var head = WireRequestHead(
            headLength: end, bodyLength: 0, isPlainGet: isGet && isHTTP11 && plainTarget,
            path: plainTarget ? Substring(String(decoding: target, as: UTF8.self)) : ""
        )
        if !isHTTP11 || method.elementsEqual("CONNECT".utf8) { head.leavesConnectionToDecoder = true }
        var hosts = 0

        // Header lines: NAME ":" OWS VALUE OWS.
        var lineStart = lineEnd + 2
        var sawLength = false
        while lineStart < end - 2 {
            guard let lineStop = firstIndex(of: cr, in: bytes, from: lineStart, to: end),
                  let colon = firstIndex(of: UInt8(ascii: ":"), in: bytes, from: lineStart, to: lineStop), colon > lineStart
            else { return .unusable }
            let name = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<colon])
            // Folded lines, names that are not tokens and values with control characters are left to the
            // decoder to refuse: the two must never disagree on where a request ends.
            guard name.allSatisfy(isTokenCharacter) else { return .unusable }
            var valueStart = colon + 1, valueEnd = lineStop
            while valueStart < valueEnd, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == UInt8(ascii: "\t") { valueEnd -= 1 }
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            guard !value.contains(where: { ($0 < 0x20 && $0 != UInt8(ascii: "\t")) || $0 == 0x7F }) else { return .unusable }
            lineStart = lineStop + 2

            switch name.count {
            case 14 where matches(name, "content-length"):
                guard !sawLength, !value.isEmpty, value.count <= 12, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    return .unusable
                }
                sawLength = true
                head.bodyLength = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                if head.bodyLength > 0 { head.isPlainGet = false }
            case 17 where matches(name, "transfer-encoding"):
                return .unusable
            case 4 where matches(name, "host"):
                hosts += 1
            case 6 where matches(name, "cookie"):
                // The cookie only picks the page's public variant (``ReaderClass``), checked when it is looked up.
                let text = String(decoding: value, as: UTF8.self)
                head.counted.cookie = head.counted.cookie.map { "\($0); \(text)" } ?? text
            case 10 where matches(name, "user-agent"):
                if head.counted.userAgent != nil { head.isPlainGet = false }
                head.counted.userAgent = String(decoding: value, as: UTF8.self)
            case 15 where matches(name, "x-forwarded-for"):
                let text = String(decoding: value, as: UTF8.self)
                head.counted.forwardedFor = head.counted.forwardedFor.map { "\($0), \(text)" } ?? text
            case 7 where matches(name, "referer"):
                head.counted.referer = String(decoding: value, as: UTF8.self)
            case 11 where matches(name, "sec-purpose"), 7 where matches(name, "purpose"), 5 where matches(name, "x-moz"),
                 9 where matches(name, "x-purpose"):
                head.counted.purpose = String(decoding: value, as: UTF8.self)
            case 13 where matches(name, "authorization"), 6 where matches(name, "expect"):
                head.isPlainGet = false
            case 7 where matches(name, "upgrade"), 16 where matches(name, "proxy-connection"):
                head.isPlainGet = false
                head.leavesConnectionToDecoder = true
            case 10 where matches(name, "connection"):
                let tokens = String(decoding: value, as: UTF8.self).lowercased()
                if tokens.contains("close") || tokens.contains("upgrade") {
                    head.isPlainGet = false
                    head.leavesConnectionToDecoder = true
                }
            case 13 where matches(name, "if-none-match"):
                let text = String(decoding: value, as: UTF8.self)
                head.ifNoneMatch = head.ifNoneMatch.map { "\($0), \(text)" } ?? text
            case 15 where matches(name, "accept-encoding"):
                head.acceptsGzip = Compression.acceptsGzip(value)
            case 17 where matches(name, "if-modified-since"):
                if head.ifModifiedSince != nil { head.isPlainGet = false }
                head.ifModifiedSince = String(decoding: value, as: UTF8.self)
            default:
                break
            }
        }
        if hosts != 1 { head.isPlainGet = false }
        return .request(head)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// ASCII case-insensitive comparison with a lower-case name.
    private static func matches(_ name: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        guard name.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)
        for index in 0..<name.count {
            var byte = name[index]
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte += 32 }
            guard byte == expected[index] else { return false }
        }
        return true
    }
}
