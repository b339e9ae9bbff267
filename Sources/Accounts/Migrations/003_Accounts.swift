import QuorumMail
import QuorumStore
import QuorumWeb

extension Migrations {
    /// Sessions, email sign-in, invitations, email changes, rate limits and the mail outbox.
    package static let accounts003 = Migration(3, "accounts", statements: [
        "ALTER TABLE users ADD COLUMN password_hash TEXT",
        "ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT",
        """
        CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            last_seen_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            user_agent TEXT NOT NULL
        )
        """,
        "CREATE INDEX sessions_user ON sessions (user_id)",
        """
        CREATE TABLE sign_in_requests (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            link_hash TEXT NOT NULL UNIQUE,
            code_hash TEXT NOT NULL,
            next_path TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT,
            code_attempts INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX sign_in_requests_email ON sign_in_requests (email, created_at)",
        """
        CREATE TABLE invitations (
            email TEXT PRIMARY KEY,
            invited_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE email_changes (
            token_hash TEXT PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            new_email TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT
        )
        """,
        """
        CREATE TABLE rate_limits (
            bucket TEXT NOT NULL,
            window_start BIGINT NOT NULL,
            hits INTEGER NOT NULL,
            PRIMARY KEY (bucket, window_start)
        )
        """,
        """
        CREATE TABLE outbox (
            id {id},
            kind TEXT NOT NULL,
            to_address TEXT NOT NULL,
            subject TEXT NOT NULL,
            body_text TEXT NOT NULL,
            body_html TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            claimed_until BIGINT,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            sent_at BIGINT
        )
        """,
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
    ])
}
