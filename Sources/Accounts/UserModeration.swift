import QuorumStore
import QuorumWeb
import SQLKit

/// Changing whether a user may take part: used by admin pages now and by comment moderation later.
public enum UserModeration {
    public static func setStatus(userID: Int64, _ status: UserStatus, actor: Int64?, in database: Database, now: Timestamp = .now) async throws {
        try await database.transaction { db in
            guard try await UserRows.find(where: "id", equals: userID, on: db) != nil else { throw RequestError.notFound("No such user.") }
            try await db.update("users")
                .set("status", to: status.kind.rawValue)
                .set("status_reason", to: status.reason)
                .set("status_until", to: status.until?.milliseconds)
                .set("updated_at", to: now.milliseconds)
                .where("id", .equal, userID).run()
            if status.kind == .banned {
                try await db.delete(from: "sessions").where("user_id", .equal, userID).run()
            }
            try await AuditLog.record(
                actor: actor, action: "user.\(status.kind.rawValue)", subject: "user:\(userID)", reason: status.reason,
                details: status.until.map { "until \($0.iso8601)" }, now: now, on: db
            )
        }
    }
}
