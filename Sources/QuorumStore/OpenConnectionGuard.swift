import Logging
import NIOCore
import PostgresKit
import SQLKit

/// A pooled PostgreSQL connection's `SQLDatabase` that never lets a statement wait for ever.
///
/// Two ways a request could hang on PostgreSQL, both closed here:
///
/// - A statement sent on a connection the server has just closed is lost by postgres-nio (1.33): once the channel
///   is inactive its handlers are gone, the write fails with no one listening, and the statement's promise is never
///   completed. It happens when PostgreSQL stops (or terminates a backend) between two statements of a
///   transaction: the `COMMIT` or the next statement then hangs, and graceful shutdown hangs behind it. Checking
///   `isClosed` on the connection's event loop, in the same turn as the write, closes that gap: the channel cannot
///   go inactive between the check and the write, and while it is active its handler fails any statement it
///   cannot run.
/// - A server that stops answering without closing anything (frozen, or cut off by the network) never returns
///   the `statement_timeout` error, since it is the server that enforces it. With a `deadline` (the statement
///   timeout plus a margin), a statement still unanswered then fails with ``DatabaseUnavailableError`` and the
///   connection is closed, which also fails whatever else was queued on it and frees its place in the pool.
struct OpenConnectionGuard: SQLDatabase {
    let connection: PostgresConnection
    let base: any SQLDatabase
    let deadline: TimeAmount?

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let connection = self.connection
        let base = self.base
        let deadline = self.deadline
        return connection.eventLoop.flatSubmit {
            guard !connection.isClosed else {
                return connection.eventLoop.makeFailedFuture(
                    DatabaseUnavailableError(underlying: "the server closed connection \(connection.id)")
                )
            }
            let answer = base.execute(sql: query, onRow)
            guard let deadline else { return answer }
            let promise = connection.eventLoop.makePromise(of: Void.self)
            let timer = connection.eventLoop.scheduleTask(in: deadline) {
                promise.fail(DatabaseUnavailableError(
                    underlying: "no answer from PostgreSQL within \(deadline.nanoseconds / 1_000_000) ms on connection \(connection.id)"
                ))
                let _: EventLoopFuture<Void> = connection.close()
            }
            answer.whenComplete { result in
                timer.cancel()
                // Completing an already failed promise (the deadline passed first) does nothing.
                promise.completeWith(result)
            }
            return promise.futureResult
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }
}
