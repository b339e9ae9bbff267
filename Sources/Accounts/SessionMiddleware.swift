import Foundation
import HTTPTypes
import Hummingbird
import QuorumMail
import QuorumStore

import QuorumWeb

/// Resolves the session cookie into `context.identity`. A cookie for a session that no longer exists is cleared.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = QuorumContext
    let sessions: SessionStore
    let secureCookies: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.anonymousCSRF = request.cookies[SiteCookies.anonymousCSRF]?.value
        let claimed = request.cookies[SiteCookies.readerClass]?.value
        guard let id = request.cookies[SiteCookies.session]?.value, !id.isEmpty else {
            return try await settleReaderClass(try await next(request, context), claimed: claimed, actual: .anonymous)
        }
        guard let resolved = try await sessions.resolve(id) else {
            var response = try await next(request, context)
            response.setCookie(SiteCookies.clearSession(secure: secureCookies))
            return try await settleReaderClass(response, claimed: claimed, actual: .anonymous)
        }
        context.identity = Identity(user: resolved.user, source: .session(id: id, csrfToken: resolved.csrfToken))
        context.sessionIDHash = resolved.idHash
        return try await settleReaderClass(try await next(request, context), claimed: claimed, actual: ReaderClass(resolved.user))
    }

    /// Keeps the reader-class cookie (which cached variant the fast path serves) true: a response that starts or
    /// ends a session (sign-in, sign-out, account deletion) decides it; otherwise a stale one (a membership begun
    /// or ended since, a session that expired) is corrected on this response.
    private func settleReaderClass(_ response: Response, claimed: String?, actual: ReaderClass) async throws -> Response {
        var response = response
        var actual = actual
        // A route that knows the reader's class better (a membership that became active during the request) set it.
        if response.headers[values: .setCookie].contains(where: { $0.hasPrefix(SiteCookies.readerClass + "=") }) { return response }
        let prefix = SiteCookies.session + "="
        for header in response.headers[values: .setCookie] where header.hasPrefix(prefix) {
            let value = header.dropFirst(prefix.count).prefix { $0 != ";" }
            if value.isEmpty {
                actual = .anonymous
            } else if let started = try await sessions.resolve(String(value)) {
                actual = ReaderClass(started.user)
            }
        }
        if (claimed ?? "") != (actual.cookieValue ?? "") {
            response.setCookie(SiteCookies.readerClass(actual, secure: secureCookies, maxAge: Int(SessionStore.lifetime)))
        }
        return response
    }
}

/// Refuses state-changing requests that did not come from Quorum's own pages: the Origin (or Referer) must be
/// this site, and the request must carry the CSRF token — the session's, or for visitors who are not signed in,
/// the one in their `quorum_csrf` cookie — in the form field `csrf` or the `X-CSRF-Token` header.
/// The admin API (`/api/admin/`) is exempt: it accepts only bearer tokens, never the session cookie, so a
/// forged request from another site has nothing to ride on. So are provider webhooks under `/webhooks/`.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = QuorumContext
    let siteOrigin: String
    /// The most of a `multipart/form-data` body read (uploads; see ``MultipartForm/limit(forFilesOf:)``).
    let multipartLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard ![.get, .head, .options].contains(request.method) else { return try await next(request, context) }
        // Payment providers' notifications carry no cookies and are authenticated by their own signature, which
        // the feature that owns them verifies before anything is recorded.
        if request.uri.path.hasPrefix("/webhooks/"), request.cookies[SiteCookies.session] == nil {
            return try await next(request, context)
        }
        if request.uri.path.hasPrefix("/api/admin/") {
            return try await next(request, context)
        }
        try checkOrigin(request)
        var request = request
        var context = context
        let expected = context.identity?.csrfToken ?? context.anonymousCSRF
        var provided = request.headers[Self.tokenHeader]
        if provided == nil {
            let contentType = request.headers[.contentType]?.lowercased() ?? ""
            if contentType.hasPrefix("application/x-www-form-urlencoded") {
                provided = try await Form.read(&request)["csrf"]
            } else if contentType.hasPrefix("multipart/form-data"), context.identity != nil {
                // Only signed-in people upload (editors): a visitor's multipart POST is refused without reading
                // it. Read once, with its limit, and kept for the handler.
                let form = try await MultipartForm.read(&request, limit: multipartLimit)
                context.multipart = form
                provided = form["csrf"]
                if provided == nil, form.truncated {
                    throw RequestError(.contentTooLarge, code: "too_large", "What you sent is too large.")
                }
            }
        }
        guard let expected, let provided, Secrets.constantTimeEquals(expected, provided) else {
            throw RequestError(.forbidden, code: "csrf", "This form has expired or did not come from this site. Please reload the page and try again.")
        }
        return try await next(request, context)
    }

    /// Browsers send Origin (or at least Referer) with cross-site POSTs; when present it must be this site,
    /// or the host the request was addressed to (an instance reached by its own address). Clients that send
    /// neither are not browsers acting for someone else; the token check still applies to them.
    private func checkOrigin(_ request: Request) throws {
        let claimed: String?
        if let origin = request.headers[.origin] {
            claimed = origin
        } else if let referer = request.headers[.referer] {
            claimed = Self.origin(of: referer)
        } else {
            return
        }
        let host = request.head.authority
        let allowed = [siteOrigin] + (host.map { ["http://\($0)", "https://\($0)"] } ?? [])
        guard let claimed, allowed.contains(claimed) else { throw Self.crossSite }
    }

    static let tokenHeader = HTTPField.Name("X-CSRF-Token")!
    static let crossSite = RequestError(.forbidden, code: "cross_site", "Requests from other sites are refused.")

    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}

/// A ceiling on POSTs per address across all instances, against floods; feature limits are tighter. Provider
/// webhooks under `/webhooks/` are left out: a provider delivers bursts from a few addresses (a backlog after an
/// outage is thousands of events), each is authenticated by its signature before anything is written, and a 429
/// would only make the provider back off and deliver later.
struct PostRateLimitMiddleware: RouterMiddleware {
    typealias Context = QuorumContext
    let limiter: RateLimiter
    let settings: SettingsStore
    /// 300 a minute unless the configuration says otherwise (`QUORUM_POSTS_PER_MINUTE`).
    var limit = RateLimiter.Limit("post-ip", count: 300, per: 60)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // An admin API request without a token is answered 401 at once, with no database work: nothing to limit.
        let unauthenticatedAdmin = request.uri.path.hasPrefix("/api/admin/") && request.headers[.authorization] == nil
        if request.method == .post || request.method == .put || request.method == .patch || request.method == .delete,
           !request.uri.path.hasPrefix("/webhooks/"), !unauthenticatedAdmin, let ip = context.remoteIP
        {
            try await limiter.hit(limit, key: Secrets.keyedHash(ip, key: try await settings.secretKey()))
        }
        return try await next(request, context)
    }
}
