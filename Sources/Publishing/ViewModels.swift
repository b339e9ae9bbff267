import Foundation
import QuorumBus
import QuorumStore

import QuorumWeb

// Plain data handed to the theme's templates: what a page shows, already formatted, nothing to compute.
// `{{name}}` in a template escapes; only fields named `…HTML` or `jsonLD` are inserted raw (`{{{…}}}`),
// and those are produced by ``Markdown`` or JSON encoding.

public struct LinkModel: Sendable {
    public var name: String
    public var url: String
    /// Text that follows this link in a list ("", ", " or " and ").
    public var separator: String = ""
    public var current: Bool = false
}

public struct ImageModel: Sendable {
    public var url: String
    public var alt: String
    public var caption: String?
    public var credit: String?
}

public struct DateModel: Sendable {
    public var iso: String
    public var display: String

    public init(_ timestamp: Timestamp) {
        iso = timestamp.iso8601
        display = DateText.format(timestamp)
    }
}

public struct CorrectionModel: Sendable {
    public var date: DateModel
    public var note: String
}

public struct MetaTag: Sendable {
    public var key: String
    public var content: String
}

/// An article in a list: front page, section, tag, author, search.
public struct ArticleCard: Sendable {
    public var url: String
    public var headline: String
    public var standfirst: String?
    public var section: LinkModel
    public var image: ImageModel?
    public var hasImage: Bool
    public var published: DateModel?
    public var authors: [LinkModel]
    public var hasAuthors: Bool

    public init(_ article: Article) {
        url = SiteURL.article(article.slug).path
        headline = article.headline
        standfirst = article.standfirst.isEmpty ? nil : article.standfirst
        section = LinkModel(name: article.section.name, url: SiteURL.section(article.section.slug).path)
        image = article.hero.map { ImageModel(url: $0.url, alt: $0.alt) }
        hasImage = article.hero != nil
        published = article.publishedAt.map(DateModel.init)
        authors = ArticleCard.links(article.authors)
        hasAuthors = !article.authors.isEmpty
    }

    static func links(_ authors: [Author]) -> [LinkModel] {
        authors.enumerated().map { index, author in
            let separator = index == authors.count - 1 ? "" : (index == authors.count - 2 ? " and " : ", ")
            return LinkModel(name: author.name, url: SiteURL.author(author.slug).path, separator: separator)
        }
    }
}

public struct PromotionModel: Sendable {
    public var kicker: String
    public var heading: String
    public var text: String
    public var linkText: String
    public var linkURL: String
    public var id: Int64?
    public var imageURL: String?
    public var imageAlt: String?
}

/// The article page: every element of a news article, then promotions and comments.
public struct ArticlePageModel: Sendable {
    public var nav: [LinkModel]
    public var path: String
    public var canonical: String
    public var description: String
    public var openGraph: [MetaTag]
    public var twitter: [MetaTag]
    public var jsonLD: String
    public var feedURL: String
    public var section: LinkModel
    public var headline: String
    public var standfirst: String?
    public var authors: [LinkModel]
    public var hasAuthors: Bool
    public var published: DateModel?
    public var updated: DateModel?
    public var hero: ImageModel?
    public var bodyHTML: String
    public var wireCredit: String?
    public var corrections: [CorrectionModel]
    public var hasCorrections: Bool
    public var tags: [LinkModel]
    public var hasTags: Bool
    public var promotions: [PromotionModel]
    public var hasPromotions: Bool
    public var commentsOpen: Bool
    /// Shown to editors previewing a draft.
    public var preview: Bool
}

/// Section, tag and author pages.
public struct ListingPageModel: Sendable {
    public var nav: [LinkModel]
    public var kind: String
    public var title: String
    public var description: String?
    public var canonical: String
    public var feedURL: String?
    public var articles: [ArticleCard]
    public var isEmpty: Bool
    public var newerURL: String?
    public var olderURL: String?
}

public struct HomeSectionModel: Sendable {
    public var name: String
    public var url: String
    public var articles: [ArticleCard]
}

public struct HomePageModel: Sendable {
    public var nav: [LinkModel]
    public var canonical: String
    public var lead: ArticleCard?
    public var latest: [ArticleCard]
    public var sections: [HomeSectionModel]
    public var isEmpty: Bool
}

public struct SearchPageModel: Sendable {
    public var nav: [LinkModel]
    public var query: String
    public var hasQuery: Bool
    public var results: [ArticleCard]
    public var summary: String
    public var olderURL: String?
    public var newerURL: String?
}

