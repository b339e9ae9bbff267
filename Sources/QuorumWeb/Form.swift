import Foundation
import Hummingbird
import QuorumBus
import QuorumMail

import QuorumStore

/// The fields of a submitted `application/x-www-form-urlencoded` form: the site's one form parser.
///
/// Hummingbird's `URLEncodedFormDecoder` decodes into `Decodable` types and refuses a name given twice, which
/// plain HTML forms do for every group of checkboxes (`flag`, `role`); this keeps each name's values in order.
public struct Form: Sendable {
    public private(set) var fields: [String: [String]] = [:]
    /// Forms are small; uploads use their own routes and limits.
    public static let maximumSize = 256 * 1024

    public init(fields: [String: [String]]) { self.fields = fields }

    public subscript(_ name: String) -> String? { fields[name]?.first }

    /// A required text field: trimmed, non-empty and at most `maximumLength` characters, or 400 naming it.
    public func required(_ name: String, label: String? = nil, maximumLength: Int = 1000) throws -> String {
        let value = (self[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw RequestError.badRequest("Please fill in \(label ?? name).", code: "missing_field") }
        guard value.count <= maximumLength else {
            throw RequestError.badRequest("\((label ?? name).capitalized) is too long (at most \(maximumLength) characters).", code: "field_too_long")
        }
        return value
    }

    /// Reads the request's form body (collected once; later reads see the same bytes).
    public static func read(_ request: inout Request, limit: Int = maximumSize) async throws -> Form {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            if contentType.lowercased().hasPrefix("multipart/form-data") { return Form(fields: [:]) }
            throw RequestError(.unsupportedMediaType, code: "unsupported_media_type", "Please submit the form from the page.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw RequestError(.contentTooLarge, code: "too_large", "What you sent is too large.")
        }
        return parse(String(buffer: buffer))
    }

    public static func parse(_ body: String) -> Form {
        var fields: [String: [String]] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            fields[name, default: []].append(value)
        }
        return Form(fields: fields)
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension Response {
    /// 303 See Other: after a form post, the browser loads `location` with GET.
    public static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}
