import Foundation

/// The address of a page on another site that has a thread here, in one canonical form, so that every way of
/// writing the same page (`HTTPS://Example.com:443/a/?utm_source=x#c12`) finds the same thread.
///
/// The rules (docs/embedding.md has the table the tests check):
/// - only `http` and `https`; the scheme and host are lower-cased; a user or password in the address is refused;
/// - the default port (80 for http, 443 for https) is dropped, any other port is kept;
/// - the path: empty becomes `/`; `.` and `..` segments are resolved; percent-escapes of unreserved
///   characters (letters, digits, `-._~`) are decoded and the rest upper-cased; trailing slashes are dropped
///   except on `/` itself; repeated slashes inside the path are kept (servers differ on them);
/// - the fragment is dropped;
/// - query parameters are dropped unless their name is in the site's allow-list (`p`, `page_id` for WordPress'
///   plain links, for example); the kept ones are sorted by name (their order among themselves kept);
/// - `www.` is not removed and http and https stay different pages: sites differ on both;
/// - at most 2,000 characters after normalisation.
public struct PageAddress: Sendable, Hashable, CustomStringConvertible {
    /// The normalised address.
    public let url: String
    /// `scheme://host[:port]` of the page, as browsers write an origin.
    public let origin: String

    public var description: String { url }

    public static let maximumLength = 2000

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notAnAddress, unsupportedScheme, credentials, tooLong

        public var description: String {
            switch self {
            case .notAnAddress: "is not an absolute http(s) address"
            case .unsupportedScheme: "must start with http:// or https://"
            case .credentials: "must not carry a user name or password"
            case .tooLong: "is longer than \(PageAddress.maximumLength) characters"
            }
        }
    }

    /// Normalises `text`, keeping the query parameters named in `keepQuery`.
    public init(_ text: String, keepQuery: Set<String> = []) throws(Problem) {
        let trimmed = Self.escapingNonASCII(text.trimmingCharacters(in: .whitespacesAndNewlines))
        guard trimmed.utf8.count <= Self.maximumLength * 2, let parts = URLComponents(string: trimmed) else { throw .notAnAddress }
        guard let scheme = parts.scheme?.lowercased() else { throw .notAnAddress }
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme }
        guard parts.user == nil, parts.password == nil else { throw .credentials }
        guard let rawHost = parts.percentEncodedHost, !rawHost.isEmpty else { throw .notAnAddress }
        let host = rawHost.lowercased()
        var origin = scheme + "://" + host
        if let port = parts.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            origin += ":\(port)"
        }
        var path = Self.path(parts.percentEncodedPath)
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        var url = origin + path
        if let items = parts.percentEncodedQueryItems, !keepQuery.isEmpty {
            let kept = items.enumerated().filter { keepQuery.contains($0.element.name.removingPercentEncoding ?? $0.element.name) }
                .sorted { ($0.element.name, $0.offset) < ($1.element.name, $1.offset) }
                .map { item in item.element.value.map { Self.escapes(item.element.name) + "=" + Self.escapes($0) } ?? Self.escapes(item.element.name) }
            if !kept.isEmpty { url += "?" + kept.joined(separator: "&") }
        }
        guard url.count <= Self.maximumLength else { throw .tooLong }
        self.url = url
        self.origin = origin
    }

    /// Addresses as pages write them may hold raw Unicode and spaces (`/café`): they are percent-encoded as
    /// UTF-8, as a browser sends them.
    static func escapingNonASCII(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 0x7E || $0 == " " }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value > 0x7E || scalar == " " {
                for byte in String(scalar).utf8 { out += String(format: "%%%02X", byte) }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Resolves `.` and `..` (RFC 3986 §5.2.4) and normalises escapes in every segment.
    static func path(_ raw: String) -> String {
        guard !raw.isEmpty else { return "/" }
        var output: [String] = []
        let segments = raw.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            switch segment {
            case ".": if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default: output.append(escapes(String(segment)))
            }
        }
        return "/" + output.joined(separator: "/")
    }

    /// Decodes escapes of unreserved characters and upper-cases the others (`%7e` → `~`, `%2f` → `%2F`).
    static func escapes(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var out = ""
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.first {
            if byte == UInt8(ascii: "%"), bytes.count >= 3,
               let value = UInt8(String(decoding: bytes.dropFirst().prefix(2), as: UTF8.self), radix: 16) {
                let scalar = Unicode.Scalar(value)
                if value < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar)) || "-._~".unicodeScalars.contains(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += String(format: "%%%02X", value)
                }
                bytes = bytes.dropFirst(3)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
                bytes = bytes.dropFirst()
            }
        }
        return out
    }

    /// An origin as the admin writes it (`https://Example.com:443/` → `https://example.com`), or nil.
    public static func origin(_ text: String) -> String? {
        guard let address = try? PageAddress(text), address.url == address.origin + "/" || address.url == address.origin else { return nil }
        return address.origin
    }
}
