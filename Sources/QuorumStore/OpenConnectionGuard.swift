import Logging
import NIOCore
import PostgresKit
import SQLKit

/// A pooled PostgreSQL connection's `SQLDatabase` that refuses to send a query on a connection the server has
/// closed.
///
/// postgres-nio (1.33) loses such a query: once the channel is inactive its handlers are gone, the write fails with
/// no one listening, and the query's promise is never completed, so the request that sent it waits forever. It
/// happens when PostgreSQL stops (or terminates a backend) between two statements of a transaction: the
/// `COMMIT` or the next statement then hangs, and graceful shutdown hangs behind it. Checking `isClosed` on the
/// connection's event loop, in the same turn as the write, closes that gap: the channel cannot go inactive between
/// the check and the write, and while it is active its handler fails any query it cannot run.
struct OpenConnectionGuard: SQLDatabase {
    let connection: PostgresConnection
    let base: any SQLDatabase

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let connection = self.connection
        let base = self.base
        return connection.eventLoop.flatSubmit {
            guard !connection.isClosed else {
                return connection.eventLoop.makeFailedFuture(
                    DatabaseUnavailableError(underlying: "the server closed connection \(connection.id)")
                )
            }
            return base.execute(sql: query, onRow)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }
}
