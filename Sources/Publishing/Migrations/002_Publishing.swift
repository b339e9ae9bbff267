import QuorumBus
import QuorumStore
import QuorumWeb

import SQLKit

extension Migrations {
    /// Sections, authors, tags, articles with their bylines, tags and corrections, uploaded images, admin API
    /// tokens, and the full-text index (an FTS5 table on SQLite, a tsvector column on PostgreSQL).
    package static let publishing002 = Migration(2, "publishing") { db, dialect in
        let statements = [
            """
            CREATE TABLE sections (
                id {id},
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                position BIGINT NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE authors (
                id {id},
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                bio TEXT NOT NULL DEFAULT '',
                user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE tags (
                id {id},
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE articles (
                id {id},
                slug TEXT NOT NULL UNIQUE,
                headline TEXT NOT NULL,
                standfirst TEXT NOT NULL DEFAULT '',
                body TEXT NOT NULL DEFAULT '',
                hero_image TEXT,
                hero_alt TEXT NOT NULL DEFAULT '',
                hero_caption TEXT NOT NULL DEFAULT '',
                hero_credit TEXT NOT NULL DEFAULT '',
                wire_credit TEXT NOT NULL DEFAULT '',
                section_id BIGINT NOT NULL REFERENCES sections(id),
                status TEXT NOT NULL DEFAULT 'draft',
                publish_at BIGINT,
                published_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                comments_open BIGINT NOT NULL DEFAULT 1,
                allow_embeds BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX articles_status_published ON articles (status, published_at)",
            "CREATE INDEX articles_section ON articles (section_id, published_at)",
            "CREATE INDEX articles_publish_at ON articles (status, publish_at)",
            """
            CREATE TABLE article_authors (
                article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                author_id BIGINT NOT NULL REFERENCES authors(id),
                position BIGINT NOT NULL,
                PRIMARY KEY (article_id, author_id)
            )
            """,
            "CREATE INDEX article_authors_author ON article_authors (author_id)",
            """
            CREATE TABLE article_tags (
                article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                tag_id BIGINT NOT NULL REFERENCES tags(id),
                PRIMARY KEY (article_id, tag_id)
            )
            """,
            "CREATE INDEX article_tags_tag ON article_tags (tag_id)",
            """
            CREATE TABLE corrections (
                id {id},
                article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                at BIGINT NOT NULL,
                note TEXT NOT NULL
            )
            """,
            "CREATE INDEX corrections_article ON corrections (article_id, at)",
            """
            CREATE TABLE images (
                id {id},
                name TEXT NOT NULL UNIQUE,
                content_type TEXT NOT NULL,
                bytes BIGINT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE api_tokens (
                id {id},
                user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """,
        ]
        for statement in statements {
            let sql = statement.replacingOccurrences(of: "{id}", with: dialect.autoIncrementPrimaryKey)
            try await db.raw(SQLQueryString(sql)).run()
        }
        for statement in dialect.searchMigration {
            try await db.raw(SQLQueryString(statement)).run()
        }
    }
}
