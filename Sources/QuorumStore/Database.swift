@preconcurrency import AsyncKit
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import NIOConcurrencyHelpers
import PostgresKit
import SQLKit

import SQLiteKit

/// The store: a pool of connections to SQLite or PostgreSQL, used through SQLKit.
///
/// Feature stores never see the engine; they get an `any SQLDatabase` for one connection from
/// ``read(_:)`` or ``transaction(_:)`` and ask ``dialect`` where the engines differ.
public final class Database: Sendable {
    public let location: DatabaseLocation
    public let dialect: any StoreDialect
    public let poolSize: Int
    let logger: Logger
    private let pool: Pool
    private let inUse: Gauge
    private let inUseCount: ManagedAtomicCounter
    private let closed = NIOLockedValueBox(false)
    /// Values that never change once stored (the site's secret key), remembered so hot paths do not query them.
    let constants = NIOLockedValueBox<[String: String]>([:])
    /// SQLite allows one writer at a time. Writers in this process wait their turn here, without holding a
    /// connection or a thread; the busy timeout only covers writers in other processes (backup, a CLI command).
    private let writeGate: WriteGate?
    /// SQLite calls block a thread; each connection gets its own so a waiting writer never starves the holder.
    private let sqliteThreads: NIOThreadPool?
    /// Bounds reads that may take long (``expensiveRead(_:)``), so they never hold the whole pool.
    let expensiveReads: ReadGate
    /// PostgreSQL: how long a statement may go unanswered before the connection is given up (see
    /// ``OpenConnectionGuard``): the server's `statement_timeout` plus a margin, so only a server that stopped
    /// answering (frozen, partitioned) meets it. Nil without a statement timeout, and for SQLite.
    let answerDeadline: TimeAmount?

    private enum Pool: Sendable {
        case sqlite(EventLoopGroupConnectionPool<SQLiteStoreSource>)
        case postgres(EventLoopGroupConnectionPool<PostgresConnectionSource>)
    }

    public struct Options: Sendable {
        /// Connections in the pool (spread across the event loops). SQLite allows one writer at a time
        /// whatever this is; extra connections serve concurrent readers.
        public var poolSize: Int
        /// SQLite `synchronous` pragma: `FULL` (fsync at every commit, the default) or `NORMAL`.
        public var sqliteSynchronous: String
        /// How long SQLite waits for the write lock before giving up.
        public var sqliteBusyTimeoutMilliseconds: Int

        /// Expensive reads (``Database/expensiveRead(_:)``) running at once; nil: half the pool. As many more may
        /// wait (up to 2 s); beyond that they are refused with 503.
        public var expensiveReads: Int?
        /// PostgreSQL `statement_timeout` for every pooled connection, in milliseconds (0: none). Migrations lift
        /// it for their own transaction. SQLite has no equivalent through its driver (see docs/development.md).
        public var statementTimeoutMilliseconds: Int = 10_000

        public init(poolSize: Int = 8, sqliteSynchronous: String = "FULL", sqliteBusyTimeoutMilliseconds: Int = 5000) {
            self.poolSize = poolSize
            self.sqliteSynchronous = sqliteSynchronous
            self.sqliteBusyTimeoutMilliseconds = sqliteBusyTimeoutMilliseconds
        }
    }

    /// Opens the store and checks that it answers, so a bad path or an unreachable server is reported
    /// at start with one clear line instead of on the first request.
    public static func open(
        _ location: DatabaseLocation,
        options: Options = .init(),
        logger: Logger = Logger(label: "quorum.store")
    ) async throws -> Database {
        let database = try Database(location: location, options: options, logger: logger)
        do {
            try await database.read { db in try await db.raw("SELECT 1").run() }
        } catch {
            await database.close()
            throw database.explain(error)
        }
        return database
    }

    private init(location: DatabaseLocation, options: Options, logger: Logger) throws {
        self.location = location
        self.logger = logger
        let group = MultiThreadedEventLoopGroup.singleton
        let loops = max(1, Array(group.makeIterator()).count)
        let perLoop = max(1, (options.poolSize + loops - 1) / loops)
        self.poolSize = perLoop * loops
        self.inUse = Gauge(label: "quorum_db_pool_in_use")
        self.inUseCount = ManagedAtomicCounter()
        Gauge(label: "quorum_db_pool_size").record(self.poolSize)
        let expensive = options.expensiveReads ?? max(1, self.poolSize / 2)
        self.expensiveReads = ReadGate(limit: expensive, queue: expensive)
        switch location {
        case .sqlite(let path):
            try SQLiteStoreSource.checkWritable(path: path)
            self.answerDeadline = nil
            self.dialect = SQLiteStoreDialect()
            self.writeGate = WriteGate()
            let threads = NIOThreadPool(numberOfThreads: perLoop * loops)
            threads.start()
            self.sqliteThreads = threads
            let source = SQLiteStoreSource(
                path: path,
                threads: threads,
                synchronous: options.sqliteSynchronous,
                busyTimeoutMilliseconds: options.sqliteBusyTimeoutMilliseconds
            )
            self.pool = .sqlite(
                EventLoopGroupConnectionPool(
                    source: source, maxConnectionsPerEventLoop: perLoop, pruneInterval: nil, logger: logger, on: group
                )
            )
        case .postgres(let p):
            self.dialect = PostgresStoreDialect()
            self.writeGate = nil
            let timeout = Int64(options.statementTimeoutMilliseconds)
            self.answerDeadline = timeout > 0 ? .milliseconds(timeout + 5000) : nil
            self.sqliteThreads = nil
            self.pool = .postgres(
                EventLoopGroupConnectionPool(
                    source: PostgresConnectionSource(sqlConfiguration: try p.sqlConfiguration(statementTimeoutMilliseconds: options.statementTimeoutMilliseconds)),
                    maxConnectionsPerEventLoop: perLoop,
                    requestTimeout: .seconds(10),
                    pruneInterval: .seconds(60),
                    logger: logger,
                    on: group
                )
            )
        }
    }

    public var kind: DatabaseKind { dialect.kind }

    /// Runs `body` on one pooled connection, outside any explicit transaction.
    public func read<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await withConnection(deadline: answerDeadline) { db, _ in try await body(db) }
    }

    /// ``read(_:)`` for a read that may take long (a page of a large thread): bounded by ``Options/expensiveReads``,
    /// so that many of them at once get ``DatabaseBusyError`` (503) rather than every connection.
    public func expensiveRead<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await expensiveReads.run { try await read(body) }
    }

    /// Runs `body` in one transaction on one connection: committed when it returns, rolled back when it throws.
    /// When the commit returns, the write is durable (SQLite WAL with `synchronous` as configured; PostgreSQL commit).
    /// `unbounded`: statements may take as long as they need (a migration that lifts `statement_timeout`), so the
    /// connection is not given up when one goes unanswered for long.
    public func transaction<R: Sendable>(unbounded: Bool = false, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let begin = dialect.beginWriteTransaction
        if let writeGate { await writeGate.enter() }
        do {
            let result = try await runTransaction(begin: begin, deadline: unbounded ? nil : answerDeadline, body)
            await writeGate?.leave()
            return result
        } catch {
            await writeGate?.leave()
            throw error
        }
    }

    private func runTransaction<R: Sendable>(
        begin: String, deadline: TimeAmount?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await withConnection(deadline: deadline) { db, discard in
            try await db.raw(SQLQueryString(begin)).run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                do {
                    try await db.raw("ROLLBACK").run()
                } catch {
                    // A connection whose transaction state is unknown must not go back to the pool.
                    discard()
                }
                throw error
            }
        }
    }

    private func withConnection<R: Sendable>(
        deadline: TimeAmount?,
        _ body: @escaping @Sendable (any SQLDatabase, _ discard: @escaping @Sendable () -> Void) async throws -> R
    ) async throws -> R {
        inUse.record(inUseCount.add(1))
        defer { inUse.record(inUseCount.add(-1)) }
        do {
            return try await withPooledConnection(deadline: deadline, body)
        } catch {
            throw StoreFailure.classify(error, location: location)
        }
    }

    private func withPooledConnection<R: Sendable>(
        deadline: TimeAmount?,
        _ body: @escaping @Sendable (any SQLDatabase, _ discard: @escaping @Sendable () -> Void) async throws -> R
    ) async throws -> R {
        switch pool {
        case .sqlite(let pool):
            return try await pool.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    try await body(connection.sql(encoder: .init(), decoder: .init(), queryLogLevel: nil)) {
                        let _: EventLoopFuture<Void> = connection.close()
                    }
                }
            }.get()
        case .postgres(let pool):
            return try await pool.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    try await body(OpenConnectionGuard(connection: connection, base: connection.sql(queryLogLevel: nil), deadline: deadline)) {
                        let _: EventLoopFuture<Void> = connection.close()
                    }
                }
            }.get()
        }
    }

    public func close() async {
        guard closed.withLockedValue({ let was = $0; $0 = true; return !was }) else { return }
        switch pool {
        case .sqlite(let pool): try? await pool.shutdownAsync()
        case .postgres(let pool): try? await pool.shutdownAsync()
        }
        try? await sqliteThreads?.shutdownGracefully()
    }

    /// A store dropped without ``close()`` (an error path) still releases its connections.
    deinit {
        guard !closed.withLockedValue({ $0 }) else { return }
        switch pool {
        case .sqlite(let pool):
            let threads = sqliteThreads
            pool.shutdownGracefully { _ in threads?.shutdownGracefully { _ in } }
        case .postgres(let pool): pool.shutdownGracefully { _ in }
        }
    }

    /// Turns a driver error met while connecting into one line naming the problem.
    func explain(_ error: any Error) -> any Error {
        if error is ConfigurationError { return error }
        switch location {
        case .sqlite(let path):
            return ConfigurationError("cannot open SQLite database at \(path): \(String(reflecting: error))")
        case .postgres(let p):
            let text = String(reflecting: error)
            if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("connect(descriptor")
                || text.contains("connectTimeout") || text.contains("NIOConnectionError")
            {
                return ConfigurationError("cannot reach PostgreSQL at \(p.host):\(p.port): connection refused or timed out")
            }
            if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] {
                return ConfigurationError("PostgreSQL at \(p.host):\(p.port) refused database \(p.database): \(message)")
            }
            return ConfigurationError("cannot use PostgreSQL at \(p.host):\(p.port)/\(p.database): \(text)")
        }
    }
}

extension DatabaseLocation.PostgresLocation {
    /// How to connect: the pool's connections and the bus's listening one (``PostgresBus``) alike.
    /// `statementTimeoutMilliseconds` above 0 sets `statement_timeout` for the connection's whole session.
    package func sqlConfiguration(statementTimeoutMilliseconds: Int = 0) throws -> SQLPostgresConfiguration {
        let tls: PostgresConnection.Configuration.TLS =
            requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        var configuration = SQLPostgresConfiguration(hostname: host, port: port, username: username, password: password, database: database, tls: tls)
        // Longer than the pool's 10 s wait: a start-up still pending when postgres-nio's connect time-out passes
        // (a frozen server that later resumes) can complete afterwards and be dropped unclosed, which trips an
        // assertion in debug builds. Requests give up after the pool's wait either way.
        configuration.coreConfiguration.options.connectTimeout = .seconds(30)
        if statementTimeoutMilliseconds > 0 {
            configuration.coreConfiguration.options.additionalStartupParameters.append(("statement_timeout", "\(statementTimeoutMilliseconds)"))
        }
        return configuration
    }
}

/// A first-come, first-served turn for writers.
actor WriteGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A lock-protected counter for the pool gauge.
final class ManagedAtomicCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func add(_ delta: Int) -> Int { value.withLockedValue { $0 += delta; return $0 } }
}

/// Opens SQLite connections with the pragmas Quorum relies on: WAL, foreign keys, a busy timeout.
struct SQLiteStoreSource: ConnectionPoolSource, Sendable {
    let path: String
    let threads: NIOThreadPool
    let synchronous: String
    let busyTimeoutMilliseconds: Int

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: threads, logger: logger, on: eventLoop)
            .flatMap { connection in
                let pragmas = [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = \(busyTimeoutMilliseconds)",
                    "PRAGMA synchronous = \(synchronous == "NORMAL" ? "NORMAL" : "FULL")",
                ]
                return pragmas.reduce(eventLoop.makeSucceededVoidFuture()) { future, pragma in
                    future.flatMap { connection.query(pragma).map { _ in } }
                }.map { connection }
                .flatMapError { error in connection.close().flatMapThrowing { throw error } }
            }
    }

    /// SQLite reports an unwritable folder as "unable to open database file"; say what is actually wrong.
    static func checkWritable(path: String) throws {
        let manager = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError("cannot open SQLite database at \(path): folder \(folder) does not exist")
        }
        if manager.fileExists(atPath: path) {
            guard manager.isWritableFile(atPath: path) else {
                throw ConfigurationError("cannot open SQLite database at \(path): the file is not writable")
            }
        } else if !manager.isWritableFile(atPath: folder) {
            throw ConfigurationError("cannot create SQLite database at \(path): folder \(folder) is not writable")
        }
    }
}
