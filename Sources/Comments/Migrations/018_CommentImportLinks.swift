import QuorumStore

extension Migrations {
    /// What an import must know again when it is run after an interruption: every post of the file it has read
    /// (kept or skipped) with its parent's id there, so a reply whose parent comes later — or was skipped — is
    /// linked the same whether the file was read in one run or several; and which imported comments are counted
    /// in their authors' records yet (rows imported before this migration were counted when they were written).
    /// Also the one-time tickets by which a sign-in window on the site itself signs the embed's frame in.
    package static let commentImportLinks018 = Migration(18, "comment import links and frame sign-in tickets", statements: [
        """
        CREATE TABLE imported_posts (
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            parent_source_id TEXT,
            kept BIGINT NOT NULL,
            PRIMARY KEY (source, source_id)
        )
        """,
        "CREATE INDEX imported_posts_parent ON imported_posts (source, parent_source_id)",
        "ALTER TABLE imported_comments ADD COLUMN counted BIGINT NOT NULL DEFAULT 1",
        "CREATE INDEX imported_comments_uncounted ON imported_comments (source, counted)",
        """
        CREATE TABLE embed_sign_in_tickets (
            ticket_hash TEXT PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            nonce_hash TEXT NOT NULL,
            next_path TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT
        )
        """,
    ])
}
