import QuorumStore

extension Migrations {
    /// Pages on other sites with a thread here (the embed): the page's normalised address, its origin, and the
    /// article that stands for it (see `ExternalPageArticles`). Created on a page's first use.
    package static let embedPages015 = Migration(15, "embed pages", statements: [
        """
        CREATE TABLE embed_pages (
            id {id},
            url TEXT NOT NULL UNIQUE,
            origin TEXT NOT NULL,
            article_id BIGINT NOT NULL UNIQUE REFERENCES articles(id) ON DELETE CASCADE,
            created_at BIGINT NOT NULL
        )
        """,
    ])
}
