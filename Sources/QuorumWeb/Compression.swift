import CompressNIO
import Hummingbird
import NIOCore

/// gzip for responses: cached pages are compressed once, when they are stored (``CachedPage``), at the best
/// level; other responses over ``threshold`` bytes are compressed as they are sent (``CompressionMiddleware``),
/// at zlib's default level. Brotli is not offered: no brotli library is among the packages here.
public enum Compression {
    /// Below this, gzip's header and a round trip of work are not worth it.
    public static let threshold = 1024

    /// `bytes` gzip-compressed, or nil if compressing does not make them smaller.
    public static func gzip(_ bytes: ByteBuffer, best: Bool) -> ByteBuffer? {
        var input = bytes
        let level: ZlibConfiguration.CompressionLevel = best ? .bestCompression : .defaultCompressionLevel
        guard let compressed = try? input.compress(with: .gzip(configuration: .init(compressionLevel: level))),
              compressed.readableBytes < bytes.readableBytes
        else { return nil }
        return compressed
    }

    /// The bytes a gzip body holds (for checks of what was sent).
    package static func gunzip(_ bytes: ByteBuffer) throws -> ByteBuffer {
        var input = bytes
        return try input.decompress(with: .gzip())
    }

    /// Whether a response in this content type is text worth compressing (images and fonts already are).
    public static func isCompressible(contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        if type.hasPrefix("text/event-stream") { return false }
        return type.hasPrefix("text/") || type.hasPrefix("application/json") || type.hasPrefix("application/xml")
            || type.hasPrefix("application/atom+xml") || type.hasPrefix("application/javascript") || type.hasPrefix("image/svg+xml")
            || type.hasPrefix("image/x-icon")
    }

    /// Whether an `Accept-Encoding` value takes gzip: `gzip` (or, failing that, `*`) with a `q` that is not zero.
    public static func acceptsGzip(_ value: some Collection<UInt8>) -> Bool {
        // The common case, codings without parameters ("gzip, deflate, br"), is read without allocating: each
        // coding's lower-cased bytes packed into one integer.
        if !value.contains(UInt8(ascii: ";")) {
            var packed: UInt64 = 0, length = 0
            func accepted() -> Bool { (length == 4 && packed == 0x677A_6970) || (length == 6 && packed == 0x782D_677A_6970) || (length == 1 && packed == 0x2A) }
            for byte in value {
                switch byte {
                case UInt8(ascii: ","):
                    if accepted() { return true }
                    packed = 0
                    length = 0
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    continue
                default:
                    length += 1
                    if length <= 8 { packed = packed << 8 | UInt64(byte >= 65 && byte <= 90 ? byte + 32 : byte) }
                }
            }
            return accepted()
        }
        func trimmed(_ part: some Collection<UInt8>) -> [UInt8] {
            part.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        }
        var gzip: Bool?, star: Bool?
        for item in value.split(separator: UInt8(ascii: ",")) {
            let parts = item.split(separator: UInt8(ascii: ";"))
            guard let first = parts.first else { continue }
            let name = trimmed(first)
            var allowed = true
            for parameter in parts.dropFirst() {
                let text = trimmed(parameter)
                if text.starts(with: "q=".utf8) {
                    allowed = !text.dropFirst(2).allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: ".") }
                }
            }
            if name == Array("gzip".utf8) || name == Array("x-gzip".utf8) { gzip = allowed } else if name == [UInt8(ascii: "*")] { star = allowed }
        }
        return gzip ?? star ?? false
    }
}

/// Compresses uncached responses over ``Compression/threshold`` for clients that take gzip, with
/// `Vary: Accept-Encoding`. Bodies of unknown length (live event streams) and responses already encoded (the
/// page cache's gzip variants) pass untouched.
package struct CompressionMiddleware: RouterMiddleware {
    package typealias Context = QuorumContext

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard response.status == .ok, request.method != .head, response.headers[.contentEncoding] == nil,
              let length = response.body.contentLength, length >= Compression.threshold,
              Compression.isCompressible(contentType: response.headers[.contentType]),
              let accept = request.headers[.acceptEncoding], Compression.acceptsGzip(accept.utf8)
        else { return response }
        let collector = BodyCollector()
        try await response.body.write(CollectingWriter(collector: collector))
        guard let compressed = Compression.gzip(collector.buffer, best: false) else {
            return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: collector.buffer))
        }
        var headers = response.headers
        headers[.contentEncoding] = "gzip"
        headers[.vary] = "Accept-Encoding"
        headers[.contentLength] = nil
        if let etag = headers[.eTag], etag.hasSuffix("\"") { headers[.eTag] = String(etag.dropLast()) + "-gz\"" }
        return Response(status: response.status, headers: headers, body: .init(byteBuffer: compressed))
    }
}

/// Collects a response body written through ``CollectingWriter``.
final class BodyCollector: @unchecked Sendable {
    var buffer = ByteBuffer()
}

struct CollectingWriter: ResponseBodyWriter {
    let collector: BodyCollector

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        collector.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
