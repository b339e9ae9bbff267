import Foundation
import Hummingbird
import QuorumBus
import QuorumStore

import QuorumWeb

/// The reader's site: front page, article, section, tag, author and search pages, feeds and sitemaps.
/// Pages come from the page cache when it has them; only anonymous requests share cached pages.
struct ReaderRoutes {
    let publishing: Publishing
    /// Parts of the article page other features provide (the comment thread); each keeps the page's cache tag
    /// current by invalidating `.article(slug)` when what it shows changes.
    var sections: [any ArticlePageSection] = []
    /// What the article page promotes between the article and its comments.
    var promotions: [ArticlePromotion] = []
    /// Editor-defined promotions, chosen per page and class of reader (readership).
    var promotionSource: (any PromotionSource)?

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.home)) { request, context in try await home(request, context) }
        router.get(RouterPath(SiteURL.article)) { request, context in
            try await article(request, slug: try context.parameters.require("slug"), reader: ReaderClass.variant(of: request, user: context.user))
        }
        router.get(RouterPath(SiteURL.section)) { request, context in
            try await section(request, slug: try context.parameters.require("slug"), reader: ReaderClass.variant(of: request, user: context.user))
        }
        router.get(RouterPath(SiteURL.sectionFeed)) { request, context in
            try await sectionFeed(request, slug: try context.parameters.require("slug"))
        }
        router.get(RouterPath(SiteURL.tag)) { request, context in
            try await tag(request, slug: try context.parameters.require("slug"), reader: ReaderClass.variant(of: request, user: context.user))
        }
        router.get(RouterPath(SiteURL.author)) { request, context in
            try await author(request, slug: try context.parameters.require("slug"), reader: ReaderClass.variant(of: request, user: context.user))
        }
        router.get(RouterPath(SiteURL.search)) { request, context in try await search(request, reader: ReaderClass.variant(of: request, user: context.user)) }
        router.get(RouterPath(SiteURL.feed)) { request, _ in try await siteFeed(request) }
        router.get(RouterPath(SiteURL.sitemap)) { request, _ in try await sitemap(request) }
        router.get(RouterPath(SiteURL.newsSitemap)) { _, _ in try await newsSitemap() }
        router.get(RouterPath(SiteURL.robots)) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: publishing.feeds.robots())))
        }
    }

    var store: ArticleStore { publishing.store }
    var cache: PageCache { publishing.cache }
    static let xml = "application/xml; charset=utf-8"

    static func pageNumber(_ request: Request) -> Int {
        request.uri.queryParameters["page"].flatMap { Int(String($0)) }.map { min(max(1, $0), 1000) } ?? 1
    }

    static func key(_ path: String, page: Int) -> String { page > 1 ? "\(path)?page=\(page)" : path }

    /// The promotions a page shows this class of reader, as the template reads them.
    func promotionModels(on page: PromotionPage, for reader: ReaderClass) async throws -> [String: Any] {
        guard let promotionSource else { return [:] }
        let chosen = try await promotionSource.promotions(on: page, for: reader)
        return ["promotions": chosen.map { Publishing.plain(ReaderPages.promotionModel($0)) as Any }, "hasPromotions": !chosen.isEmpty]
    }

    func home(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let reader = ReaderClass.variant(of: request, user: context.user)
        return try await cache.serve(request, key: reader.key(SiteURL.home.path), tags: [.front, .promotions]) {
            let now = publishing.now
            let sections = try await store.sections()
            let latest = try await store.latest(now: now, perPage: 7).articles
            var bySection: [(Section, [Article])] = []
            for section in sections {
                bySection.append((section, try await store.latest(.section(section.id), now: now, perPage: 4).articles))
            }
            let model = publishing.pages.home(latest: latest, bySection: bySection, sections: sections)
            return (try publishing.render("home", model, reader: reader, extra: try await promotionModels(on: .home, for: reader)), now)
        }
    }

    func article(_ request: Request, slug: String, reader: ReaderClass) async throws -> Response {
        try await cache.serve(request, key: reader.key(SiteURL.article(slug).path), tags: [.article(slug), .promotions]) {
            let now = publishing.now
            guard let article = try await store.article(slug: slug), article.isLive(at: now) else {
                throw PublishingError.notFound("The article")
            }
            let model = publishing.pages.article(article, sections: try await store.sections(), promotions: promotions)
            var context = Publishing.plain(model) as? [String: Any] ?? [:]
            context["slug"] = article.slug
            let page = PromotionPage.article(article.summary, section: article.section.slug, tags: article.tags.map(\.slug))
            if promotionSource != nil {
                context.merge(try await promotionModels(on: page, for: reader)) { _, chosen in chosen }
                if !promotions.isEmpty {
                    // Fixed promotions stay first.
                    let fixed = promotions.map { Publishing.plain(ReaderPages.promotionModel($0)) as Any }
                    context["promotions"] = fixed + (context["promotions"] as? [Any] ?? [])
                    context["hasPromotions"] = true
                }
            }
            for section in sections { try await section.contribute(to: &context, article: article.summary) }
            return (try publishing.render("article", context, reader: reader), article.modifiedAt)
        }
    }

    func section(_ request: Request, slug: String, reader: ReaderClass) async throws -> Response {
        let page = Self.pageNumber(request)
        return try await cache.serve(request, key: reader.key(Self.key(SiteURL.section(slug).path, page: page)), tags: [.section(slug)]) {
            guard let section = try await store.section(slug: slug) else { throw PublishingError.notFound("The section") }
            let articles = try await store.latest(.section(section.id), now: publishing.now, page: page)
            let model = publishing.pages.listing(
                kind: "Section", title: section.name, description: section.description, url: .section(slug), feed: .sectionFeed(slug),
                page: articles, sections: try await store.sections(), current: slug
            )
            return (try publishing.render("listing", model, reader: reader), publishing.now)
        }
    }

    func tag(_ request: Request, slug: String, reader: ReaderClass) async throws -> Response {
        let page = Self.pageNumber(request)
        return try await cache.serve(request, key: reader.key(Self.key(SiteURL.tag(slug).path, page: page)), tags: [.tag(slug)]) {
            guard let tag = try await store.tag(slug: slug) else { throw PublishingError.notFound("The topic") }
            let articles = try await store.latest(.tag(tag.id), now: publishing.now, page: page)
            let model = publishing.pages.listing(
                kind: "Topic", title: tag.name, description: nil, url: .tag(slug), feed: nil, page: articles, sections: try await store.sections()
            )
            return (try publishing.render("listing", model, reader: reader), publishing.now)
        }
    }

    func author(_ request: Request, slug: String, reader: ReaderClass) async throws -> Response {
        let page = Self.pageNumber(request)
        return try await cache.serve(request, key: reader.key(Self.key(SiteURL.author(slug).path, page: page)), tags: [.author(slug)]) {
            guard let author = try await store.author(slug: slug) else { throw PublishingError.notFound("The author") }
            let articles = try await store.latest(.author(author.id), now: publishing.now, page: page)
            let model = publishing.pages.listing(
                kind: "Author", title: author.name, description: author.bio, url: .author(slug), feed: nil, page: articles, sections: try await store.sections()
            )
            return (try publishing.render("listing", model, reader: reader), publishing.now)
        }
    }

    func search(_ request: Request, reader: ReaderClass) async throws -> Response {
        let query = request.uri.queryParameters["q"].map { String($0) } ?? ""
        let page = Self.pageNumber(request)
        let results = try await store.search(query, now: publishing.now, page: page)
        let model = publishing.pages.search(query: query, page: results, sections: try await store.sections())
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"]
        headers[.vary] = "Cookie"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try publishing.render("search", model, reader: reader))))
    }

    func siteFeed(_ request: Request) async throws -> Response {
        try await cache.serve(request, key: SiteURL.feed.path, tags: [.feeds], contentType: "application/atom+xml; charset=utf-8") {
            let now = publishing.now
            let articles = try await store.latest(now: now, perPage: 50).articles
            return (try publishing.feeds.atom(title: publishing.site.configuration.siteName, selfURL: .feed, alternate: .home, articles: articles, now: now), now)
        }
    }

    func sectionFeed(_ request: Request, slug: String) async throws -> Response {
        try await cache.serve(request, key: SiteURL.sectionFeed(slug).path, tags: [.feeds, .section(slug)], contentType: "application/atom+xml; charset=utf-8") {
            let now = publishing.now
            guard let section = try await store.section(slug: slug) else { throw PublishingError.notFound("The section") }
            let articles = try await store.latest(.section(section.id), now: now, perPage: 50).articles
            let title = "\(section.name) · \(publishing.site.configuration.siteName)"
            return (try publishing.feeds.atom(title: title, selfURL: .sectionFeed(slug), alternate: .section(slug), articles: articles, now: now), now)
        }
    }

    func sitemap(_ request: Request) async throws -> Response {
        try await cache.serve(request, key: SiteURL.sitemap.path, tags: [.feeds], contentType: Self.xml) {
            let now = publishing.now
            let articles = try await store.latest(now: now, perPage: 50_000).articles
            return (publishing.feeds.sitemap(sections: try await store.sections(), articles: articles), now)
        }
    }

    /// Not cached: which articles it lists depends on the clock (the last 48 hours), not only on edits.
    func newsSitemap() async throws -> Response {
        let now = publishing.now
        let articles = try await store.publishedSince(now.adding(seconds: -48 * 3600), now: now, limit: 1000)
        return Response(status: .ok, headers: [.contentType: Self.xml, .cacheControl: "public, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: publishing.feeds.newsSitemap(articles: articles))))
    }
}
