import SQLKit

extension Migrations {
    /// Threads read from indexes at any depth: keyset pages in every sort (oldest/newest by publication time,
    /// best by a stored rank), replies through their parent, and published counts kept in a counter.
    static let threadIndexes006 = Migration(6, "thread indexes") { db, dialect in
        let statements = dialect.threadMigration + [
            "CREATE INDEX comments_thread ON comments (article_id, status, parent_id, published_at, id)",
            "CREATE INDEX comments_thread_best ON comments (article_id, status, parent_id, best_rank, published_at, id)",
            "CREATE INDEX comments_replies ON comments (parent_id, status, published_at, id)",
        ]
        for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
    }
}
