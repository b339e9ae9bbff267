import SQLKit

/// One step of the schema. Shipped migrations are never edited: a change is a new migration.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let apply: @Sendable (any SQLDatabase, any StoreDialect) async throws -> Void

    public init(
        _ version: Int,
        _ name: String,
        apply: @escaping @Sendable (any SQLDatabase, any StoreDialect) async throws -> Void
    ) {
        self.version = version
        self.name = name
        self.apply = apply
    }

    /// A migration made of plain DDL statements, run in order. `{id}` stands for the dialect's
    /// auto-numbered primary key and `{bytes}` for its binary type.
    public init(_ version: Int, _ name: String, statements: [String]) {
        self.init(version, name) { db, dialect in
            for statement in statements {
                let sql = statement
                    .replacingOccurrences(of: "{id}", with: dialect.autoIncrementPrimaryKey)
                    .replacingOccurrences(of: "{bytes}", with: dialect.binaryType)
                try await db.raw(SQLQueryString(sql)).run()
            }
        }
    }
}
