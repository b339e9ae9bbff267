import SQLKit

/// Where the engines differ for long statements.
extension StoreDialect {
    /// Run first in a transaction that may take long on purpose (a migration building an index on millions of
    /// rows): lifts the per-statement time limit for that transaction only. Nil where there is no limit to lift.
    package var liftStatementTimeout: String? {
        kind == .postgres ? "SET LOCAL statement_timeout = 0" : nil
    }
}
