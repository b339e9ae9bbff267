import QuorumStore

extension Migrations {
    /// What the comment importers brought in, keyed by where it came from, so a second run adds nothing:
    /// each imported comment by (source, its id there), each imported author by (source, email or name).
    package static let commentImports017 = Migration(17, "comment imports", statements: [
        """
        CREATE TABLE imported_comments (
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            comment_id BIGINT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
            PRIMARY KEY (source, source_id)
        )
        """,
        """
        CREATE TABLE imported_authors (
            source TEXT NOT NULL,
            author_key TEXT NOT NULL,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            PRIMARY KEY (source, author_key)
        )
        """,
    ])
}
