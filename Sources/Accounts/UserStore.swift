import QuorumMail
import QuorumStore
import QuorumWeb

import SQLKit

/// Reads and writes users and their roles.
public struct UserStore: UserDirectory {
    public let database: Database
    public init(database: Database) { self.database = database }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidEmail(String)
        case emailTaken(String)
        public var description: String {
            switch self {
            case .invalidEmail(let e): "'\(e)' is not an email address"
            case .emailTaken(let e): "a user with email \(e) already exists"
            }
        }
    }

    /// Creates a user with the given roles. Every user is at least a reader.
    public func create(email rawEmail: String, displayName: String, roles: Set<Role>, now: Timestamp = .now) async throws -> User {
        try await database.transaction { db in
            try await Self.create(email: rawEmail, displayName: displayName, roles: roles, now: now, on: db)
        }
    }

    package static func create(email rawEmail: String, displayName: String, roles: Set<Role>, now: Timestamp, on db: any SQLDatabase) async throws -> User {
        guard let email = EmailAddress.normalise(rawEmail) else { throw Failure.invalidEmail(rawEmail) }
        let allRoles = roles.union([.reader])
        let name = String((displayName.isEmpty ? String(email.split(separator: "@")[0]) : displayName).prefix(80))
        if try await db.select().column("id").from("users").where("email", .equal, email).first() != nil {
            throw Failure.emailTaken(email)
        }
        let id = try await db.insert(into: "users")
            .columns("email", "display_name", "status", "created_at", "updated_at")
            .values(SQLBind(email), SQLBind(name), SQLBind("active"), SQLBind(now.milliseconds), SQLBind(now.milliseconds))
            .returning("id")
            .first(decodingColumn: "id", as: Int64.self)!
        for role in allRoles.sorted() {
            try await db.insert(into: "user_roles").columns("user_id", "role", "granted_at")
                .values(SQLBind(id), SQLBind(role.rawValue), SQLBind(now.milliseconds)).run()
        }
        return User(id: id, email: email, displayName: name, status: .active, roles: allRoles, createdAt: now)
    }

    public func find(email rawEmail: String) async throws -> User? {
        guard let email = EmailAddress.normalise(rawEmail) else { return nil }
        return try await database.read { db in try await UserRows.find(where: "email", equals: email, on: db) }
    }

    public func find(id: Int64) async throws -> User? {
        try await database.read { db in try await UserRows.find(where: "id", equals: id, on: db) }
    }

    /// Users whose email or name contains `query`, newest first.
    public func search(_ query: String, limit: Int = 50) async throws -> [User] {
        let pattern = "%" + query.lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
        return try await database.read { db in
            let rows = try await db.select().columns(UserRows.columns).from("users")
                .where { $0.where(SQLFunction("LOWER", args: SQLIdentifier("email")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLIdentifier("display_name")), .like, SQLBind(pattern)) }
                .where("status", .notEqual, "deleted")
                .orderBy("id", .descending).limit(limit).all()
            var users: [User] = []
            for row in rows {
                let id = try row.decode(column: "id", as: Int64.self)
                let roles = try await db.select().column("role").from("user_roles").where("user_id", .equal, id).all()
                    .compactMap { Role(rawValue: try $0.decode(column: "role", as: String.self)) }
                users.append(try UserRows.decode(row, roles: Set(roles)))
            }
            return users
        }
    }

    /// Adds roles to an existing user; roles already held are kept.
    public func grant(_ roles: Set<Role>, to userID: Int64, now: Timestamp = .now) async throws {
        try await database.transaction { db in
            for role in roles.sorted() {
                try await db.insert(into: "user_roles").columns("user_id", "role", "granted_at")
                    .values(SQLBind(userID), SQLBind(role.rawValue), SQLBind(now.milliseconds))
                    .ignoringConflicts(with: ["user_id", "role"])
                    .run()
            }
        }
    }

    public func rename(_ userID: Int64, to name: String, now: Timestamp = .now) async throws {
        try await database.transaction { db in
            try await db.update("users").set("display_name", to: name).set("updated_at", to: now.milliseconds)
                .where("id", .equal, userID).run()
        }
    }
}

/// Accounts' side of the role seam: grants are idempotent, withdrawals remove only that role.
public struct UserRoleGrants: RoleGrants {
    public init() {}

    public func set(_ role: Role, granted: Bool, userID: Int64, on db: any SQLDatabase, at now: Timestamp) async throws {
        if granted {
            try await db.insert(into: "user_roles").columns("user_id", "role", "granted_at")
                .values(SQLBind(userID), SQLBind(role.rawValue), SQLBind(now.milliseconds))
                .ignoringConflicts(with: ["user_id", "role"]).run()
        } else {
            try await db.delete(from: "user_roles").where("user_id", .equal, SQLBind(userID))
                .where("role", .equal, SQLBind(role.rawValue)).run()
        }
    }
}
