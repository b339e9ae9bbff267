import SQLKit

/// Who did what, to what, when and why. Every moderator and admin action writes one entry.
public enum AuditLog {
    public struct Entry: Sendable {
        public let at: Timestamp
        public let actorID: Int64?
        public let actorName: String?
        public let action: String
        public let subject: String
        public let reason: String?
        public let details: String?
    }

    public static func record(
        actor: Int64?, action: String, subject: String, reason: String? = nil, details: String? = nil,
        now: Timestamp = .now, on db: any SQLDatabase
    ) async throws {
        try await db.insert(into: "audit_log").columns("at", "actor_user_id", "action", "subject", "reason", "details")
            .values(SQLBind(now.milliseconds), SQLBind(actor), SQLBind(action), SQLBind(subject), SQLBind(reason), SQLBind(details))
            .run()
    }

    /// Newest first; `subject` narrows to one thing (e.g. `user:42`).
    public static func entries(subject: String? = nil, limit: Int = 100, in database: Database) async throws -> [Entry] {
        try await database.read { db in
            var query = db.select()
                .columns(SQLColumn("at", table: "a"), SQLColumn("actor_user_id", table: "a"), SQLColumn("action", table: "a"),
                         SQLColumn("subject", table: "a"), SQLColumn("reason", table: "a"), SQLColumn("details", table: "a"))
                .column(SQLColumn("display_name", table: "u"), as: "actor_name")
                .from(SQLAlias(SQLIdentifier("audit_log"), as: SQLIdentifier("a")))
                .join(SQLAlias(SQLIdentifier("users"), as: SQLIdentifier("u")), method: SQLJoinMethod.left,
                      on: SQLColumn("actor_user_id", table: "a"), .equal, SQLColumn("id", table: "u"))
            if let subject { query = query.where(SQLColumn("subject", table: "a"), .equal, SQLBind(subject)) }
            return try await query.orderBy(SQLOrderBy(expression: SQLColumn("id", table: "a"), direction: SQLDirection.descending)).limit(limit).all().map { row in
                Entry(
                    at: Timestamp(milliseconds: try row.decode(column: "at", as: Int64.self)),
                    actorID: try row.decode(column: "actor_user_id", as: Int64?.self),
                    actorName: try row.decode(column: "actor_name", as: String?.self),
                    action: try row.decode(column: "action", as: String.self),
                    subject: try row.decode(column: "subject", as: String.self),
                    reason: try row.decode(column: "reason", as: String?.self),
                    details: try row.decode(column: "details", as: String?.self)
                )
            }
        }
    }
}
