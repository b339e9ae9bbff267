import Crypto
import Foundation
import Hummingbird
import QuorumBus
import QuorumStore
import QuorumWeb

import SQLKit

/// Admin API tokens. The token itself is shown once, when created; the database keeps only its SHA-256,
/// so a copy of the database does not let anyone call the API.
public struct APITokenStore: Sendable {
    public let database: Database
    /// Who a token acts as: Accounts' users.
    public let users: any UserDirectory
    public init(database: Database, users: any UserDirectory) {
        self.database = database
        self.users = users
    }

    public struct Created: Sendable {
        public let id: Int64
        public let user: User
        /// The secret to put in `Authorization: Bearer …`; not stored anywhere.
        public let token: String
    }

    /// Creates a token acting as the user with `email`.
    public func create(email: String, name: String, now: Timestamp = .now) async throws -> Created {
        guard let user = try await users.find(email: email) else {
            throw ConfigurationError("there is no user with email \(email); create one with `quorum user create`")
        }
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let token = "qrm_" + bytes.map { String(format: "%02x", $0) }.joined()
        let hash = Self.hash(token)
        let id = try await database.transaction { db in
            try await db.insert(into: "api_tokens").columns("user_id", "name", "token_hash", "created_at")
                .values(SQLBind(user.id), SQLBind(name), SQLBind(hash), SQLBind(now.milliseconds))
                .returning("id").first(decodingColumn: "id", as: Int64.self)!
        }
        return Created(id: id, user: user, token: token)
    }

    /// The user behind a token and the token's id, or nil for an unknown, revoked or inactive one.
    public func authenticate(_ token: String, now: Timestamp = .now) async throws -> (user: User, tokenID: Int64)? {
        guard token.hasPrefix("qrm_"), token.count == 68 else { return nil }
        let hash = Self.hash(token)
        let found = try await database.read { db -> (Int64, String, Int64?)? in
            guard let row = try await db.select().columns(SQLColumn("id", table: "api_tokens"), SQLColumn("last_used_at", table: "api_tokens"), SQLColumn("email", table: "users"))
                .from("api_tokens").join("users", on: SQLColumn("user_id", table: "api_tokens"), .equal, SQLColumn("id", table: "users"))
                .where(SQLColumn("token_hash", table: "api_tokens"), .equal, SQLBind(hash))
                .where(SQLColumn("revoked_at", table: "api_tokens"), .is, SQLLiteral.null)
                .where(SQLColumn("status", table: "users"), .equal, SQLBind("active"))
                .first()
            else { return nil }
            return (try row.decode(column: "id", as: Int64.self), try row.decode(column: "email", as: String.self), try row.decode(column: "last_used_at", as: Int64?.self))
        }
        guard let (id, email, lastUsed) = found, let user = try await users.find(email: email) else { return nil }
        // Recorded at most once a minute, so API traffic does not turn every read into a write.
        if (lastUsed ?? 0) < now.milliseconds - 60_000 {
            try await database.transaction { db in
                try await db.update("api_tokens").set("last_used_at", to: now.milliseconds).where("id", .equal, id).run()
            }
        }
        return (user, id)
    }

    public func revoke(id: Int64, now: Timestamp = .now) async throws {
        try await database.transaction { db in
            try await db.update("api_tokens").set("revoked_at", to: now.milliseconds).where("id", .equal, id).run()
        }
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The admin API is Bearer-only: under `/api/admin/`, whichever feature's endpoint it is, `context.identity`
/// comes from `Authorization: Bearer <token>` and from nothing else (a session cookie opens no admin endpoint, so
/// the API needs no CSRF token). A missing or wrong token is refused with 401 and a `WWW-Authenticate: Bearer`
/// challenge. Added to the router after the session middleware (``Publishing/adminAPIAuthentication``), so the
/// session's identity is replaced, never used.
struct APITokenMiddleware: RouterMiddleware {
    typealias Context = QuorumContext
    let tokens: APITokenStore
    static let realm = "Bearer realm=\"Quorum admin API\""

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/admin/") else { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw RequestError(.unauthorized, code: "unauthenticated", "This API needs an `Authorization: Bearer <token>` header.",
                               headers: [.wwwAuthenticate: Self.realm])
        }
        guard header.lowercased().hasPrefix("bearer "),
              let (user, id) = try await tokens.authenticate(String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces))
        else {
            throw RequestError(.unauthorized, code: "invalid_token", "The API token is not valid (unknown, revoked or malformed).",
                               headers: [.wwwAuthenticate: Self.realm + ", error=\"invalid_token\""])
        }
        var context = context
        context.identity = Identity(user: user, source: .apiToken(id: id))
        return try await next(request, context)
    }
}

extension Publishing {
    /// The admin API's one authentication, for every feature's endpoints under `/api/admin/`.
    package var adminAPIAuthentication: some RouterMiddleware<QuorumContext> { APITokenMiddleware(tokens: tokens) }
}
