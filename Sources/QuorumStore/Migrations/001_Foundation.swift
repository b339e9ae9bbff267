extension Migrations {
    /// People, their roles, site settings and the audit log every feature writes to.
    package static let foundation001 = Migration(1, "foundation", statements: [
        """
        CREATE TABLE users (
            id {id},
            email TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active',
            status_reason TEXT,
            status_until BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE user_roles (
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            granted_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, role)
        )
        """,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE audit_log (
            id {id},
            at BIGINT NOT NULL,
            actor_user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            reason TEXT,
            details TEXT
        )
        """,
        "CREATE INDEX audit_log_at ON audit_log (at)",
    ])
}
