import Foundation
import Hummingbird
import QuorumBus
import QuorumStore

import QuorumWeb

/// The public JSON API (`/api/v1/…`) and the OpenAPI document describing it and the admin API.
struct PublicAPIRoutes {
    let publishing: Publishing

    func addRoutes(to router: Router<QuorumContext>) {
        let api = router.group()
        api.get(RouterPath(SiteURL.apiArticles)) { request, _ in try await articles(request) }
        api.get(RouterPath(SiteURL.apiArticle)) { _, context in
            let slug = try context.parameters.require("slug")
            guard let article = try await publishing.store.article(slug: slug), article.isLive(at: publishing.now) else {
                throw PublishingError.notFound("The article '\(slug)'")
            }
            return try JSONResponse.make(ArticleJSON(article, base: base), cacheControl: PageCache.cacheControl)
        }
        api.get(RouterPath(SiteURL.apiSearch)) { request, _ in
            let query = request.uri.queryParameters["q"].map(String.init) ?? ""
            let page = try APIQuery.integer(request, "page", in: 1...1000, default: 1)
            let results = try await publishing.store.search(query, now: publishing.now, page: page)
            let next = results.hasMore ? "\(SiteURL.apiSearch.path)?q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&page=\(page + 1)" : nil
            return try JSONResponse.make(ArticleListJSON(articles: results.articles.map { ArticleJSON($0, base: base, includeBody: false) }, page: page, next: next))
        }
        api.get(RouterPath(SiteURL.apiSections)) { _, _ in
            try JSONResponse.make(["sections": try await publishing.store.sections().map { SectionJSON($0, base: base) }], cacheControl: PageCache.cacheControl)
        }
    }

    var base: String { publishing.site.configuration.siteBase }

    func articles(_ request: Request) async throws -> Response {
        let page = try APIQuery.integer(request, "page", in: 1...1000, default: 1)
        let perPage = try APIQuery.integer(request, "perPage", in: 1...100, default: 20)
        var filter = ArticleStore.Filter.all
        var query = "perPage=\(perPage)"
        if let slug = request.uri.queryParameters["section"].map(String.init) {
            guard let section = try await publishing.store.section(slug: slug) else { throw PublishingError.notFound("The section '\(slug)'") }
            filter = .section(section.id)
            query += "&section=\(slug)"
        } else if let slug = request.uri.queryParameters["tag"].map(String.init) {
            guard let tag = try await publishing.store.tag(slug: slug) else { throw PublishingError.notFound("The tag '\(slug)'") }
            filter = .tag(tag.id)
            query += "&tag=\(slug)"
        }
        let result = try await publishing.store.latest(filter, now: publishing.now, page: page, perPage: perPage)
        return try JSONResponse.make(
            ArticleListJSON(articles: result.articles.map { ArticleJSON($0, base: base, includeBody: false) }, page: page,
                            next: result.hasMore ? "\(SiteURL.apiArticles.path)?\(query)&page=\(page + 1)" : nil),
            cacheControl: PageCache.cacheControl
        )
    }
}

struct SectionJSON: Codable, Sendable {
    var slug: String
    var name: String
    var description: String
    var url: String
    init(_ section: Section, base: String) {
        slug = section.slug
        name = section.name
        description = section.description
        url = SiteURL.section(section.slug).absolute(base)
    }
}

/// The admin API (`/api/admin/v1/…`): editors' tools, for an `Authorization: Bearer` token of an editor.
struct AdminAPIRoutes {
    let publishing: Publishing

    func addRoutes(to router: Router<QuorumContext>) {
        // Authenticated by `Publishing.adminAPIAuthentication`, which the composition root adds for all of /api/admin/.
        let admin = router.group()
        let service = publishing.service
        let base = publishing.site.configuration.siteBase

        admin.get(RouterPath(SiteURL.apiAdminArticles)) { request, context in
            try context.requireRole(.editor)
            let page = try APIQuery.integer(request, "page", in: 1...1000, default: 1)
            let result = try await publishing.store.allForEditors(page: page)
            return try JSONResponse.make(ArticleListJSON(articles: result.articles.map { ArticleJSON($0, base: base, includeBody: false) }, page: page,
                                                         next: result.hasMore ? "\(SiteURL.apiAdminArticles.path)?page=\(page + 1)" : nil))
        }
        admin.post(RouterPath(SiteURL.apiAdminArticles)) { request, context in
            try context.requireRole(.editor)
            let input = try await JSONFields.parse(request).articleInput()
            return try JSONResponse.make(ArticleJSON(try await service.create(input), base: base), status: .created)
        }
        admin.get(RouterPath(SiteURL.apiAdminArticle)) { _, context in
            try context.requireRole(.editor)
            guard let article = try await publishing.store.article(id: try id(context)) else { throw PublishingError.notFound("The article") }
            return try JSONResponse.make(ArticleJSON(article, base: base))
        }
        admin.put(RouterPath(SiteURL.apiAdminArticle)) { request, context in
            try context.requireRole(.editor)
            let input = try await JSONFields.parse(request).articleInput()
            return try JSONResponse.make(ArticleJSON(try await service.update(id: try id(context), input), base: base))
        }
        admin.delete(RouterPath(SiteURL.apiAdminArticle)) { _, context in
            try context.requireRole(.editor)
            _ = try await service.delete(id: try id(context))
            return Response(status: .noContent)
        }
        admin.post(RouterPath(SiteURL.apiAdminPublish)) { _, context in
            try context.requireRole(.editor)
            return try JSONResponse.make(ArticleJSON(try await service.publish(id: try id(context)), base: base))
        }
        admin.post(RouterPath(SiteURL.apiAdminSchedule)) { request, context in
            try context.requireRole(.editor)
            let fields = try await JSONFields.parse(request)
            try fields.only(["publishAt"])
            guard let at = try fields.timestamp("publishAt") else { throw PublishingError.invalid(field: "publishAt", "is required") }
            return try JSONResponse.make(ArticleJSON(try await service.schedule(id: try id(context), at: at), base: base))
        }
        admin.post(RouterPath(SiteURL.apiAdminCorrections)) { request, context in
            try context.requireRole(.editor)
            let fields = try await JSONFields.parse(request)
            try fields.only(["note"])
            let note = try fields.requiredString("note")
            return try JSONResponse.make(ArticleJSON(try await service.addCorrection(articleID: try id(context), note: note), base: base), status: .created)
        }
        admin.post(RouterPath(SiteURL.apiAdminImages)) { request, context in
            try context.requireRole(.editor)
            let bytes = try await publishing.images.readUpload(request)
            return try JSONResponse.make(try await publishing.images.save(bytes), status: .created)
        }
        admin.get(RouterPath(SiteURL.apiAdminSections)) { _, context in
            try context.requireRole(.editor)
            return try JSONResponse.make(["sections": try await publishing.store.sections().map { SectionJSON($0, base: base) }])
        }
        admin.post(RouterPath(SiteURL.apiAdminSections)) { request, context in
            try context.requireRole(.editor)
            let fields = try await JSONFields.parse(request)
            try fields.only(["slug", "name", "description", "position"])
            let position = try fields.integer("position") ?? 0
            let section = try await publishing.store.createSection(
                slug: try fields.requiredString("slug"), name: try fields.requiredString("name"),
                description: try fields.string("description") ?? "", position: Int64(position)
            )
            await service.bus.publish([.site])
            return try JSONResponse.make(SectionJSON(section, base: base), status: .created)
        }
        admin.get(RouterPath(SiteURL.apiAdminAuthors)) { _, context in
            try context.requireRole(.editor)
            return try JSONResponse.make(["authors": try await publishing.store.authors()])
        }
        admin.post(RouterPath(SiteURL.apiAdminAuthors)) { request, context in
            try context.requireRole(.editor)
            let fields = try await JSONFields.parse(request)
            try fields.only(["slug", "name", "bio"])
            let author = try await publishing.store.createAuthor(
                slug: try fields.requiredString("slug"), name: try fields.requiredString("name"), bio: try fields.string("bio") ?? ""
            )
            return try JSONResponse.make(author, status: .created)
        }
    }

    func id(_ context: QuorumContext) throws -> Int64 {
        guard let id = context.parameters.get("id").flatMap({ Int64($0) }) else { throw PublishingError.notFound("The article") }
        return id
    }
}
