import Foundation
import HTTPTypes
import Hummingbird

/// The headers every response carries: a Content-Security-Policy that allows only the site's own scripts and
/// styles (the theme has no inline script, style element or `style` attribute; JSON-LD is data, not script),
/// no framing, no MIME sniffing, the origin only as referrer to other sites, no powerful browser features,
/// and HSTS when the site is served over https (its `QUORUM_SITE_URL` says so; a proxy in front terminates TLS).
///
/// Cached pages carry them in their prebuilt heads (``CachedPage``), so the fast path adds nothing per request;
/// ``SecurityHeadersMiddleware`` sets them on everything else, errors included.
public struct SecurityHeaders: Sendable {
    public let fields: HTTPFields

    /// Images, media and frames may also come over https: articles may show a photo hosted elsewhere, and an
    /// editor may allow an embedded player in a body.
    public static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' https: data:; media-src 'self' https:; frame-src 'self' https:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    public static let permissionsPolicy = "camera=(), microphone=(), geolocation=(), usb=(), payment=()"
    public static let strictTransportSecurity = "max-age=31536000; includeSubDomains"

    public init(https: Bool) {
        var fields: HTTPFields = [
            .contentSecurityPolicy: Self.contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            .referrerPolicy: "strict-origin-when-cross-origin",
            .xFrameOptions: "DENY",
            .permissionsPolicy: Self.permissionsPolicy,
        ]
        if https { fields[.strictTransportSecurity] = Self.strictTransportSecurity }
        self.fields = fields
    }

    public init(configuration: QuorumConfiguration) {
        self.init(https: URL(string: configuration.siteURL)?.scheme?.lowercased() == "https")
    }

    /// Sets every header on `headers`, replacing a value already there.
    public func apply(to headers: inout HTTPFields) {
        for field in fields { headers[field.name] = field.value }
    }

    /// An answer for the embed's frame: `frame-ancestors` lists the origins that may frame it (none: `'none'`),
    /// and there is no `X-Frame-Options` (it cannot name origins). Every other answer may not be framed at all.
    public static func allowFraming(by origins: [String], on headers: inout HTTPFields) {
        headers[.xFrameOptions] = nil
        headers[.contentSecurityPolicy] = contentSecurityPolicy.replacingOccurrences(
            of: "frame-ancestors 'none'", with: "frame-ancestors " + (origins.isEmpty ? "'none'" : origins.joined(separator: " ")))
    }
}

extension HTTPField.Name {
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}

/// Puts ``SecurityHeaders`` on every response that passes the router, the error pages included (it is the
/// outermost middleware).
package struct SecurityHeadersMiddleware: RouterMiddleware {
    package typealias Context = QuorumContext
    let headers: SecurityHeaders

    package init(headers: SecurityHeaders) {
        self.headers = headers
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        headers.apply(to: &response.headers)
        return response
    }
}
