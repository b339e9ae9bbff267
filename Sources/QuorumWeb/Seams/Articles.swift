import QuorumBus
import QuorumMail
import QuorumStore

import SQLKit

/// What another feature may know of an article: enough to attach things to it (comments, promotions, a call to
/// action) and to decide whether it takes comments. Publishing owns articles and provides the directory.
public struct ArticleSummary: Sendable, Equatable {
    public var id: Int64
    public var slug: String
    public var headline: String
    public var commentsOpen: Bool
    public var publishedAt: Timestamp?
    /// Published (not a draft, scheduled or taken down).
    public var isPublished: Bool

    public init(id: Int64, slug: String, headline: String, commentsOpen: Bool, publishedAt: Timestamp?, isPublished: Bool) {
        self.id = id
        self.slug = slug
        self.headline = headline
        self.commentsOpen = commentsOpen
        self.publishedAt = publishedAt
        self.isPublished = isPublished
    }
}

/// How features find articles without reading Publishing's tables. Calls that take `db` run on the caller's
/// connection, so they can be part of the caller's transaction.
public protocol ArticleDirectory: Sendable {
    /// The article with this id, in whatever state, or nil if there is none.
    func article(id: Int64, on db: any SQLDatabase) async throws -> ArticleSummary?
    /// The article with this slug, in whatever state, or nil.
    func article(slug: String, on db: any SQLDatabase) async throws -> ArticleSummary?
}

/// A part of the article page that another feature provides: the comment thread today; promotions and the call
/// to action are the next. The page is cached for every reader, so a section shows what every reader sees.
public protocol ArticlePageSection: Sendable {
    /// Adds this section's values to the article page's template model (under keys the theme documents).
    func contribute(to model: inout [String: Any], article: ArticleSummary) async throws
}

extension CacheTag {
    /// One article's page, and everything shown on it (its thread, its counts).
    public static func article(_ slug: String) -> CacheTag { CacheTag("article", slug) }
}
