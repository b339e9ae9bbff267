import Foundation
import QuorumMail
import QuorumStore
import QuorumWeb
import SQLKit

/// What the account and people-admin pages do to the store: the use cases behind their forms, each in one
/// transaction with its audit entry and mail. Routes read forms, call these, and draw pages.
struct AccountService: Sendable {
    let site: Site
    static let emailChangeValidity: Double = 24 * 3600

    var database: Database { site.database }

    // MARK: The reader's own account

    /// Sends a confirmation link to `email`; the address changes only when it is opened.
    func requestEmailChange(for user: User, to email: String, now: Timestamp = .now) async throws {
        try await site.limiter.hit(.init("email-change", count: 5, per: 3600), key: String(user.id))
        let token = Secrets.token()
        let link = "\(site.configuration.siteBase)/account/email/confirm?token=\(token)"
        let siteName = site.configuration.siteName
        try await database.transaction { db in
            if try await db.select().column("id").from("users").where("email", .equal, email).first() != nil { throw AccountError.emailTaken }
            try await db.insert(into: "email_changes").columns("token_hash", "user_id", "new_email", "created_at", "expires_at")
                .values(SQLBind(Secrets.hash(token)), SQLBind(user.id), SQLBind(email), SQLBind(now.milliseconds),
                        SQLBind(now.adding(seconds: Self.emailChangeValidity).milliseconds)).run()
            try await Outbox.enqueue(OutgoingMail(
                kind: "email-change", to: email, subject: "Confirm your new email address for \(siteName)",
                text: "Hello \(user.displayName),\n\nTo use this address for your \(siteName) account, open:\n\n\(link)\n\nThe link works once, for 24 hours. If you did not ask for this, ignore this email."
            ), on: db, now: now)
        }
        site.mail.wake()
    }

    /// Spends a confirmation link: the account takes the new address and the old one is told. Returns the new address.
    func confirmEmailChange(token: String, now: Timestamp = .now) async throws -> String {
        let siteName = site.configuration.siteName
        let newEmail = try await database.transaction { db -> String in
            guard let row = try await db.select().columns("user_id", "new_email", "expires_at", "used_at").from("email_changes")
                .where("token_hash", .equal, Secrets.hash(token)).first(),
                try row.decode(column: "used_at", as: Int64?.self) == nil,
                try row.decode(column: "expires_at", as: Int64.self) > now.milliseconds
            else { throw AccountError.linkInvalid }
            let userID = try row.decode(column: "user_id", as: Int64.self)
            let newEmail = try row.decode(column: "new_email", as: String.self)
            guard let user = try await UserRows.find(where: "id", equals: userID, on: db) else { throw AccountError.linkInvalid }
            if try await db.select().column("id").from("users").where("email", .equal, newEmail).first() != nil { throw AccountError.emailTaken }
            try await db.update("email_changes").set("used_at", to: now.milliseconds).where("token_hash", .equal, Secrets.hash(token)).run()
            try await db.update("users").set("email", to: newEmail).set("updated_at", to: now.milliseconds).where("id", .equal, userID).run()
            try await AuditLog.record(actor: userID, action: "email.change", subject: "user:\(userID)", now: now, on: db)
            try await Outbox.enqueue(OutgoingMail(
                kind: "notice", to: user.email, subject: "Your \(siteName) email address was changed",
                text: "Hello \(user.displayName),\n\nThe email address of your \(siteName) account is now \(newEmail). If you did not do this, reply to this email."
            ), on: db, now: now)
            return newEmail
        }
        site.mail.wake()
        return newEmail
    }

    /// Stores a password hash (made by the caller off the event loop).
    func setPasswordHash(_ hash: String, for user: User) async throws {
        try await database.transaction { db in
            try await db.update("users").set("password_hash", to: hash).where("id", .equal, user.id).run()
            try await AuditLog.record(actor: user.id, action: "password.set", subject: "user:\(user.id)", on: db)
        }
    }

    /// The stored password hash for `email`, if the account has one.
    func passwordHash(email: String) async throws -> String? {
        try await database.read { db in
            try await db.select().column("password_hash").from("users").where("email", .equal, email)
                .first(decodingColumn: "password_hash", as: String?.self) ?? nil
        }
    }

    // MARK: People, for admins

    /// Replaces a person's roles (every user is a reader).
    func setRoles(_ roles: Set<Role>, of userID: Int64, by admin: User, reason: String?, now: Timestamp = .now) async throws {
        let roles = roles.union([.reader])
        try await database.transaction { db in
            guard try await UserRows.find(where: "id", equals: userID, on: db) != nil else { throw RequestError.notFound("No such user.") }
            try await db.delete(from: "user_roles").where("user_id", .equal, userID).run()
            for role in roles.sorted() {
                try await db.insert(into: "user_roles").columns("user_id", "role", "granted_at")
                    .values(SQLBind(userID), SQLBind(role.rawValue), SQLBind(now.milliseconds)).run()
            }
            try await AuditLog.record(actor: admin.id, action: "user.roles", subject: "user:\(userID)", reason: reason,
                                      details: roles.sorted().map(\.rawValue).joined(separator: ","), now: now, on: db)
        }
    }

    /// Lets `email` sign up while sign-up is by invitation.
    func invite(_ email: String, by admin: User, now: Timestamp = .now) async throws {
        try await database.transaction { db in
            try await db.insert(into: "invitations").columns("email", "invited_by", "created_at")
                .values(SQLBind(email), SQLBind(admin.id), SQLBind(now.milliseconds))
                .ignoringConflicts(with: ["email"]).run()
            try await AuditLog.record(actor: admin.id, action: "user.invite", subject: "email:\(email)", on: db)
        }
    }

    /// The most recent invitations, newest first.
    func invitations(limit: Int = 200) async throws -> [String] {
        try await database.read { db in
            try await db.select().column("email").from("invitations").orderBy("created_at", .descending).limit(limit)
                .all(decodingColumn: "email", as: String.self)
        }
    }

    /// Saves who may sign up and whether passwords are allowed.
    func saveSignUpSettings(mode: SignUpMode, passwordSignIn: Bool, by admin: User, now: Timestamp = .now) async throws {
        let password = passwordSignIn ? "on" : "off"
        try await database.transaction { db in
            try await SettingsStore.set("signup_mode", mode.rawValue, now: now, on: db)
            try await SettingsStore.set("password_signin", password, now: now, on: db)
            try await AuditLog.record(actor: admin.id, action: "settings.accounts", subject: "site",
                                      details: "signup_mode=\(mode.rawValue), password_signin=\(password)", now: now, on: db)
        }
    }

    // MARK: Mail that did not go out

    struct UndeliveredMail {
        var id: Int64, kind: String, to: String, subject: String, status: String, attempts: Int, error: String, createdAt: Timestamp
    }

    /// Mail still pending or failed, newest first.
    func undeliveredMail(limit: Int = 200) async throws -> [UndeliveredMail] {
        let rows = try await database.read { db in
            try await db.select().columns("id", "kind", "to_address", "subject", "status", "attempts", "last_error", "created_at")
                .from("outbox").where("status", .notEqual, "sent").orderBy("id", .descending).limit(limit).all()
        }
        return try rows.map { row in
            UndeliveredMail(
                id: try row.decode(column: "id", as: Int64.self), kind: try row.decode(column: "kind", as: String.self),
                to: try row.decode(column: "to_address", as: String.self), subject: try row.decode(column: "subject", as: String.self),
                status: try row.decode(column: "status", as: String.self), attempts: try row.decode(column: "attempts", as: Int.self),
                error: try row.decode(column: "last_error", as: String?.self) ?? "",
                createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self))
            )
        }
    }

    /// Sends one undelivered message again, now.
    func retryMail(_ id: Int64, by admin: User, now: Timestamp = .now) async throws {
        try await database.transaction { db in
            try await db.update("outbox").set("status", to: "pending").set("attempts", to: 0)
                .set("next_attempt_at", to: now.milliseconds).where("id", .equal, id).run()
            try await AuditLog.record(actor: admin.id, action: "mail.retry", subject: "outbox:\(id)", on: db)
        }
        site.mail.wake()
    }
}
