import Foundation
import QuorumMail
import QuorumStore
import QuorumWeb

import SQLKit

/// A person's data: all of it for "download my data", and its removal for "delete my account".
public enum AccountData {
    public static func export(userID: Int64, in database: Database) async throws -> Data {
        try await database.read { db in
            guard let user = try await UserRows.find(where: "id", equals: userID, on: db) else { return Data("{}".utf8) }
            let sessions = try await db.select().columns("created_at", "last_seen_at", "expires_at", "user_agent").from("sessions")
                .where("user_id", .equal, userID).all().map { row -> [String: Any] in
                    [
                        "created": Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).iso8601,
                        "lastSeen": Timestamp(milliseconds: try row.decode(column: "last_seen_at", as: Int64.self)).iso8601,
                        "expires": Timestamp(milliseconds: try row.decode(column: "expires_at", as: Int64.self)).iso8601,
                        "device": try row.decode(column: "user_agent", as: String.self),
                    ]
                }
            let signIns = try await db.select().columns("created_at", "used_at").from("sign_in_requests")
                .where("email", .equal, user.email).orderBy("created_at").all().map { row -> [String: Any] in
                    var entry: [String: Any] = ["requested": Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).iso8601]
                    if let used = try row.decode(column: "used_at", as: Int64?.self) { entry["used"] = Timestamp(milliseconds: used).iso8601 }
                    return entry
                }
            let mail = try await db.select().columns("kind", "subject", "status", "created_at").from("outbox")
                .where("to_address", .equal, user.email).orderBy("id").all().map { row -> [String: Any] in
                    [
                        "kind": try row.decode(column: "kind", as: String.self),
                        "subject": try row.decode(column: "subject", as: String.self),
                        "status": try row.decode(column: "status", as: String.self),
                        "created": Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).iso8601,
                    ]
                }
            let audit = try await db.select().columns("at", "action", "reason").from("audit_log")
                .where("subject", .equal, "user:\(userID)").orderBy("id").all().map { row -> [String: Any] in
                    [
                        "at": Timestamp(milliseconds: try row.decode(column: "at", as: Int64.self)).iso8601,
                        "action": try row.decode(column: "action", as: String.self),
                        "reason": try row.decode(column: "reason", as: String?.self) ?? NSNull(),
                    ]
                }
            let object: [String: Any] = [
                "account": [
                    "id": user.id, "email": user.email, "displayName": user.displayName,
                    "roles": user.roles.sorted().map(\.rawValue), "status": user.status.kind.rawValue,
                    "created": user.createdAt.iso8601,
                ],
                "sessions": sessions,
                "signIns": signIns,
                "emailsSent": mail,
                "accountHistory": audit,
                "exported": Timestamp.now.iso8601,
            ]
            return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        }
    }

    /// Removes personal data and keeps an anonymous shell, so what the person wrote stays in its threads
    /// under "Former reader" instead of leaving holes in other people's conversations.
    public static func delete(userID: Int64, in database: Database, actor: Int64? = nil, now: Timestamp = .now) async throws {
        try await database.transaction { db in
            guard let user = try await UserRows.find(where: "id", equals: userID, on: db) else { return }
            try await db.delete(from: "sessions").where("user_id", .equal, userID).run()
            try await db.delete(from: "user_roles").where("user_id", .equal, userID).run()
            try await db.delete(from: "email_changes").where("user_id", .equal, userID).run()
            try await db.delete(from: "sign_in_requests").where("email", .equal, user.email).run()
            try await db.delete(from: "invitations").where("email", .equal, user.email).run()
            try await db.delete(from: "outbox").where("to_address", .equal, user.email).run()
            try await db.update("users")
                .set("email", to: "deleted-\(userID)@deleted.invalid")
                .set("display_name", to: "Former reader")
                .set("status", to: UserStatus.Kind.deleted.rawValue)
                .set("status_reason", to: SQLLiteral.null)
                .set("password_hash", to: SQLLiteral.null)
                .set("updated_at", to: now.milliseconds)
                .where("id", .equal, userID).run()
            try await AuditLog.record(actor: actor ?? userID, action: "account.delete", subject: "user:\(userID)", now: now, on: db)
        }
    }
}
