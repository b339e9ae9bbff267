import QuorumStore
import SQLKit

/// Reading people from the `users` and `user_roles` tables (the foundation's schema), on the caller's
/// connection so it can be part of its transaction. Accounts writes them; every feature may read them.
package enum UserRows {
    package static let columns = ["id", "email", "display_name", "status", "status_reason", "status_until", "created_at"]

    package static func find(where column: String, equals value: some Encodable & Sendable, on db: any SQLDatabase) async throws -> User? {
        guard let row = try await db.select().columns(columns).from("users").where(SQLIdentifier(column), .equal, SQLBind(value)).first()
        else { return nil }
        let id = try row.decode(column: "id", as: Int64.self)
        let roles = try await db.select().column("role").from("user_roles").where("user_id", .equal, id).all()
            .compactMap { Role(rawValue: try $0.decode(column: "role", as: String.self)) }
        return try decode(row, roles: Set(roles))
    }

    package static func decode(_ row: any SQLRow, roles: Set<Role>) throws -> User {
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
}
