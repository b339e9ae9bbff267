import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

extension Migrations {
    /// Top-level pages of a thread in index order on PostgreSQL too. Its planner does not count `parent_id IS NULL`
    /// as an equality, so an index with `parent_id` among its key columns could not hand rows over already in
    /// `(published_at, id)` or `(best_rank, published_at, id)` order, and it sorted the whole thread instead.
    /// Partial indexes on top-level comments have the sort keys right after the equalities, on both engines.
    package static let topLevelIndexes007 = Migration(7, "top-level thread indexes", statements: [
        "CREATE INDEX comments_top_time ON comments (article_id, status, published_at, id) WHERE parent_id IS NULL",
        "CREATE INDEX comments_top_best ON comments (article_id, status, best_rank, published_at, id) WHERE parent_id IS NULL",
        "DROP INDEX comments_thread",
        "DROP INDEX comments_thread_best",
    ])
}
