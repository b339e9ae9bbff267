import Foundation
import QuorumBus
import QuorumMail

import QuorumStore

/// Every reader-facing address of the site in one place: routes are registered from the same patterns that
/// views use to build links, so renaming one cannot leave a dead link.
public enum SiteURL: Sendable, Equatable {
    case home
    case article(String)
    case section(String)
    case sectionFeed(String)
    case tag(String)
    case author(String)
    case search(String?)
    case feed
    case sitemap
    case newsSitemap
    case robots
    case image(String)
    case adminArticles
    case adminNewArticle
    case adminEdit(Int64)
    case adminPreview(Int64)
    case adminPublish(Int64)
    case adminSchedule(Int64)
    case adminCorrection(Int64)
    case adminImage(Int64)

    /// The path, starting with `/`.
    public var path: String {
        switch self {
        case .home: "/"
        case .article(let slug): "/article/\(slug)"
        case .section(let slug): "/section/\(slug)"
        case .sectionFeed(let slug): "/section/\(slug)/feed.xml"
        case .tag(let slug): "/tag/\(slug)"
        case .author(let slug): "/author/\(slug)"
        case .search(let query):
            query.map { "/search?q=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? "/search"
        case .feed: "/feed.xml"
        case .sitemap: "/sitemap.xml"
        case .newsSitemap: "/news-sitemap.xml"
        case .robots: "/robots.txt"
        case .image(let name): "/images/\(name)"
        case .adminArticles: "/admin/articles"
        case .adminNewArticle: "/admin/articles/new"
        case .adminEdit(let id): "/admin/articles/\(id)/edit"
        case .adminPreview(let id): "/admin/articles/\(id)/preview"
        case .adminPublish(let id): "/admin/articles/\(id)/publish"
        case .adminSchedule(let id): "/admin/articles/\(id)/schedule"
        case .adminCorrection(let id): "/admin/articles/\(id)/corrections"
        case .adminImage(let id): "/admin/articles/\(id)/image"
        }
    }

    /// The absolute URL on a site whose base is `base` (no trailing slash).
    public func absolute(_ base: String) -> String { base + path }

    /// Route patterns, in Hummingbird's syntax, for the cases that take a parameter.
    public enum Pattern {
        public static let article = "/article/:slug"
        public static let section = "/section/:slug"
        public static let sectionFeed = "/section/:slug/feed.xml"
        public static let tag = "/tag/:slug"
        public static let author = "/author/:slug"
        public static let image = "/images/:name"
        public static let adminEdit = "/admin/articles/:id/edit"
        public static let adminPreview = "/admin/articles/:id/preview"
        public static let adminPublish = "/admin/articles/:id/publish"
        public static let adminSchedule = "/admin/articles/:id/schedule"
        public static let adminCorrection = "/admin/articles/:id/corrections"
        public static let adminImage = "/admin/articles/:id/image"
    }
}

extension SiteURL {
    /// Only paths on this site: `/x` but never `//host` or `http://…`, so the link cannot send a reader elsewhere.
    public static func safeRedirect(_ next: String) -> String {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), next.count < 500,
              !next.contains(where: { $0.isNewline || $0 == "\0" })
        else { return "/" }
        return next
    }
}
