import QuorumBus
import QuorumStore
import QuorumWeb

import SQLKit

/// Publishing's side of the article seam: what other features may know of an article, read from its table.
public struct PublishedArticles: ArticleDirectory {
    public init() {}

    public func article(id: Int64, on db: any SQLDatabase) async throws -> ArticleSummary? {
        try await summary(db, where: "id", SQLBind(id))
    }

    public func article(slug: String, on db: any SQLDatabase) async throws -> ArticleSummary? {
        try await summary(db, where: "slug", SQLBind(slug))
    }

    private func summary(_ db: any SQLDatabase, where column: String, _ value: SQLBind) async throws -> ArticleSummary? {
        try await db.select().columns("id", "slug", "headline", "comments_open", "published_at", "status").from("articles")
            .where(SQLIdentifier(column), .equal, value).first().map { row in
                ArticleSummary(
                    id: try row.decode(column: "id", as: Int64.self), slug: try row.decode(column: "slug", as: String.self),
                    headline: try row.decode(column: "headline", as: String.self),
                    commentsOpen: try row.decode(column: "comments_open", as: Int.self) != 0,
                    publishedAt: try row.decode(column: "published_at", as: Int64?.self).map(Timestamp.init(milliseconds:)),
                    // A page elsewhere (the embed) takes comments like a published article.
                    isPublished: [ArticleStatus.published.rawValue, ExternalArticles.status].contains(try row.decode(column: "status", as: String.self))
                )
            }
    }
}

extension Article {
    /// What other features may know of this article (the same fields the directory reads from its row).
    public var summary: ArticleSummary {
        ArticleSummary(id: id, slug: slug, headline: headline, commentsOpen: commentsOpen, publishedAt: publishedAt,
                       isPublished: status == .published)
    }
}
