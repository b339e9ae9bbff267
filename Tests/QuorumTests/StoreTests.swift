import Foundation
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Store and migrations")
struct StoreTests {
    @Test(arguments: TestDatabases.kinds)
    func migratingTwiceIsANoOp(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind, migrated: false) { test in
            let migrator = Migrator(database: test.database)
            let first = try await migrator.migrate()
            #expect(first.map(\.version) == Migrations.all.map(\.version))
            let second = try await migrator.migrate()
            #expect(second.isEmpty)
            #expect(try await migrator.appliedVersions() == Migrations.all.map(\.version))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func failingMigrationLeavesThePreviousVersion(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let failing = Migration(9_001, "half-done") { db, _ in
                try await db.raw("CREATE TABLE half_done (id BIGINT PRIMARY KEY)").run()
                try await db.raw("INSERT INTO half_done (id) VALUES (1)").run()
                try await db.raw("INSERT INTO no_such_table (id) VALUES (1)").run()
            }
            let migrator = Migrator(database: test.database, migrations: Migrations.all + [failing])
            await #expect(throws: MigrationError.self) { try await migrator.migrate() }
            let versions = try await migrator.appliedVersions()
            #expect(versions == Migrations.all.map(\.version))
            // The table the failed migration created was rolled back with it.
            await #expect(throws: (any Error).self) {
                try await test.database.read { db in try await db.raw("SELECT id FROM half_done").all() }
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func refusesADatabaseFromANewerVersion(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            try await test.database.read { db in
                try await db.insert(into: "schema_migrations").columns("version", "name", "applied_at")
                    .values(SQLBind(99_999), SQLBind("from the future"), SQLBind(0)).run()
            }
            do {
                try await Migrator(database: test.database).migrate()
                Issue.record("a database with an unknown migration was accepted")
            } catch let error as ConfigurationError {
                #expect(error.message.contains("99999"))
                #expect(error.message.contains("newer Quorum"))
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func usersAreUniqueByNormalisedEmail(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let users = UserStore(database: test.database)
            let created = try await users.create(email: "Editor@Example.com", displayName: "Ed", roles: [.editor])
            #expect(created.roles == [.reader, .editor])
            let found = try await users.find(email: "editor@example.COM")
            #expect(found == created)
            await #expect(throws: UserStore.Failure.emailTaken("editor@example.com")) {
                try await users.create(email: "EDITOR@example.com", displayName: "", roles: [])
            }
            await #expect(throws: UserStore.Failure.invalidEmail("nobody")) {
                try await users.create(email: "nobody", displayName: "", roles: [])
            }
            try await users.grant([.admin, .editor], to: created.id)
            let regranted = try await users.find(email: created.email)
            #expect(regranted?.roles == [.reader, .editor, .admin])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func transactionsRollBackOnError(kind: DatabaseKind) async throws {
        struct Abort: Error {}
        try await TestDatabases.withDatabase(kind) { test in
            await #expect(throws: Abort.self) {
                try await test.database.transaction { db in
                    try await db.insert(into: "settings").columns("key", "value", "updated_at")
                        .values(SQLBind("k"), SQLBind("v"), SQLBind(0)).run()
                    throw Abort()
                }
            }
            let rows = try await test.database.read { db in try await db.select().column("key").from("settings").all() }
            #expect(rows.isEmpty)
        }
    }

    /// Many writers at once all succeed: SQLite queues them on the write lock, PostgreSQL on row locks.
    @Test(arguments: TestDatabases.kinds)
    func concurrentWritersAllCommit(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        try await test.database.transaction { db in
                            let count = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                                .from("settings").first(decodingColumn: "n", as: Int.self) ?? 0
                            try await db.insert(into: "settings").columns("key", "value", "updated_at")
                                .values(SQLBind("key-\(i)"), SQLBind("\(count)"), SQLBind(Int64(i))).run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await test.database.read { db in
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("settings")
                    .first(decodingColumn: "n", as: Int.self)
            }
            #expect(count == 40)
        }
    }

    @Test func sqliteRunsInWALWithForeignKeys() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let mode = try await test.database.read { db in
                try await db.raw("PRAGMA journal_mode").first(decodingColumn: "journal_mode", as: String.self)
            }
            #expect(mode == "wal")
            let foreignKeys = try await test.database.read { db in
                try await db.raw("PRAGMA foreign_keys").first(decodingColumn: "foreign_keys", as: Int.self)
            }
            #expect(foreignKeys == 1)
            await #expect(throws: (any Error).self) {
                try await test.database.read { db in
                    try await db.raw("INSERT INTO user_roles (user_id, role, granted_at) VALUES (424242, 'reader', 0)").run()
                }
            }
        }
    }

    @Test func backupCopiesALiveSQLiteDatabase() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            _ = try await UserStore(database: test.database).create(email: "a@example.com", displayName: "A", roles: [])
            let file = TestDatabases.folder + "/" + TestDatabases.uniqueName("backup") + ".sqlite"
            // Writers keep going while the copy is made.
            async let writes: Void = {
                for i in 0..<20 {
                    _ = try await UserStore(database: test.database).create(email: "w\(i)@example.com", displayName: "", roles: [])
                }
            }()
            let bytes = try await Backup.copy(test.database, to: file)
            try await writes
            #expect(bytes > 0)
            let copy = try await Database.open(.sqlite(path: file), logger: TestDatabases.logger)
            let users = try await copy.read { db in
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("users")
                    .first(decodingColumn: "n", as: Int.self)
            }
            await copy.close()
            #expect((users ?? 0) >= 1)
            await #expect(throws: ConfigurationError.self) { try await Backup.copy(test.database, to: file) }
        }
    }

    @Test func unwritableSQLitePathsAreReportedClearly() async throws {
        do {
            _ = try await Database.open(.sqlite(path: "/no/such/folder/q.sqlite"))
            Issue.record("opened a database in a missing folder")
        } catch let error as ConfigurationError {
            #expect(error.message == "cannot open SQLite database at /no/such/folder/q.sqlite: folder /no/such/folder does not exist")
        }
    }

    @Test func unreachablePostgresIsReportedClearly() async throws {
        do {
            _ = try await Database.open(try DatabaseLocation(url: "postgres://quorum@127.0.0.1:1/quorum"))
            Issue.record("connected to a closed port")
        } catch let error as ConfigurationError {
            #expect(error.message == "cannot reach PostgreSQL at 127.0.0.1:1: connection refused or timed out")
        }
    }
}
