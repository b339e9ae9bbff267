import Foundation
import QuorumMail
import QuorumStore
import QuorumWeb

import SQLKit

/// Email sign-in: one email carries a one-time link and a 6-digit code. Either signs the reader in, once,
/// within 15 minutes. Link and code are stored only as hashes and compared in constant time; a code allows
/// five attempts. The first sign-in creates the account when the site's sign-up mode allows it.
public struct SignInService: Sendable {
    public let database: Database
    public let configuration: QuorumConfiguration
    public let limiter: RateLimiter
    public let settings: SettingsStore
    public static let validity: Double = 15 * 60
    public static let maximumCodeAttempts = 5
    public static let perAddress = RateLimiter.Limit("signin-email", count: 5, per: 15 * 60)
    public static let perIP = RateLimiter.Limit("signin-ip", count: 20, per: 15 * 60)

    public init(database: Database, configuration: QuorumConfiguration) {
        self.database = database
        self.configuration = configuration
        self.limiter = RateLimiter(database: database)
        self.settings = SettingsStore(database: database)
    }

    public struct Requested: Sendable {
        /// Public id of the request: names it in the code form. Knowing it is not enough to sign in.
        public let id: String
        public let email: String
    }

    /// Checks the address may sign in, then writes the request and its email in one transaction.
    public func request(email rawEmail: String, ip: String?, next: String, now: Timestamp = .now) async throws -> Requested {
        guard let email = EmailAddress.normalise(rawEmail) else { throw AccountError.invalidEmail }
        let key = try await settings.secretKey()
        try await limiter.hit(Self.perAddress, key: Secrets.keyedHash(email, key: key), now: now)
        if let ip { try await limiter.hit(Self.perIP, key: Secrets.keyedHash(ip, key: key), now: now) }
        let mode = SignUpMode(rawValue: try await settings.get("signup_mode") ?? "") ?? .open
        let id = Secrets.token(bytes: 16)
        let link = Secrets.token()
        let code = Secrets.digits(6)
        let safeNext = SiteURL.safeRedirect(next)
        let linkURL = "\(configuration.siteBase)/signin/link?token=\(link)"
        let siteName = configuration.siteName
        try await database.transaction { db in
            let existing = try await UserRows.find(where: "email", equals: email, on: db)
            if let existing, existing.status.kind == .banned { throw AccountError.banned(reason: existing.status.reason) }
            if existing == nil {
                switch mode {
                case .open: break
                case .closed: throw AccountError.signUpClosed
                case .invite:
                    guard try await db.select().column("email").from("invitations").where("email", .equal, email).first() != nil
                    else { throw AccountError.notInvited }
                }
            }
            try await db.insert(into: "sign_in_requests")
                .columns("id", "email", "link_hash", "code_hash", "next_path", "created_at", "expires_at", "code_attempts")
                .values(
                    SQLBind(id), SQLBind(email), SQLBind(Secrets.hash(link)), SQLBind(Secrets.keyedHash(id + ":" + code, key: key)),
                    SQLBind(safeNext), SQLBind(now.milliseconds), SQLBind(now.adding(seconds: Self.validity).milliseconds), SQLBind(0)
                ).run()
            try await Outbox.enqueue(OutgoingMail(
                kind: "signin", to: email, subject: "Your sign-in code for \(siteName): \(code)",
                text: """
                    Hello,

                    To sign in to \(siteName), open this link:

                    \(linkURL)

                    or enter this code on the sign-in page: \(code)

                    The link and the code work once, for 15 minutes. If you did not ask to sign in, ignore this email.
                    """
            ), on: db, now: now)
        }
        return Requested(id: id, email: email)
    }

    public struct SignedIn: Sendable {
        public let user: User
        public let session: SessionStore.Created
        public let next: String
        public let createdAccount: Bool
    }

    /// Signs in with the emailed link's token.
    public func redeemLink(_ token: String, userAgent: String, now: Timestamp = .now) async throws -> SignedIn {
        guard !token.isEmpty, token.count < 200 else { throw AccountError.linkInvalid }
        return try await database.transaction { db in
            guard let row = try await db.select().columns("id", "email", "next_path", "expires_at", "used_at")
                .from("sign_in_requests").where("link_hash", .equal, Secrets.hash(token)).first(),
                try row.decode(column: "used_at", as: Int64?.self) == nil,
                try row.decode(column: "expires_at", as: Int64.self) > now.milliseconds
            else { throw AccountError.linkInvalid }
            let id = try row.decode(column: "id", as: String.self)
            try await Self.markUsed(id, now: now, on: db)
            return try await Self.complete(
                email: try row.decode(column: "email", as: String.self), next: try row.decode(column: "next_path", as: String.self),
                userAgent: userAgent, now: now, on: db
            )
        }
    }

    /// Signs in with the 6-digit code for request `id`. Wrong codes count; the fifth wrong one ends the request.
    public func redeemCode(requestID id: String, code rawCode: String, userAgent: String, now: Timestamp = .now) async throws -> SignedIn {
        let code = rawCode.filter(\.isNumber)
        let key = try await settings.secretKey()
        // Count the attempt in its own transaction, so a wrong code is remembered even though the sign-in fails.
        let outcome: (email: String, next: String)? = try await database.transaction { db in
            guard let row = try await db.select().columns("email", "code_hash", "next_path", "expires_at", "used_at", "code_attempts")
                .from("sign_in_requests").where("id", .equal, id).first(),
                try row.decode(column: "used_at", as: Int64?.self) == nil,
                try row.decode(column: "expires_at", as: Int64.self) > now.milliseconds
            else { throw AccountError.requestExpired }
            let attempts = try row.decode(column: "code_attempts", as: Int.self)
            guard attempts < Self.maximumCodeAttempts else { throw AccountError.codeExhausted }
            try await db.update("sign_in_requests").set("code_attempts", to: attempts + 1).where("id", .equal, id).run()
            let expected = try row.decode(column: "code_hash", as: String.self)
            guard code.count == 6, Secrets.constantTimeEquals(Secrets.keyedHash(id + ":" + code, key: key), expected) else { return nil }
            return (try row.decode(column: "email", as: String.self), try row.decode(column: "next_path", as: String.self))
        }
        guard let outcome else {
            let left = try await attemptsLeft(id)
            throw left > 0 ? AccountError.codeWrong(attemptsLeft: left) : AccountError.codeExhausted
        }
        return try await database.transaction { db in
            // Used between the check and now by a concurrent attempt? Then this one loses.
            let used = try await db.raw("UPDATE sign_in_requests SET used_at = \(bind: now.milliseconds) WHERE id = \(bind: id) AND used_at IS NULL RETURNING id").first()
            guard used != nil else { throw AccountError.requestExpired }
            return try await Self.complete(email: outcome.email, next: outcome.next, userAgent: userAgent, now: now, on: db)
        }
    }

    private func attemptsLeft(_ id: String) async throws -> Int {
        let used = try await database.read { db in
            try await db.select().column("code_attempts").from("sign_in_requests").where("id", .equal, id)
                .first(decodingColumn: "code_attempts", as: Int.self)
        } ?? Self.maximumCodeAttempts
        return max(0, Self.maximumCodeAttempts - used)
    }

    static func markUsed(_ id: String, now: Timestamp, on db: any SQLDatabase) async throws {
        try await db.update("sign_in_requests").set("used_at", to: now.milliseconds).where("id", .equal, id).run()
    }

    /// Signs in `email` after it proved itself another way (its password): finds or creates the account and
    /// opens a new session.
    public func complete(email: String, next: String, userAgent: String, now: Timestamp = .now) async throws -> SignedIn {
        try await database.transaction { db in
            try await Self.complete(email: email, next: next, userAgent: userAgent, now: now, on: db)
        }
    }

    /// Finds or creates the account and opens a new session.
    static func complete(email: String, next: String, userAgent: String, now: Timestamp, on db: any SQLDatabase) async throws -> SignedIn {
        var created = false
        var user = try await UserRows.find(where: "email", equals: email, on: db)
        if user == nil {
            user = try await UserStore.create(email: email, displayName: "", roles: [.reader], now: now, on: db)
            created = true
        }
        guard let user else { throw AccountError.linkInvalid }
        if user.status.kind == .banned { throw AccountError.banned(reason: user.status.reason) }
        let session = try await SessionStore.create(userID: user.id, userAgent: userAgent, now: now, on: db)
        return SignedIn(user: user, session: session, next: next, createdAccount: created)
    }
}
