import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

extension Migrations {
    /// Comments, their peer reviews, review tasks, reactions, reader flags, and what the review engine
    /// remembers about reviewers, authors and its own model.
    package static let comments004 = Migration(4, "comments", statements: [
        """
        CREATE TABLE comments (
            id {id},
            article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            author_id BIGINT NOT NULL REFERENCES users(id),
            parent_id BIGINT REFERENCES comments(id) ON DELETE CASCADE,
            body TEXT NOT NULL,
            status TEXT NOT NULL,
            self_rating TEXT,
            prescreen_score DOUBLE PRECISION,
            prescreen_reasons TEXT,
            created_at BIGINT NOT NULL,
            submitted_at BIGINT,
            decided_at BIGINT,
            published_at BIGINT,
            edited_at BIGINT,
            decided_by TEXT,
            decision TEXT,
            probability_uncivil DOUBLE PRECISION,
            moderator_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
            moderation_reason TEXT,
            audit_verdict TEXT,
            is_pick BIGINT NOT NULL DEFAULT 0,
            recommends BIGINT NOT NULL DEFAULT 0,
            quality DOUBLE PRECISION NOT NULL DEFAULT 0,
            flags_open BIGINT NOT NULL DEFAULT 0,
            reviews_required BIGINT NOT NULL DEFAULT 3,
            reviews_still_needed DOUBLE PRECISION,
            author_log_odds DOUBLE PRECISION,
            author_published BIGINT NOT NULL DEFAULT 0,
            author_rejected BIGINT NOT NULL DEFAULT 0,
            moderator_verdict TEXT
        )
        """,
        "CREATE INDEX comments_article ON comments (article_id, status, published_at)",
        "CREATE INDEX comments_status ON comments (status, submitted_at)",
        "CREATE INDEX comments_author ON comments (author_id, created_at)",
        "CREATE INDEX comments_parent ON comments (parent_id)",
        """
        CREATE TABLE reviews (
            id {id},
            comment_id BIGINT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
            reviewer_id BIGINT NOT NULL REFERENCES users(id),
            civility TEXT NOT NULL,
            quality TEXT,
            flags TEXT NOT NULL DEFAULT '',
            is_audit BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            UNIQUE (comment_id, reviewer_id)
        )
        """,
        "CREATE INDEX reviews_reviewer ON reviews (reviewer_id, created_at)",
        """
        CREATE TABLE review_tasks (
            id {id},
            reviewer_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            comment_id BIGINT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
            for_comment_id BIGINT REFERENCES comments(id) ON DELETE CASCADE,
            is_audit BIGINT NOT NULL DEFAULT 0,
            anonymise BIGINT NOT NULL DEFAULT 1,
            reason TEXT NOT NULL DEFAULT '',
            created_at BIGINT NOT NULL,
            done_at BIGINT
        )
        """,
        "CREATE INDEX review_tasks_open ON review_tasks (reviewer_id, done_at)",
        """
        CREATE TABLE comment_reactions (
            comment_id BIGINT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (comment_id, user_id, kind)
        )
        """,
        """
        CREATE TABLE comment_flags (
            id {id},
            comment_id BIGINT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            reason TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at BIGINT NOT NULL,
            resolved_at BIGINT,
            UNIQUE (comment_id, user_id)
        )
        """,
        """
        CREATE TABLE reviewer_records (
            user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            record TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE author_records (
            user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            record TEXT NOT NULL,
            commenting_banned_until BIGINT,
            commenting_revoked BIGINT NOT NULL DEFAULT 0,
            updated_at BIGINT NOT NULL
        )
        """,
    ])
}
