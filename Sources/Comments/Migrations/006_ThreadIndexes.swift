import QuorumStore
import SQLKit

extension Migrations {
    /// Threads read from indexes at any depth: keyset pages in every sort (oldest/newest by publication time,
    /// best by a stored rank), replies through their parent, and published counts kept in a counter.
    package static let threadIndexes006 = Migration(6, "thread indexes") { db, dialect in
        let statements = dialect.threadMigration + [
            "CREATE INDEX comments_thread ON comments (article_id, status, parent_id, published_at, id)",
            "CREATE INDEX comments_thread_best ON comments (article_id, status, parent_id, best_rank, published_at, id)",
            "CREATE INDEX comments_replies ON comments (parent_id, status, published_at, id)",
        ]
        for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
    }
}

/// Where the engines differ for reading large comment threads.
extension StoreDialect {
    /// The "best" order as one number, ascending (best first): editor's pick, then the engine's quality
    /// (clamped to ±10, to a millionth), then recommendations (up to 2^24 − 1), packed into 50 bits so it is
    /// exact in a BIGINT. Ties are broken by publication time and id, like the other sorts.
    static var bestRankExpression: String {
        """
        -(is_pick * 562949953421312
          + CAST(ROUND((CASE WHEN quality < -10 THEN -10 WHEN quality > 10 THEN 10 ELSE quality END + 10) * 1000000) AS BIGINT) * 16777216
          + CASE WHEN recommends > 16777215 THEN 16777215 WHEN recommends < 0 THEN 0 ELSE recommends END)
        """
    }

    /// `comments.best_rank`, kept by the database itself whenever a pick, a quality or a recommendation
    /// changes (SQLite: a virtual generated column, stored in its index; PostgreSQL: a stored generated column),
    /// and `comment_counts.published`, kept by triggers on every insert, delete and status change.
    var threadMigration: [String] {
        let storage = kind == .sqlite ? "VIRTUAL" : "STORED"
        var statements = [
            "ALTER TABLE comments ADD COLUMN best_rank BIGINT GENERATED ALWAYS AS (\(Self.bestRankExpression)) \(storage)",
            "CREATE TABLE comment_counts (article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE, published BIGINT NOT NULL DEFAULT 0)",
            """
            INSERT INTO comment_counts (article_id, published)
            SELECT article_id, COUNT(*) FROM comments WHERE status = 'published' GROUP BY article_id
            """,
        ]
        switch kind {
        case .sqlite:
            statements += [
                """
                CREATE TRIGGER comments_count_insert AFTER INSERT ON comments WHEN NEW.status = 'published' BEGIN
                  INSERT INTO comment_counts (article_id, published) VALUES (NEW.article_id, 1)
                  ON CONFLICT (article_id) DO UPDATE SET published = published + 1;
                END
                """,
                """
                CREATE TRIGGER comments_count_delete AFTER DELETE ON comments WHEN OLD.status = 'published' BEGIN
                  UPDATE comment_counts SET published = published - 1 WHERE article_id = OLD.article_id;
                END
                """,
                """
                CREATE TRIGGER comments_count_update AFTER UPDATE OF status ON comments
                WHEN (OLD.status = 'published') <> (NEW.status = 'published') BEGIN
                  UPDATE comment_counts SET published = published - 1 WHERE article_id = OLD.article_id AND OLD.status = 'published';
                  INSERT INTO comment_counts (article_id, published) SELECT NEW.article_id, 1 WHERE NEW.status = 'published'
                  ON CONFLICT (article_id) DO UPDATE SET published = published + 1;
                END
                """,
            ]
        case .postgres:
            statements += [
                """
                CREATE FUNCTION quorum_count_published() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP = 'UPDATE' AND (OLD.status = 'published') = (NEW.status = 'published') THEN RETURN NULL; END IF;
                  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'published' THEN
                    UPDATE comment_counts SET published = published - 1 WHERE article_id = OLD.article_id;
                  END IF;
                  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'published' THEN
                    INSERT INTO comment_counts (article_id, published) VALUES (NEW.article_id, 1)
                    ON CONFLICT (article_id) DO UPDATE SET published = comment_counts.published + 1;
                  END IF;
                  RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER comments_count AFTER INSERT OR DELETE OR UPDATE OF status ON comments
                FOR EACH ROW EXECUTE FUNCTION quorum_count_published()
                """,
            ]
        }
        return statements
    }
}
