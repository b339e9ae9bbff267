import Crypto
import Foundation
import Hummingbird
import QuorumStore
import QuorumWeb

import SQLKit

/// Accounts' side of `ExternalSignIn`: readers a host site signs in (the embed's single sign-on) are linked by the
/// host's issuer and its own id for them, never by an email the host has not verified. On first use the link goes
/// to the account with that verified email if there is one, else to a new account (with the verified email, or
/// with an address of its own that reaches nobody until the reader confirms theirs on the account page).
public struct ExternalAccounts: ExternalSignIn {
    let site: Site

    public init(site: Site) {
        self.site = site
    }

    public func signIn(_ identity: ExternalIdentity, userAgent: String) async throws -> (cookie: Cookie, userID: Int64) {
        let now = Timestamp.now
        let (userID, session) = try await site.database.transaction { db in
            let userID = try await Self.account(for: identity, now: now, on: db)
            return (userID, try await SessionStore.create(userID: userID, userAgent: userAgent, now: now, on: db))
        }
        return (SiteCookies.session(session.id, secure: site.secureCookies), userID)
    }

    public func signIn(userID: Int64, userAgent: String) async throws -> Cookie {
        let now = Timestamp.now
        let session = try await site.database.transaction { db in
            guard let user = try await UserRows.find(where: "id", equals: userID, on: db) else { throw AccountError.linkInvalid }
            if user.status.kind == .banned { throw AccountError.banned(reason: user.status.reason) }
            return try await SessionStore.create(userID: userID, userAgent: userAgent, now: now, on: db)
        }
        return SiteCookies.session(session.id, secure: site.secureCookies)
    }

    static func account(for identity: ExternalIdentity, now: Timestamp, on db: any SQLDatabase) async throws -> Int64 {
        if let linked = try await db.select().column("user_id").from("external_identities")
            .where("issuer", .equal, identity.issuer).where("subject", .equal, identity.subject)
            .first(decodingColumn: "user_id", as: Int64.self) {
            return linked
        }
        let verified = identity.emailVerified ? identity.email.flatMap(EmailAddress.normalise) : nil
        let userID: Int64
        if let verified, let existing = try await db.select().column("id").from("users").where("email", .equal, verified)
            .first(decodingColumn: "id", as: Int64.self) {
            userID = existing
        } else {
            let digest = SHA256.hash(data: Data((identity.issuer + "\u{0}" + identity.subject).utf8)).prefix(10).map { String(format: "%02x", $0) }.joined()
            let name = identity.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
            userID = try await UserStore.create(email: verified ?? "sso-\(digest)@sso.invalid", displayName: name.isEmpty ? "Reader" : name,
                                                roles: [], now: now, on: db).id
        }
        try await db.insert(into: "external_identities").columns("issuer", "subject", "user_id", "created_at")
            .values(SQLBind(identity.issuer), SQLBind(identity.subject), SQLBind(userID), SQLBind(now.milliseconds)).run()
        return userID
    }
}
