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

    static let columns = ["id", "email", "display_name", "status", "status_reason", "status_until", "created_at"]

    /// Creates a user with the given roles. Every user is at least a reader.
    public func create(email rawEmail: String, displayName: String, roles: Set<Role>, now: Timestamp = .now) async throws -> User {
        try await database.transaction { db in
            try await Self.create(email: rawEmail, displayName: displayName, roles: roles, now: now, on: db)
        }
    }

    static func create(email rawEmail: String, displayName: String, roles: Set<Role>, now: Timestamp, on db: any SQLDatabase) async throws -> User {
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
        return try await database.read { db in try await Self.find(where: "email", equals: email, on: db) }
    }

    public func find(id: Int64) async throws -> User? {
        try await database.read { db in try await Self.find(where: "id", equals: id, on: db) }
    }

    static func find(where column: String, equals value: some Encodable & Sendable, on db: any SQLDatabase) async throws -> User? {
        guard let row = try await db.select().columns(columns).from("users").where(SQLIdentifier(column), .equal, SQLBind(value)).first()
        else { return nil }
        let id = try row.decode(column: "id", as: Int64.self)
        let roles = try await db.select().column("role").from("user_roles").where("user_id", .equal, id).all()
            .compactMap { Role(rawValue: try $0.decode(column: "role", as: String.self)) }
        return try decode(row, roles: Set(roles))
    }

    static func decode(_ row: any SQLRow, roles: Set<Role>) throws -> User {
        User(
            id: try row.decode(column: "id", as: Int64.self),
            email: try row.decode(column: "email", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            status: UserStatus(
                rawValue: try row.decode(column: "status", as: String.self),
                reason: try row.decode(column: "status_reason", as: String?.self),
                until: try row.decode(column: "status_until", as: Int64?.self).map(Timestamp.init(milliseconds:))
            ),
            roles: roles,
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self))
        )
    }

    /// Users whose email or name contains `query`, newest first.
    public func search(_ query: String, limit: Int = 50) async throws -> [User] {
        let pattern = "%" + query.lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
        return try await database.read { db in
            let rows = try await db.select().columns(Self.columns).from("users")
                .where { $0.where(SQLFunction("LOWER", args: SQLIdentifier("email")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLIdentifier("display_name")), .like, SQLBind(pattern)) }
                .where("status", .notEqual, "deleted")
                .orderBy("id", .descending).limit(limit).all()
            var users: [User] = []
            for row in rows {
                let id = try row.decode(column: "id", as: Int64.self)
                let roles = try await db.select().column("role").from("user_roles").where("user_id", .equal, id).all()
                    .compactMap { Role(rawValue: try $0.decode(column: "role", as: String.self)) }
                users.append(try Self.decode(row, roles: Set(roles)))
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
