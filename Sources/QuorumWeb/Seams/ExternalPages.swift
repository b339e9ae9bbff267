import SQLKit

/// Pages on other sites (a newsroom's existing CMS) that carry a Quorum thread through the embed. Comments hang
/// off articles, so each such page is stood for by an article that is never shown as one: it is not listed, not
/// in feeds, sitemaps or search, and its own page is a 404. Publishing provides it.
public protocol ExternalPageArticles: Sendable {
    /// The article standing for the page keyed `key` (made from its normalised address), created with `title` on
    /// first use. Runs on the caller's connection, inside its transaction.
    func article(forPage key: String, title: String, on db: any SQLDatabase) async throws -> ArticleSummary
}
