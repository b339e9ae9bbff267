import Foundation
import QuorumMail
import QuorumStore
import QuorumWeb

import SQLKit

/// Browser sessions, stored in the database so any instance serves any reader.
/// The cookie holds a random id; the table holds only its hash.
public struct SessionStore: Sendable {
    public let database: Database
    public static let lifetime: Double = 30 * 86_400
    /// `last_seen_at` is refreshed at most this often, so reading pages does not write on every request.
    static let touchInterval: Int64 = 5 * 60 * 1000

    public init(database: Database) { self.database = database }

    public struct Created: Sendable {
        public let id: String
        public let csrfToken: String
    }

    public struct Info: Sendable {
        public let idHash: String
        public let createdAt: Timestamp
        public let lastSeenAt: Timestamp
        public let userAgent: String
    }

    /// A new session for `userID`; always a fresh id, so a session id known before sign-in is worthless after.
    static func create(userID: Int64, userAgent: String, now: Timestamp, on db: any SQLDatabase) async throws -> Created {
        let id = Secrets.token()
        let csrf = Secrets.token()
        try await db.insert(into: "sessions")
            .columns("id_hash", "user_id", "csrf_token", "created_at", "last_seen_at", "expires_at", "user_agent")
            .values(
                SQLBind(Secrets.hash(id)), SQLBind(userID), SQLBind(csrf), SQLBind(now.milliseconds), SQLBind(now.milliseconds),
                SQLBind(now.adding(seconds: lifetime).milliseconds), SQLBind(String(userAgent.prefix(200)))
            ).run()
        try await db.update("users").set("last_sign_in_at", to: now.milliseconds).where("id", .equal, userID).run()
        return Created(id: id, csrfToken: csrf)
    }

    public func create(userID: Int64, userAgent: String, now: Timestamp = .now) async throws -> Created {
        try await database.transaction { db in try await Self.create(userID: userID, userAgent: userAgent, now: now, on: db) }
    }

    /// The user and CSRF token of a live session, or nil for an unknown, expired or deleted one.
    ///
    /// Every signed-in request asks this, so it is one query: the session, its user and the user's roles joined
    /// (one row per role, or one with no role).
    public func resolve(_ id: String, now: Timestamp = .now) async throws -> (user: User, csrfToken: String, idHash: String)? {
        let idHash = Secrets.hash(id)
        return try await database.read { db in
            let rows = try await db.select()
                .column(SQLColumn("csrf_token", table: "s")).column(SQLColumn("last_seen_at", table: "s"))
                .column(SQLColumn("expires_at", table: "s")).column(SQLColumn("role", table: "r"))
                .columns(UserRows.columns.map { SQLColumn($0, table: "u") })
                .from(SQLAlias(SQLIdentifier("sessions"), as: SQLIdentifier("s")))
                .join(SQLAlias(SQLIdentifier("users"), as: SQLIdentifier("u")), method: SQLJoinMethod.inner,
                      on: SQLColumn("user_id", table: "s"), .equal, SQLColumn("id", table: "u"))
                .join(SQLAlias(SQLIdentifier("user_roles"), as: SQLIdentifier("r")), method: SQLJoinMethod.left,
                      on: SQLColumn("user_id", table: "r"), .equal, SQLColumn("id", table: "u"))
                .where(SQLColumn("id_hash", table: "s"), .equal, SQLBind(idHash))
                .all()
            guard let row = rows.first else { return nil }
            guard try row.decode(column: "expires_at", as: Int64.self) > now.milliseconds else { return nil }
            let roles = try rows.compactMap { try $0.decode(column: "role", as: String?.self).flatMap(Role.init(rawValue:)) }
            let user = try UserRows.decode(row, roles: Set(roles))
            guard user.status.kind != .deleted, user.status.kind != .banned else { return nil }
            if now.milliseconds - (try row.decode(column: "last_seen_at", as: Int64.self)) > Self.touchInterval {
                try await db.update("sessions").set("last_seen_at", to: now.milliseconds).where("id_hash", .equal, idHash).run()
            }
            return (user, try row.decode(column: "csrf_token", as: String.self), idHash)
        }
    }

    public func delete(id: String) async throws {
        try await database.transaction { db in
            try await db.delete(from: "sessions").where("id_hash", .equal, Secrets.hash(id)).run()
        }
    }

    public func delete(idHash: String, userID: Int64) async throws {
        try await database.transaction { db in
            try await db.delete(from: "sessions").where("id_hash", .equal, idHash).where("user_id", .equal, userID).run()
        }
    }

    /// Signs a user out on every device.
    public func deleteAll(userID: Int64) async throws {
        try await database.transaction { db in try await db.delete(from: "sessions").where("user_id", .equal, userID).run() }
    }

    public func list(userID: Int64, now: Timestamp = .now) async throws -> [Info] {
        try await database.read { db in
            try await db.select().columns("id_hash", "created_at", "last_seen_at", "user_agent").from("sessions")
                .where("user_id", .equal, userID).where("expires_at", .greaterThan, now.milliseconds)
                .orderBy("last_seen_at", .descending).all().map { row in
                    Info(
                        idHash: try row.decode(column: "id_hash", as: String.self),
                        createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
                        lastSeenAt: Timestamp(milliseconds: try row.decode(column: "last_seen_at", as: Int64.self)),
                        userAgent: try row.decode(column: "user_agent", as: String.self)
                    )
                }
        }
    }
}
