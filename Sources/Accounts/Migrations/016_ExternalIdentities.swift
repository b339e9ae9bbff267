import QuorumStore

extension Migrations {
    /// Accounts of readers signed in by a host site (the embed's single sign-on): the host's issuer name and its
    /// id for the reader, linked to one account.
    package static let externalIdentities016 = Migration(16, "external identities", statements: [
        """
        CREATE TABLE external_identities (
            issuer TEXT NOT NULL,
            subject TEXT NOT NULL,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (issuer, subject)
        )
        """,
        "CREATE INDEX external_identities_user ON external_identities (user_id)",
    ])
}
