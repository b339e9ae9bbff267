import Foundation
import Logging
import NIOConcurrencyHelpers
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import SQLKit

/// Fresh, migrated databases for tests: SQLite always, PostgreSQL when `QUORUM_TEST_POSTGRES_URL` is set.
///
/// Each test gets its own database, cloned from a template migrated once per test process
/// (a copied file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL), so tests run in parallel and in any order.
enum TestDatabases {
    static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["QUORUM_TEST_POSTGRES_URL"]
        return value?.isEmpty == false ? value : nil
    }()

    /// The engines every store and route test runs on.
    static let kinds: [DatabaseKind] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]

    static let logger: Logger = {
        var logger = Logger(label: "quorum.test")
        logger.logLevel = .warning
        return logger
    }()

    static let folder: String = {
        let path = NSTemporaryDirectory() + "quorum-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    private static let counter = NIOLockedValueBox(0)
    static func uniqueName(_ prefix: String) -> String {
        let n = counter.withLockedValue { $0 += 1; return $0 }
        return "\(prefix)_\(getpid())_\(n)"
    }

    /// A new migrated database of `kind`. Call `close()` when done (``withDatabase`` does).
    static func fresh(_ kind: DatabaseKind, migrated: Bool = true) async throws -> TestDatabase {
        // As the executable does first thing: the pool's gauges must be made after the metrics backend exists.
        Telemetry.bootstrap()
        switch kind {
        case .sqlite:
            let path = folder + "/" + uniqueName("db") + ".sqlite"
            if migrated {
                try FileManager.default.copyItem(atPath: try await Templates.shared.sqliteTemplate(), toPath: path)
            }
            let database = try await Database.open(.sqlite(path: path), logger: logger)
            return TestDatabase(database: database, location: .sqlite(path: path), drop: {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            })
        case .postgres:
            guard let url = postgresURL else { throw ConfigurationError("QUORUM_TEST_POSTGRES_URL is not set") }
            let name = uniqueName("qt")
            try await Templates.shared.createPostgres(name: name, fromTemplate: migrated)
            guard case .postgres(var location) = try DatabaseLocation(url: url) else { fatalError("not a postgres URL") }
            location.database = name
            let database = try await Database.open(.postgres(location), logger: logger)
            return TestDatabase(database: database, location: .postgres(location), drop: {
                try? await Templates.shared.dropPostgres(name: name)
            })
        }
    }

    /// Runs `body` with a fresh database and always closes and removes it.
    static func withDatabase<R>(_ kind: DatabaseKind, migrated: Bool = true, _ body: (TestDatabase) async throws -> R) async throws -> R {
        let test = try await fresh(kind, migrated: migrated)
        do {
            let result = try await body(test)
            await test.close()
            return result
        } catch {
            await test.close()
            throw error
        }
    }
}

struct TestDatabase: Sendable {
    let database: Database
    let location: DatabaseLocation
    let drop: @Sendable () async -> Void

    func close() async {
        await database.close()
        await drop()
    }

    var url: String {
        switch location {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let p):
            "postgres://\(p.username)\(p.password.map { ":\($0)" } ?? "")@\(p.host):\(p.port)/\(p.database)"
        }
    }
}

/// Builds each template once per process.
actor Templates {
    static let shared = Templates()
    private var sqlitePath: Task<String, any Error>?
    private var postgresTemplate: Task<String, any Error>?
    private var admin: Task<Database, any Error>?

    /// The migrated SQLite template, built by the first caller; the others wait for the same task.
    func sqliteTemplate() async throws -> String {
        if let sqlitePath { return try await sqlitePath.value }
        let task = Task { try await Self.buildSQLiteTemplate() }
        sqlitePath = task
        return try await task.value
    }

    private static func buildSQLiteTemplate() async throws -> String {
        let path = TestDatabases.folder + "/template.sqlite"
        try? FileManager.default.removeItem(atPath: path)
        let database = try await Database.open(.sqlite(path: path), logger: TestDatabases.logger)
        try await Migrator(database: database).migrate()
        try await database.read { db in try await db.raw("PRAGMA wal_checkpoint(TRUNCATE)").run() }
        await database.close()
        return path
    }

    private func adminDatabase() async throws -> Database {
        if let admin { return try await admin.value }
        let task = Task { try await Self.openAdmin() }
        admin = task
        return try await task.value
    }

    private static func openAdmin() async throws -> Database {
        guard case .postgres(var location) = try DatabaseLocation(url: TestDatabases.postgresURL!) else { fatalError() }
        location.database = "postgres"
        return try await Database.open(.postgres(location), options: .init(poolSize: 2), logger: TestDatabases.logger)
    }

    /// CREATE and DROP DATABASE wait their turn here rather than in the small admin pool, whose requests time
    /// out after 10 s when many tests start at once.
    private let adminTurn = WriteGate()

    func createPostgres(name: String, fromTemplate: Bool) async throws {
        await adminTurn.enter()
        do {
            try await createPostgresNow(name: name, fromTemplate: fromTemplate)
            await adminTurn.leave()
        } catch {
            await adminTurn.leave()
            throw error
        }
    }

    private func createPostgresNow(name: String, fromTemplate: Bool) async throws {
        let admin = try await adminDatabase()
        if fromTemplate {
            let template = try await postgresTemplateName()
            try await admin.read { db in try await db.raw("CREATE DATABASE \(ident: name) TEMPLATE \(ident: template)").run() }
        } else {
            try await admin.read { db in try await db.raw("CREATE DATABASE \(ident: name)").run() }
        }
    }

    func dropPostgres(name: String) async throws {
        await adminTurn.enter()
        do {
            let admin = try await adminDatabase()
            try await admin.read { db in try await db.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run() }
            await adminTurn.leave()
        } catch {
            await adminTurn.leave()
            throw error
        }
    }

    private func postgresTemplateName() async throws -> String {
        if let postgresTemplate { return try await postgresTemplate.value }
        let task = Task { try await Self.buildPostgresTemplate(admin: try await self.adminDatabase()) }
        postgresTemplate = task
        return try await task.value
    }

    private static func buildPostgresTemplate(admin: Database) async throws -> String {
        let name = "qt_\(getpid())_template"
        try await admin.read { db in
            try await db.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
            try await db.raw("CREATE DATABASE \(ident: name)").run()
        }
        guard case .postgres(var location) = try DatabaseLocation(url: TestDatabases.postgresURL!) else { fatalError() }
        location.database = name
        let database = try await Database.open(.postgres(location), logger: TestDatabases.logger)
        try await Migrator(database: database).migrate()
        await database.close()
        return name
    }
}
