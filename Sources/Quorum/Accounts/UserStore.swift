import SQLKit

/// Reads and writes users and their roles.
public struct UserStore: Sendable {
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
        guard let email = EmailAddress.normalise(rawEmail) else { throw Failure.invalidEmail(rawEmail) }
        let allRoles = roles.union([.reader])
        let name = displayName.isEmpty ? String(email.split(separator: "@")[0]) : displayName
        return try await database.transaction { db in
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
            return User(id: id, email: email, displayName: name, status: "active", roles: allRoles, createdAt: now)
        }
    }

    public func find(email rawEmail: String) async throws -> User? {
        guard let email = EmailAddress.normalise(rawEmail) else { return nil }
        return try await database.read { db in
            guard let row = try await db.select().columns("id", "email", "display_name", "status", "created_at")
                .from("users").where("email", .equal, email).first()
            else { return nil }
            let id = try row.decode(column: "id", as: Int64.self)
            let roles = try await db.select().column("role").from("user_roles").where("user_id", .equal, id).all()
                .compactMap { Role(rawValue: try $0.decode(column: "role", as: String.self)) }
            return User(
                id: id,
                email: try row.decode(column: "email", as: String.self),
                displayName: try row.decode(column: "display_name", as: String.self),
                status: try row.decode(column: "status", as: String.self),
                roles: Set(roles),
                createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self))
            )
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
}
