import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

extension Migrations {
    /// Replies only in the reply indexes. `parent_id IS NULL` is an equality to SQLite's planner, so once the
    /// thread is analysed it read top-level pages through an index led by `parent_id` (the replies' or the plain
    /// parent index) and sorted every top-level comment for the best sort (seconds on a large thread). A partial
    /// index on replies cannot serve `parent_id IS NULL`; replies (`parent_id IN (…)`) still use it, on both engines.
    package static let replyIndex008 = Migration(8, "reply index", statements: [
        "CREATE INDEX comments_reply_list ON comments (parent_id, status, published_at, id) WHERE parent_id IS NOT NULL",
        "DROP INDEX comments_replies",
        "DROP INDEX comments_parent",
    ])
}
