import Hummingbird
import NIOCore
import QuorumBus
import QuorumMail

import QuorumStore

/// Per-request state handed to every route and middleware.
public struct QuorumContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is making the request: set by the session middleware from the session cookie, or by the
    /// admin-API middleware from a bearer token. Nil for anonymous readers.
    public var identity: Identity?
    /// For a visitor who is not signed in: the CSRF token from their `quorum_csrf` cookie, if they have one.
    public var anonymousCSRF: String?
    /// Hash of the session id, to mark "this device" in the session list.
    public var sessionIDHash: String?
    /// A `multipart/form-data` body, read and parsed once by the CSRF middleware (which needs its token field).
    public var multipart: MultipartForm?
    /// The peer's address (the connection's; a proxy in front should be configured to pass it through). Kept as
    /// the socket address and formatted only when asked: most requests (cached pages) never need it.
    public let remoteAddress: SocketAddress?
    public var remoteIP: String? { remoteAddress?.ipAddress }
    /// The connection, for the few routes that must notice it closing (live streams).
    package let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }

    /// Uploads (images) are larger than Hummingbird's 2 MiB default; each route still checks its own limit.
    public var maxUploadSize: Int { 12 * 1024 * 1024 }

    public var user: User? { identity?.user }

    /// The signed-in user, or 401 (pages: sign in first; API: `unauthenticated`).
    public func requireUser() throws -> User {
        guard let user else { throw RequestError(.unauthorized, code: "unauthenticated", "Please sign in first.") }
        return user
    }

    /// The signed-in user holding `role` (admins hold every power), or 401/403.
    @discardableResult
    public func requireRole(_ role: Role) throws -> User {
        let user = try requireUser()
        guard user.has(role) || user.has(.admin) else {
            throw RequestError(.forbidden, code: "forbidden", "Your account may not do this.")
        }
        return user
    }
}

/// The person behind a request and how they proved it.
public struct Identity: Sendable {
    public enum Source: Sendable, Equatable {
        /// A browser session; `csrfToken` must accompany every state-changing request.
        case session(id: String, csrfToken: String)
        /// An admin API token (`Authorization: Bearer …`); no cookies, so no CSRF token.
        case apiToken(id: Int64)
    }

    public var user: User
    public var source: Source

    public init(user: User, source: Source) {
        self.user = user
        self.source = source
    }

    public var csrfToken: String? {
        if case .session(_, let token) = source { return token }
        return nil
    }
}
