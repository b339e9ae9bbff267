import Foundation
import HTTPTypes
import Hummingbird

/// A request answered inside another site's page (the embed's iframe, under `/embed/…`). While it is handled,
/// `EmbedFrame.current` says so: pages render without the masthead and with the frame's script, the page cache is
/// neither read nor filled (its copies are the site's own pages), and the answer may be framed by the allowed
/// origins only (``SecurityHeaders/frameAncestorsField``).
public struct EmbedFrame: Sendable {
    /// The origins that may frame the answer (also the only ones the frame posts its height to).
    public var origins: [String]

    public init(origins: [String]) { self.origins = origins }

    @TaskLocal public static var current: EmbedFrame?

    /// The prefix of every framed address: `/embed/article/x/comments` is `/article/x/comments` in the frame.
    public static let prefix = "/embed"

    /// The site's addresses that work inside the frame: the thread and its comment flow, reviewing, and signing
    /// in. Links to any other page open in a new tab.
    public static func isFramed(path: Substring) -> Bool {
        let path = path.split(separator: "?", maxSplits: 1).first ?? ""
        if path.hasPrefix("/comments/") || path == "/comments/live" || path == "/review" || path.hasPrefix("/signin") { return true }
        if path.hasPrefix("/article/") {
            let parts = path.split(separator: "/")
            return parts.count >= 3 && parts[2] == "comments"
        }
        return false
    }

    /// `text` (an HTML page of the site) with links to framed addresses kept in the frame (`/embed/…`) and
    /// links to the site's other pages opening in a new tab.
    public static func rewrite(html text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 256)
        var rest = Substring(text)
        // Attribute values that are addresses on this site: href, action, formaction, data-… = "/…".
        while let range = rest.range(of: "=\"/") {
            let before = rest[..<range.lowerBound]
            let nameStart = before.lastIndex(where: { $0 == " " || $0 == "\n" || $0 == "\t" }).map { before.index(after: $0) } ?? before.startIndex
            let name = before[nameStart...].lowercased()
            let valueStart = rest.index(range.upperBound, offsetBy: -1)
            guard let close = rest[valueStart...].firstIndex(of: "\"") else { break }
            let value = rest[valueStart..<close]
            let isAddress = ["href", "action", "formaction"].contains(name) || name.hasPrefix("data-")
            if isAddress, !value.hasPrefix("//"), !value.hasPrefix(prefix + "/"), isFramed(path: value) {
                out += before + "=\"" + prefix + value
            } else if name == "href", let thread = threadOfArticle(value) {
                // "Back to the article" in the frame is the frame's thread (the article itself is elsewhere).
                out += before + "=\"" + prefix + thread
            } else if name == "href", !value.hasPrefix("//"), before.range(of: "<a ", options: .backwards).map({ !before[$0.upperBound...].contains(">") }) == true {
                out += before[..<nameStart] + "target=\"_blank\" rel=\"noopener\" " + before[nameStart...] + "=\"" + value
            } else {
                out += before + "=\"" + value
            }
            rest = rest[close...]
        }
        out += rest
        return out
    }

    /// `/article/SLUG` → `/article/SLUG/comments`.
    static func threadOfArticle(_ value: Substring) -> String? {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, parts[1] == "article", !parts[2].isEmpty, !parts[2].contains("?"), !parts[2].contains("#") else { return nil }
        return "/article/\(parts[2])/comments"
    }

    /// A `Location` inside the frame stays inside it.
    public static func rewrite(location: String) -> String {
        location.hasPrefix("/") && !location.hasPrefix("//") && isFramed(path: Substring(location)) ? prefix + location : location
    }

    /// Cookies set inside the frame are the frame's own: `SameSite=None; Secure; Partitioned` (CHIPS), so a
    /// browser that blocks third-party cookies keeps them for this host site only. Over plain http (only on
    /// loopback, where browsers accept `Secure`) the same; on any other http site they stay `SameSite=Lax` and
    /// work only where the host page is on the same site.
    public static func rewrite(setCookie value: String, secureContext: Bool) -> String {
        guard secureContext else { return value }
        var parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.lowercased().hasPrefix("samesite=") && $0.lowercased() != "secure" && $0.lowercased() != "partitioned" }
        parts += ["SameSite=None", "Secure", "Partitioned"]
        return parts.joined(separator: "; ")
    }
}

extension EmbedFrame {
    /// `response` with its HTML body's links rewritten for the frame (``rewrite(html:)``); other bodies
    /// (event streams, JSON) pass untouched.
    package static func framing(_ response: Response) async throws -> Response {
        guard response.headers[.contentType]?.hasPrefix("text/html") == true else { return response }
        let collector = BodyCollector()
        try await response.body.write(CollectingWriter(collector: collector))
        var headers = response.headers
        headers[.contentLength] = nil
        headers[.eTag] = nil
        return Response(status: response.status, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: rewrite(html: String(buffer: collector.buffer)))))
    }
}
