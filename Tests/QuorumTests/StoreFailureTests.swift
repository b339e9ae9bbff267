import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import QuorumStore
@testable import QuorumWeb
import SQLKit

/// What the store reports when the database is away or the disk is full, and that it never waits for ever.
/// `scripts/faults` drives the same paths with real outages (PostgreSQL stopped, a full tmpfs) against the binary.
@Suite("Store failures")
struct StoreFailureTests {
    /// Runs `body` in a task of its own and gives up waiting after `seconds`: a hang is a failed test, not a
    /// hung suite (a task stuck on a future that never completes cannot be cancelled).
    static func outcome(within seconds: Double, _ body: @escaping @Sendable () async -> String) async throws -> String {
        let result = NIOLockedValueBox<String?>(nil)
        Task { let value = await body(); result.withLockedValue { $0 = value } }
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let value = result.withLockedValue({ $0 }) { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        return "no answer within \(seconds) s"
    }

    @Test func aStatementOnAConnectionTheServerClosedMidTransactionFailsAtOnce() async throws {
        guard TestDatabases.postgresURL != nil else { return }
        try await TestDatabases.withDatabase(.postgres) { test in
            let other = try await Database.open(test.location, options: .init(poolSize: 1), logger: TestDatabases.logger)
            let outcome = try await Self.outcome(within: 20) {
                do {
                    try await test.database.transaction { db in
                        let pid = try await db.raw("SELECT pg_backend_pid()::bigint AS pid").first(decodingColumn: "pid", as: Int64.self) ?? 0
                        // As PostgreSQL does to every backend when it stops: this connection ends under the transaction.
                        try await other.read { db in try await db.raw("SELECT pg_terminate_backend(\(bind: pid)::integer)").run() }
                        try await Task.sleep(for: .milliseconds(300))
                        try await db.raw("SELECT 1").run()
                    }
                    return "committed"
                } catch is DatabaseUnavailableError {
                    return "unavailable"
                } catch {
                    return "other error: \(String(reflecting: error))"
                }
            }
            await other.close()
            #expect(outcome == "unavailable")
            // The pool drops the dead connection and serves the next request on a new one.
            let one = try await test.database.read { db in try await db.raw("SELECT 1 AS one").first(decodingColumn: "one", as: Int.self) }
            #expect(one == 1)
        }
    }

    /// A server that does not answer (frozen, cut off) never sends the `statement_timeout` error; the pool gives the
    /// connection up at the timeout plus five seconds. A silent server is played by a statement that lifted the
    /// server's own limit; a migration's unbounded transaction is let run.
    @Test func aStatementTheServerDoesNotAnswerFailsAfterTheDeadlineUnlessUnbounded() async throws {
        guard TestDatabases.postgresURL != nil else { return }
        try await TestDatabases.withDatabase(.postgres) { test in
            var options = Database.Options()
            options.statementTimeoutMilliseconds = 100
            let database = try await Database.open(test.location, options: options, logger: TestDatabases.logger)
            let started = ContinuousClock.now
            let outcome = try await Self.outcome(within: 20) {
                do {
                    try await database.transaction { db in
                        try await db.raw("SET LOCAL statement_timeout = 0").run()
                        try await db.raw("SELECT pg_sleep(12)").run()
                    }
                    return "answered"
                } catch is DatabaseUnavailableError {
                    return "unavailable"
                } catch {
                    return "other error: \(String(reflecting: error))"
                }
            }
            let waited = ContinuousClock.now - started
            #expect(outcome == "unavailable")
            #expect(waited >= .seconds(5) && waited < .seconds(11), "given up at the deadline (5.1 s), before the server answers (12 s): \(waited)")
            let slow = try await Self.outcome(within: 20) {
                do {
                    try await database.transaction(unbounded: true) { db in
                        try await db.raw("SET LOCAL statement_timeout = 0").run()
                        try await db.raw("SELECT pg_sleep(6)").run()
                    }
                    return "answered"
                } catch {
                    return "error: \(String(reflecting: error))"
                }
            }
            #expect(slow == "answered")
            let one = try await database.read { db in try await db.raw("SELECT 1 AS one").first(decodingColumn: "one", as: Int.self) }
            #expect(one == 1, "the pool replaced the connection it gave up")
            await database.close()
        }
    }

    @Test func aFullSQLiteDatabaseRefusesTheWriteWithStorageFullAndStaysIntact() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let database = test.database
            try await database.transaction { db in
                try await db.raw("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)").run()
                try await db.raw("INSERT INTO filler (data) VALUES (randomblob(1000))").run()
            }
            // max_page_count cannot go below the file's size: 1 means "no room to grow", as on a full disk.
            await #expect(throws: StorageFullError.self) {
                try await database.transaction { db in
                    try await db.raw("PRAGMA max_page_count = 1").run()
                    try await db.raw("INSERT INTO filler (data) VALUES (randomblob(200000))").run()
                }
            }
            let rows = try await database.read { db in
                try await db.raw("SELECT count(*) AS n FROM filler").first(decodingColumn: "n", as: Int.self)
            }
            #expect(rows == 1, "the refused transaction left nothing behind")
            let integrity = try await database.read { db in
                try await db.raw("PRAGMA integrity_check").all().map { try $0.decode(column: "integrity_check", as: String.self) }
            }
            #expect(integrity == ["ok"])
            // Space returns: the same write goes through.
            try await database.transaction { db in
                try await db.raw("PRAGMA max_page_count = 1073741823").run()
                try await db.raw("INSERT INTO filler (data) VALUES (randomblob(200000))").run()
            }
        }
    }

    @Test func theWebLayerAnswers503And507WithTheirCodes() {
        let (unavailable, unavailableCode, unavailableMessage) = ErrorMiddleware.describe(DatabaseUnavailableError(underlying: "test"))
        #expect(unavailable.code == 503)
        #expect(unavailableCode == "database_unavailable")
        #expect(!unavailableMessage.contains("test"), "the driver's words stay in the log")
        #expect((DatabaseUnavailableError(underlying: "") as any RetryLaterError).retryAfterSeconds == 5)
        let (full, fullCode, _) = ErrorMiddleware.describe(StorageFullError(underlying: "test"))
        #expect(full.code == 507)
        #expect(fullCode == "storage_full")
    }
}
