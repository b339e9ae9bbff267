import Foundation
import HTTPTypes
import Hummingbird
import QuorumWeb

/// Serves the site's thread pages inside the embed's frame: `/embed/PATH` is answered as `PATH` (only the
/// thread, its comment flow, reviewing and signing in; anything else is a 404), with ``EmbedFrame/current`` set
/// while it is handled. The answer's links to framed pages stay in the frame, its redirects too, its cookies are
/// the frame's own (CHIPS), and it may be framed by the allowed origins only.
///
/// It wraps the whole router (the router picks a route before its middleware runs, so the address must change
/// before): `Application(router: EmbedFrameRouting(router: …))`.
public struct EmbedFrameRouting<Builder: HTTPResponderBuilder>: HTTPResponderBuilder where Builder.Responder.Context == QuorumContext {
    let router: Builder
    let embed: EmbedService

    public init(router: Builder, embed: EmbedService) {
        self.router = router
        self.embed = embed
    }

    public func buildResponder() -> EmbedFrameResponder<Builder.Responder> {
        EmbedFrameResponder(inner: router.buildResponder(), embed: embed)
    }
}

public struct EmbedFrameResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == QuorumContext {
    public typealias Context = QuorumContext
    let inner: Inner
    let embed: EmbedService
    /// `SameSite=None; Secure; Partitioned` cookies: the site is https, or on loopback (browsers accept
    /// `Secure` cookies from http://localhost and 127.0.0.1).
    let secureContext: Bool

    init(inner: Inner, embed: EmbedService) {
        self.inner = inner
        self.embed = embed
        let url = URL(string: embed.comments.site.configuration.siteURL)
        let host = url?.host?.lowercased() ?? ""
        secureContext = url?.scheme?.lowercased() == "https" || ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host)
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        let entry = path == SiteURL.embedThread().pattern
        guard entry || path.hasPrefix(EmbedFrame.prefix + "/") else { return try await inner.respond(to: request, context: context) }
        // The frame's pages are rewritten after the router answered, so they must not come back gzipped.
        var head = request.head
        head.headerFields[.acceptEncoding] = nil
        var framed = Request(head: head, body: request.body)
        if !entry {
            let rest = String(path.dropFirst(EmbedFrame.prefix.count))
            guard EmbedFrame.isFramed(path: Substring(rest)) else {
                // Not a page of the frame: the site's own 404, which nothing may frame.
                return try await inner.respond(to: request, context: context)
            }
            head.path = rest + (request.uri.query.map { "?" + $0 } ?? "")
            framed = Request(head: head, body: request.body)
        }
        let frame = EmbedFrame(origins: try await embed.settings().origins)
        var response = try await EmbedFrame.$current.withValue(frame) { try await inner.respond(to: framed, context: context) }
        // A refusal (a page on a site that is not allowed, a missing page) may not be framed by anyone.
        // A refused sign-in token is shown in the frame, so the host's developers see why.
        // So is a refused sign-in ticket (the frame's sign-in window), so the reader sees to sign in again.
        let refusedTicket = framed.uri.path == EmbedRoutes.ticket && response.status == .badRequest
        guard response.status.code < 400 || (entry && response.status == .unauthorized) || refusedTicket else { return response }
        SecurityHeaders.allowFraming(by: frame.origins, on: &response.headers)
        if let location = response.headers[.location] { response.headers[.location] = EmbedFrame.rewrite(location: location) }
        let cookies = response.headers[values: .setCookie]
        if !cookies.isEmpty {
            response.headers[.setCookie] = nil
            for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: EmbedFrame.rewrite(setCookie: cookie, secureContext: secureContext))) }
        }
        return try await EmbedFrame.framing(response)
    }
}
