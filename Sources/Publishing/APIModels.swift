import Foundation
import Hummingbird
import NIOCore
import QuorumBus
import QuorumStore

import QuorumWeb

/// An article as the JSON APIs show it.
public struct ArticleJSON: Codable, Sendable {
    public struct Ref: Codable, Sendable { public var slug: String; public var name: String }
    public struct CorrectionJSON: Codable, Sendable { public var at: String; public var note: String }

    public var id: Int64
    public var slug: String
    public var url: String
    public var headline: String
    public var standfirst: String
    public var body: String?
    public var bodyHTML: String?
    public var hero: HeroImage?
    public var wireCredit: String
    public var section: Ref
    public var authors: [Ref]
    public var tags: [Ref]
    public var status: String
    public var publishAt: String?
    public var publishedAt: String?
    public var updatedAt: String
    public var corrections: [CorrectionJSON]
    public var commentsOpen: Bool
    public var allowEmbeds: Bool

    public init(_ article: Article, base: String, includeBody: Bool = true) {
        id = article.id
        slug = article.slug
        url = SiteURL.article(article.slug).absolute(base)
        headline = article.headline
        standfirst = article.standfirst
        body = includeBody ? article.body : nil
        bodyHTML = includeBody ? Markdown.html(article.body, allowEmbeds: article.allowEmbeds) : nil
        hero = article.hero
        wireCredit = article.wireCredit
        section = Ref(slug: article.section.slug, name: article.section.name)
        authors = article.authors.map { Ref(slug: $0.slug, name: $0.name) }
        tags = article.tags.map { Ref(slug: $0.slug, name: $0.name) }
        status = article.status.rawValue
        publishAt = article.publishAt?.iso8601
        publishedAt = article.publishedAt?.iso8601
        updatedAt = article.modifiedAt.iso8601
        corrections = article.corrections.map { CorrectionJSON(at: $0.at.iso8601, note: $0.note) }
        commentsOpen = article.commentsOpen
        allowEmbeds = article.allowEmbeds
    }
}

public struct ArticleListJSON: Codable, Sendable {
    public var articles: [ArticleJSON]
    public var page: Int
    public var next: String?
}

extension JSONFields {
    /// The body of a create or update request.
    func articleInput() throws -> ArticleInput {
        try only(["slug", "headline", "standfirst", "body", "hero", "wireCredit", "section", "authors", "tags", "commentsOpen", "allowEmbeds"])
        var hero: HeroImage?
        if let object = try object("hero") {
            try object.only(["url", "alt", "caption", "credit"])
            hero = HeroImage(url: try object.requiredString("url"), alt: try object.string("alt") ?? "",
                             caption: try object.string("caption") ?? "", credit: try object.string("credit") ?? "")
        }
        return ArticleInput(
            slug: try requiredString("slug"), headline: try requiredString("headline"),
            standfirst: try string("standfirst") ?? "", body: try string("body") ?? "", hero: hero,
            wireCredit: try string("wireCredit") ?? "", section: try requiredString("section"),
            authors: try strings("authors") ?? [], tags: try strings("tags") ?? [],
            commentsOpen: try bool("commentsOpen") ?? true, allowEmbeds: try bool("allowEmbeds") ?? false
        )
    }
}
