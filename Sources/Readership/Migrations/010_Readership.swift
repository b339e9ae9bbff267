import QuorumStore
import SQLKit

extension Migrations {
    /// Readership counts and promotions. Nothing here identifies a reader: `readership_daily` holds, per UTC day
    /// and scope (`site`, `a:<article slug>`), a page-view counter and a HyperLogLog sketch (base64) of salted
    /// hashes; the salts (`readership_salts`, one per salt period) are deleted when their period ends, after
    /// which no hash can be linked to an address again. Referrers are hosts only; campaigns are UTM values.
    /// `readership_share` keeps one members ÷ readers figure per day for the dashboard's chart.
    package static let readership010 = Migration(10, "readership", statements: [
        """
        CREATE TABLE readership_salts (
            period BIGINT PRIMARY KEY,
            salt TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE readership_daily (
            day BIGINT NOT NULL,
            scope TEXT NOT NULL,
            views BIGINT NOT NULL DEFAULT 0,
            sketch TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (day, scope)
        )
        """,
        """
        CREATE TABLE readership_referrers (
            day BIGINT NOT NULL,
            host TEXT NOT NULL,
            views BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (day, host)
        )
        """,
        """
        CREATE TABLE readership_campaigns (
            day BIGINT NOT NULL,
            source TEXT NOT NULL,
            medium TEXT NOT NULL,
            campaign TEXT NOT NULL,
            views BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (day, source, medium, campaign)
        )
        """,
        """
        CREATE TABLE readership_share (
            day BIGINT PRIMARY KEY,
            members BIGINT NOT NULL,
            readers BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE promotions (
            id {id},
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            kicker TEXT NOT NULL DEFAULT '',
            heading TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            fallback TEXT NOT NULL DEFAULT '',
            minimum_readers BIGINT NOT NULL DEFAULT 500,
            link_text TEXT NOT NULL DEFAULT '',
            link_url TEXT NOT NULL DEFAULT '',
            image_url TEXT NOT NULL DEFAULT '',
            image_alt TEXT NOT NULL DEFAULT '',
            audience TEXT NOT NULL DEFAULT 'everyone',
            section_slug TEXT NOT NULL DEFAULT '',
            tag_slug TEXT NOT NULL DEFAULT '',
            on_articles BIGINT NOT NULL DEFAULT 1,
            on_home BIGINT NOT NULL DEFAULT 0,
            priority BIGINT NOT NULL DEFAULT 0,
            starts_at BIGINT,
            ends_at BIGINT,
            enabled BIGINT NOT NULL DEFAULT 1,
            views BIGINT NOT NULL DEFAULT 0,
            clicks BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        // The membership call to action every site starts with (the publisher rewords it on /admin/promotions).
        """
        INSERT INTO promotions (kind, name, kicker, heading, body, fallback, minimum_readers, link_text, link_url, audience,
                                priority, created_at, updated_at)
        VALUES ('call_to_action', 'Membership call to action', 'Membership',
                'There''s a {complement} chance that this isn''t for you.',
                'Only {share} of our readers have responded to this call for action. Members pay for the reporting everyone reads. Be part of that {share}.',
                'Our journalism is free to read because readers who can afford it pay for it. Become a member and keep it that way.',
                500, 'Become a member', '/membership', 'not_members', 10, 0, 0)
        """,
    ])
}
