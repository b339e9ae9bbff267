import Foundation
import Hummingbird
import NIOCore
import QuorumBus
import QuorumMail

import QuorumStore

/// A submitted `multipart/form-data` form (RFC 7578): the forms that carry a file.
///
/// The body is read up to a limit and no further. When it is longer, reading stops there and the parts that
/// arrived whole are kept (``truncated`` is set): browsers send fields in the order of the form, so a form that
/// puts its text fields (and the CSRF token) before the file input still has them, and the page can answer
/// 413 without losing what the editor typed.
public struct MultipartForm: Sendable {
    public struct Part: Sendable {
        public var name: String
        /// The file name the browser sent, as given: never use it as a path (see ``safeFileName``).
        public var filename: String?
        public var contentType: String?
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The file name's last component, without control characters, at most 200 characters: fit to show
        /// (escaped) to the person who sent it, never to build a path.
        public var safeFileName: String? {
            guard let filename else { return nil }
            var last = filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
            if last == "." || last == ".." { last = "" }
            let clean = String(String.UnicodeScalarView(last.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }))
            return clean.isEmpty ? nil : String(clean.prefix(200))
        }
    }

    public var parts: [Part]
    /// The body was longer than the limit: ``parts`` holds those that arrived whole before it.
    public var truncated: Bool

    /// The first text field called `name` (parts with a file name are files, not fields).
    public subscript(_ name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }?.text
    }

    /// The first file part called `name`.
    public func file(_ name: String) -> Part? {
        parts.first { $0.name == name && $0.filename != nil }
    }

    public static let maximumParts = 100

    /// How much of a form carrying one file of at most `maxBytes` is read: the file and room for its fields.
    public static func limit(forFilesOf maxBytes: Int) -> Int {
        maxBytes.addingReportingOverflow(64 * 1024).overflow ? .max : maxBytes + 64 * 1024
    }
    static let maximumHeaderBytes = 8 * 1024

    /// A body that is not well-formed multipart: 400, whatever else it carries.
    public static func malformed(_ problem: String) -> RequestError {
        RequestError(.badRequest, code: "malformed_multipart", "The form could not be read (\(problem)). Please submit it again from the page.")
    }

    /// Reads and parses the request's body, reading at most `limit` bytes of it.
    /// What was read stays readable: `request.body` is replaced by the bytes collected (a body can be read once),
    /// so a route that is not expecting a multipart form still gets the body rather than a failed second read.
    public static func read(_ request: inout Request, limit: Int) async throws -> MultipartForm {
        let boundary = try boundary(contentType: request.headers[.contentType] ?? "")
        var collected = ByteBuffer()
        var truncated = false
        for try await chunk in request.body {
            if collected.readableBytes + chunk.readableBytes > limit {
                var chunk = chunk
                if let head = chunk.readSlice(length: limit - collected.readableBytes) { collected.writeImmutableBuffer(head) }
                truncated = true
                break
            }
            collected.writeImmutableBuffer(chunk)
        }
        request.body = RequestBody(buffer: collected)
        return try parse(Array(collected.readableBytesView), boundary: boundary, truncated: truncated)
    }

    /// The `boundary` parameter of a `multipart/form-data` content type (quoted or not), or 400.
    public static func boundary(contentType: String) throws -> String {
        let (type, parameters) = HeaderValue.split(contentType)
        guard type == "multipart/form-data" else {
            throw RequestError(.unsupportedMediaType, code: "unsupported_media_type", "Please submit the form from the page.")
        }
        // RFC 2046: 1 to 70 characters, not ending with a space.
        guard let boundary = parameters["boundary"], (1...70).contains(boundary.utf8.count), !boundary.hasSuffix(" "),
              boundary.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
        else { throw malformed("no valid boundary") }
        return boundary
    }

    /// Parses a body whose parts are separated by `boundary`. With `truncated`, the body was cut short: the
    /// parts before the cut are returned; otherwise a missing closing delimiter is an error.
    public static func parse(_ bytes: [UInt8], boundary: String, truncated: Bool = false) throws -> MultipartForm {
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        let headerEnd: [UInt8] = [13, 10, 13, 10]
        var form = MultipartForm(parts: [], truncated: truncated)
        // The preamble (usually empty) ends at the first delimiter, at the very start or after a CRLF.
        var position: Int
        if bytes.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = ByteSearch.find(delimiter, in: bytes, from: 0) {
            position = found + delimiter.count
        } else {
            if truncated { return form }
            throw malformed("no boundary found")
        }
        while true {
            // After a delimiter: "--" closes the body; otherwise optional whitespace, then CRLF and a part.
            if bytes.count - position < 2 {
                if truncated { return form }
                throw malformed("the form ends unexpectedly")
            }
            if bytes[position] == UInt8(ascii: "-"), bytes[position + 1] == UInt8(ascii: "-") { return form }
            while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") { position += 1 }
            guard bytes[position...].starts(with: crlf) else {
                if truncated, bytes.count - position < 2 { return form }
                throw malformed("a boundary is followed by other text")
            }
            position += 2
            guard let headersEnd = ByteSearch.find(headerEnd, in: bytes, from: position, within: maximumHeaderBytes) else {
                if truncated, bytes.count - position < maximumHeaderBytes { return form }
                throw malformed("a part's headers do not end")
            }
            let headers = String(decoding: bytes[position..<headersEnd], as: UTF8.self)
            let bodyStart = headersEnd + headerEnd.count
            guard let bodyEnd = ByteSearch.find(delimiter, in: bytes, from: bodyStart) else {
                if truncated { return form }
                throw malformed("a part does not end")
            }
            guard form.parts.count < maximumParts else { throw malformed("too many parts") }
            var part = try Self.part(headers: headers)
            part.body = Array(bytes[bodyStart..<bodyEnd])
            form.parts.append(part)
            position = bodyEnd + delimiter.count
        }
    }

    /// A part from its header lines: `Content-Disposition: form-data; name="…"; filename="…"` is required.
    private static func part(headers: String) throws -> Part {
        var disposition: (value: String, parameters: [String: String])?
        var contentType: String?
        for line in headers.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw malformed("a part has a header without a colon") }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-disposition": disposition = HeaderValue.split(value)
            case "content-type": contentType = value
            default: continue
            }
        }
        guard let disposition, disposition.value == "form-data", let name = disposition.parameters["name"] else {
            throw malformed("a part has no form-data name")
        }
        return Part(name: name, filename: disposition.parameters["filename"], contentType: contentType, body: [])
    }
}

/// `type/subtype; name=value; name="quoted \"value\""`: the lowercased first item and the parameters
/// (names lowercased, quoted strings unescaped; the first of a repeated name wins).
enum HeaderValue {
    static func split(_ header: String) -> (value: String, parameters: [String: String]) {
        let scalars = Array(header.unicodeScalars)
        var index = 0
        func skipSpaces() { while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 } }
        func token(until stops: Set<Unicode.Scalar>) -> String {
            var text = String.UnicodeScalarView()
            while index < scalars.count, !stops.contains(scalars[index]) { text.append(scalars[index]); index += 1 }
            return String(text).trimmingCharacters(in: .whitespaces)
        }
        let value = token(until: [";"]).lowercased()
        var parameters: [String: String] = [:]
        while index < scalars.count {
            index += 1 // the ";"
            skipSpaces()
            let name = token(until: ["=", ";"]).lowercased()
            guard index < scalars.count, scalars[index] == "=" else { continue }
            index += 1
            skipSpaces()
            var parameter = String.UnicodeScalarView()
            if index < scalars.count, scalars[index] == "\"" {
                index += 1
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                    parameter.append(scalars[index])
                    index += 1
                }
                index += 1 // the closing quote
                _ = token(until: [";"]) // anything after it up to the next parameter
            } else {
                parameter = token(until: [";"]).unicodeScalars
            }
            if !name.isEmpty, parameters[name] == nil { parameters[name] = String(parameter) }
        }
        return (value, parameters)
    }
}

/// Finding a byte sequence in a larger one, without copying.
enum ByteSearch {
    /// The index where `needle` starts in `haystack` at or after `start` (and, with `within`, starting no
    /// later than `within` bytes after it), or nil.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, within: Int? = nil) -> Int? {
        guard !needle.isEmpty, haystack.count - start >= needle.count else { return nil }
        let lastStart = min(haystack.count - needle.count, within.map { start + $0 } ?? .max)
        guard start <= lastStart else { return nil }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                let first = pin[0]
                var index = start
                while index <= lastStart {
                    guard let found = memchr(hay.baseAddress! + index, Int32(first), lastStart - index + 1) else { return nil }
                    index = hay.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    if memcmp(hay.baseAddress! + index, pin.baseAddress!, needle.count) == 0 { return index }
                    index += 1
                }
                return nil
            }
        }
    }
}
