import Foundation
import Logging

import SQLKit

/// Applies versioned migrations in order, each in its own transaction, and records them in `schema_migrations`.
public struct Migrator: Sendable {
    public let database: Database
    public let migrations: [Migration]

    public init(database: Database, migrations: [Migration]) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public struct Applied: Sendable, Equatable {
        public let version: Int
        public let name: String
    }

    /// Versions already applied, oldest first.
    public func appliedVersions() async throws -> [Int] {
        try await ensureTable()
        return try await database.read { db in
            try await db.select().column("version").from("schema_migrations").orderBy("version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
    }

    /// Migrations this build knows that the database has not applied yet.
    public func pending() async throws -> [Migration] {
        let applied = Set(try await appliedVersions())
        return migrations.filter { !applied.contains($0.version) }
    }

    /// Applies every pending migration and returns what it applied (empty when the schema is current).
    /// Refuses a database that has a migration this build does not know: it was written by a newer Quorum.
    @discardableResult
    public func migrate(logger: Logger? = nil) async throws -> [Applied] {
        let applied = Set(try await appliedVersions())
        let known = Set(migrations.map(\.version))
        if let unknown = applied.subtracting(known).max() {
            throw ConfigurationError(
                "the database has migration \(unknown), which this version of Quorum does not know (newest known: \(known.max() ?? 0)); run a newer Quorum or restore a backup"
            )
        }
        var done: [Applied] = []
        for migration in migrations where !applied.contains(migration.version) {
            let dialect = database.dialect
            do {
                try await database.transaction(unbounded: true) { db in
                    if let lift = dialect.liftStatementTimeout { try await db.raw(SQLQueryString(lift)).run() }
                    try await migration.apply(db, dialect)
                    try await db.insert(into: "schema_migrations")
                        .columns("version", "name", "applied_at")
                        .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(Timestamp.now.milliseconds))
                        .run()
                }
            } catch {
                throw MigrationError(version: migration.version, name: migration.name, underlying: error)
            }
            logger?.info("applied migration \(migration.version) \(migration.name)")
            done.append(Applied(version: migration.version, name: migration.name))
        }
        return done
    }

    private func ensureTable() async throws {
        try await database.read { db in
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            ).run()
        }
    }
}

/// A migration failed; its transaction was rolled back and the database is at the previous version.
public struct MigrationError: Error, CustomStringConvertible {
    public let version: Int
    public let name: String
    public let underlying: any Error
    public var description: String {
        "migration \(version) \(name) failed and was rolled back: \(String(describing: underlying))"
    }
}
