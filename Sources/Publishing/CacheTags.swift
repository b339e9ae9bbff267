import QuorumBus
import QuorumStore

import QuorumWeb

/// Publishing's cache tags: what each reader page depends on.
extension CacheTag {
    public static func section(_ slug: String) -> CacheTag { CacheTag("section", slug) }
    public static func tag(_ slug: String) -> CacheTag { CacheTag("tag", slug) }
    public static func author(_ slug: String) -> CacheTag { CacheTag("author", slug) }
    /// The front page.
    public static let front = CacheTag(name: "front")
    /// Feeds and sitemaps, which list recent articles of every section.
    public static let feeds = CacheTag(name: "feeds")

    /// Every page an article appears on, at the moment `article` describes it.
    public static func pages(showing article: Article, now: Timestamp) -> Set<CacheTag> {
        var tags: Set<CacheTag> = [.article(article.slug)]
        guard article.isLive(at: now) else { return tags }
        tags.formUnion([.front, .feeds, .section(article.section.slug)])
        tags.formUnion(article.tags.map { .tag($0.slug) })
        tags.formUnion(article.authors.map { .author($0.slug) })
        return tags
    }
}
