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
    /// SQLite allows one writer at a time: in this process it is ``GroupCommit``, which runs the transactions of
    /// requests waiting at once in one SQLite transaction (one commit, one fsync) and answers none of them before
    /// that commit. The busy timeout only covers writers in other processes (backup, a CLI command).
    private let groupCommit: GroupCommit?
    /// Statements and transactions run through this store, for tests that hold a step's queries to a budget.
    private let statements = ManagedAtomicCounter()
    private let transactions = ManagedAtomicCounter()
    private let commits = ManagedAtomicCounter()
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
            self.groupCommit = GroupCommit()
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
            self.groupCommit = nil
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
    ///
    /// On SQLite, transactions requested while another runs share one commit (``GroupCommit``): each body runs in
    /// a savepoint of its own, so one that throws takes back only its own writes, and none returns before the
    /// commit that holds its writes. `body` must not start another transaction (it would wait for itself).
    ///
    /// `unbounded`: statements may take as long as they need (a migration that lifts `statement_timeout`), so the
    /// connection is not given up when one goes unanswered for long (PostgreSQL; SQLite has no such deadline).
    public func transaction<R: Sendable>(unbounded: Bool = false, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        _ = transactions.add(1)
        guard let groupCommit else {
            // PostgreSQL may end one of two transactions that lock the same rows in opposite orders (a deadlock) or
            // that cannot both be serialised: nothing of it was written, and running it again is the documented remedy.
            var attempt = 1
            while true {
                do {
                    return try await runTransaction(begin: dialect.beginWriteTransaction, deadline: unbounded ? nil : answerDeadline, body)
                } catch let error as PSQLError where attempt < 3 && ["40P01", "40001"].contains(error.serverInfo?[.sqlState] ?? "") {
                    attempt += 1
                }
            }
        }
        return try await queueWrite(bare: false, groupCommit, body)
    }

    /// Queues `body` on SQLite's writer and waits for its outcome. A caller that finds the writer idle becomes
    /// it for one batch (its own transaction first), so a lone write costs no extra task; what queued meanwhile
    /// is left to a task that drains the rest.
    private func queueWrite<R: Sendable>(
        bare: Bool, _ groupCommit: GroupCommit, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let outcome = WriteOutcome<R>()
        let job = GroupCommit.Job(
            bare: bare,
            run: { db in
                let result = try await body(db)
                return { outcome.complete(.success(result)) }
            },
            fail: { outcome.complete(.failure($0)) }
        )
        if groupCommit.enqueue(job), let first = groupCommit.next(finishingIfEmpty: false) {
            await runWriteBatch(first, groupCommit)
            if let next = groupCommit.next(finishingIfEmpty: true) {
                Task {
                    await self.runWriteBatch(next, groupCommit)
                    await self.drainWrites(groupCommit)
                }
            }
        }
        do {
            return try await outcome.value()
        } catch {
            // What failed inside the batch (a full disk, the database gone) is named like any store failure.
            throw StoreFailure.classify(error, location: location)
        }
    }

    /// The writer: batches of waiting transactions, one after another, until none waits.
    private func drainWrites(_ groupCommit: GroupCommit) async {
        while let first = groupCommit.next(finishingIfEmpty: true) {
            await runWriteBatch(first, groupCommit)
        }
    }

    /// One SQLite transaction holding `first` and the transactions that arrive while it runs (up to
    /// ``GroupCommit/maximumBatch``). The first runs as it would alone; each later one in a savepoint. Every
    /// member learns its outcome only after the commit (or the failure that lost its writes).
    private func runWriteBatch(_ first: GroupCommit.Job, _ groupCommit: GroupCommit) async {
        let begin = dialect.beginWriteTransaction
        do {
            try await withConnection(deadline: nil, onItsEventLoop: true) { db, discard in
                var members: [(job: GroupCommit.Job, done: @Sendable () -> Void)] = []
                var current: GroupCommit.Job? = first
                var open = false
                var taken = 0
                do {
                    while let job = current {
                        taken += 1
                        if job.bare && !open && members.isEmpty {
                            // A single statement on its own commits by itself (autocommit): durable when it returns.
                            current = nil
                            do {
                                let done = try await job.run(db)
                                done()
                            } catch {
                                job.fail(error)
                            }
                            current = taken < GroupCommit.maximumBatch ? groupCommit.next(finishingIfEmpty: false) : nil
                            continue
                        }
                        if !open {
                            try await db.raw(SQLQueryString(begin)).run()
                            open = true
                        }
                        let alone = members.isEmpty
                        if !alone { try await db.raw("SAVEPOINT quorum_write").run() }
                        do {
                            let done = try await job.run(db)
                            if !alone { try await db.raw("RELEASE quorum_write").run() }
                            members.append((job, done))
                        } catch {
                            // SQLite may have ended the whole transaction itself (a full disk does): then the
                            // rollback has nothing to undo, and what the job failed with is the error that counts.
                            let failure = error
                            if alone {
                                do { try await db.raw("ROLLBACK").run() } catch {}
                                open = false
                            } else {
                                do {
                                    try await db.raw("ROLLBACK TO quorum_write").run()
                                    try await db.raw("RELEASE quorum_write").run()
                                } catch {
                                    // The earlier members' writes went with the transaction: all of them fail.
                                    throw failure
                                }
                            }
                            job.fail(failure)
                        }
                        current = taken < GroupCommit.maximumBatch ? groupCommit.next(finishingIfEmpty: false) : nil
                    }
                    if open {
                        try await db.raw("COMMIT").run()
                        _ = self.commits.add(1)
                    }
                } catch {
                    // The transaction itself failed (begin, a savepoint, the commit): nothing of it was written.
                    do { try await db.raw("ROLLBACK").run() } catch { discard() }
                    for member in members { member.job.fail(error) }
                    current?.fail(error)
                    return
                }
                for member in members { member.done() }
            }
        } catch {
            // No connection: the batch never started.
            first.fail(error)
        }
    }

    /// A write of one statement (or a few that need no transaction together). On SQLite it goes through the
    /// writer like every write, so it never contends for the write lock with it (a write outside it would wait
    /// in SQLite's busy handler, which sleeps); on PostgreSQL it runs on its own (autocommit).
    public func write<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        guard let groupCommit else { return try await read(body) }
        return try await queueWrite(bare: true, groupCommit, body)
    }

    /// Statements run so far through this store (every query, `BEGIN` and `COMMIT` included).
    package var statementCount: Int { statements.add(0) }
    /// Transactions asked for so far (``transaction(_:)`` calls).
    package var transactionCount: Int { transactions.add(0) }
    /// Commits run so far: on SQLite fewer than transactions when they were committed together.
    package var commitCount: Int { commits.add(0) }

    private func runTransaction<R: Sendable>(
        begin: String, deadline: TimeAmount?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await withConnection(deadline: deadline) { db, discard in
            try await db.raw(SQLQueryString(begin)).run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                _ = self.commits.add(1)
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
        onItsEventLoop: Bool = false,
        _ body: @escaping @Sendable (any SQLDatabase, _ discard: @escaping @Sendable () -> Void) async throws -> R
    ) async throws -> R {
        inUse.record(inUseCount.add(1))
        defer { inUse.record(inUseCount.add(-1)) }
        do {
            return try await withPooledConnection(deadline: deadline, onItsEventLoop: onItsEventLoop, body)
        } catch {
            throw StoreFailure.classify(error, location: location)
        }
    }

    /// `onItsEventLoop`: the body's task runs on the SQLite connection's event loop (SQLite's writer). Each
    /// statement's answer arrives on that loop, so the writer goes on to its next statement there at once instead
    /// of waiting for a Swift concurrency thread to be woken: a write batch runs a few statements per transaction,
    /// one after another, and those waits were most of its time. Reads keep to the shared threads, so that a long
    /// read never holds up the connections an event loop serves.
    private func withPooledConnection<R: Sendable>(
        deadline: TimeAmount?,
        onItsEventLoop: Bool = false,
        _ body: @escaping @Sendable (any SQLDatabase, _ discard: @escaping @Sendable () -> Void) async throws -> R
    ) async throws -> R {
        switch pool {
        case .sqlite(let pool):
            return try await pool.withConnection { connection in
                let run: @Sendable () async throws -> R = {
                    try await body(CountingSQLDatabase(base: connection.sql(encoder: .init(), decoder: .init(), queryLogLevel: nil), counter: self.statements)) {
                        let _: EventLoopFuture<Void> = connection.close()
                    }
                }
                guard onItsEventLoop else { return connection.eventLoop.makeFutureWithTask(run) }
                let promise = connection.eventLoop.makePromise(of: R.self)
                Task(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) {
                    do { promise.succeed(try await run()) } catch { promise.fail(error) }
                }
                return promise.futureResult
            }.get()
        case .postgres(let pool):
            return try await pool.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    let counted = CountingSQLDatabase(base: connection.sql(queryLogLevel: nil), counter: self.statements)
                    return try await body(OpenConnectionGuard(connection: connection, base: counted, deadline: deadline)) {
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

/// A first-come, first-served turn (tests use it to take turns at administering the test cluster).
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

/// The queue of SQLite's single writer: transactions waiting, first come first served, and whether the writer
/// is running (exactly one drains the queue at a time).
final class GroupCommit: Sendable {
    /// Transactions in one commit at most, so one batch cannot hold the writer for long.
    static let maximumBatch = 64

    struct Job: Sendable {
        /// A write of one statement needing no transaction (``Database/write(_:)``): alone, it runs as it is.
        var bare = false
        /// Runs the transaction's body; returns what answers its caller once the commit succeeded.
        let run: @Sendable (any SQLDatabase) async throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private let state = NIOLockedValueBox<(queue: [Job], head: Int, running: Bool)>(([], 0, false))

    /// Queues `job`; true when the caller must start the writer (none is running).
    func enqueue(_ job: Job) -> Bool {
        state.withLockedValue { state in
            state.queue.append(job)
            if state.running { return false }
            state.running = true
            return true
        }
    }

    /// The next waiting job, if any. With `finishingIfEmpty`, an empty queue also stops the writer, atomically
    /// with the check, so a job queued just after is started by its own caller.
    func next(finishingIfEmpty: Bool) -> Job? {
        state.withLockedValue { state in
            guard state.head < state.queue.count else {
                state.queue.removeAll(keepingCapacity: true)
                state.head = 0
                if finishingIfEmpty { state.running = false }
                return nil
            }
            let job = state.queue[state.head]
            state.head += 1
            if state.head > 256 {
                state.queue.removeFirst(state.head)
                state.head = 0
            }
            return job
        }
    }
}

/// The outcome of one queued write, handed from the writer to the caller (who may have been the writer).
final class WriteOutcome<R: Sendable>: Sendable {
    private let state = NIOLockedValueBox<(result: Result<R, any Error>?, waiter: CheckedContinuation<R, any Error>?)>((nil, nil))

    func complete(_ result: Result<R, any Error>) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<R, any Error>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.result = result
            return nil
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { state -> Result<R, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// Counts the statements run on a connection (``Database/statementCount``), forwarding everything else.
struct CountingSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let counter: ManagedAtomicCounter

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        _ = counter.add(1)
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        _ = counter.add(1)
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await base.withSession { try await closure(CountingSQLDatabase(base: $0, counter: counter)) }
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

/// Runs the jobs of the tasks that prefer it on one NIO event loop (``Database``'s SQLite writer).
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
