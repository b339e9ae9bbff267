import Foundation
import QuorumBus
import QuorumStore

import QuorumWeb

/// Builds the reader pages' view models from articles. Pure: no database, no HTML; tested on its own.
public struct ReaderPages: Sendable {
    public let siteName: String
    /// Site URL without a trailing slash.
    public let base: String
    public let language: String

    public init(siteName: String, base: String, language: String = "en") {
        self.siteName = siteName
        self.base = base
        self.language = language
    }

    public func nav(_ sections: [Section], current: String? = nil) -> [LinkModel] {
        sections.map { LinkModel(name: $0.name, url: SiteURL.section($0.slug).path, current: $0.slug == current) }
    }

    func absolute(_ url: String) -> String { url.hasPrefix("/") ? base + url : url }

    public func article(_ article: Article, sections: [Section], promotions: [ArticlePromotion], preview: Bool = false) -> ArticlePageModel {
        let canonical = SiteURL.article(article.slug).absolute(base)
        let description = article.standfirst.isEmpty ? Markdown.plainText(article.body, limit: 200) : article.standfirst
        let published = article.publishedAt
        let modified = article.modifiedAt
        var openGraph = [
            MetaTag(key: "og:type", content: "article"),
            MetaTag(key: "og:site_name", content: siteName),
            MetaTag(key: "og:title", content: article.headline),
            MetaTag(key: "og:description", content: description),
            MetaTag(key: "og:url", content: canonical),
        ]
        if let hero = article.hero {
            openGraph.append(MetaTag(key: "og:image", content: absolute(hero.url)))
            if !hero.alt.isEmpty { openGraph.append(MetaTag(key: "og:image:alt", content: hero.alt)) }
        }
        if let published { openGraph.append(MetaTag(key: "article:published_time", content: published.iso8601)) }
        openGraph.append(MetaTag(key: "article:modified_time", content: modified.iso8601))
        openGraph.append(MetaTag(key: "article:section", content: article.section.name))
        openGraph += article.tags.map { MetaTag(key: "article:tag", content: $0.name) }
        var twitter = [
            MetaTag(key: "twitter:card", content: article.hero == nil ? "summary" : "summary_large_image"),
            MetaTag(key: "twitter:title", content: article.headline),
            MetaTag(key: "twitter:description", content: description),
        ]
        if let hero = article.hero { twitter.append(MetaTag(key: "twitter:image", content: absolute(hero.url))) }

        let showUpdated = published.map { modified.milliseconds - $0.milliseconds > 60_000 } ?? false
        return ArticlePageModel(
            nav: nav(sections, current: article.section.slug),
            path: SiteURL.article(article.slug).path,
            canonical: canonical,
            description: description,
            openGraph: openGraph,
            twitter: twitter,
            jsonLD: jsonLD(article, canonical: canonical, description: description),
            feedURL: SiteURL.sectionFeed(article.section.slug).path,
            section: LinkModel(name: article.section.name, url: SiteURL.section(article.section.slug).path),
            headline: article.headline,
            standfirst: article.standfirst.isEmpty ? nil : article.standfirst,
            authors: ArticleCard.links(article.authors),
            hasAuthors: !article.authors.isEmpty,
            published: published.map(DateModel.init),
            updated: showUpdated ? DateModel(modified) : nil,
            hero: article.hero.map {
                ImageModel(url: $0.url, alt: $0.alt, caption: $0.caption.isEmpty ? nil : $0.caption, credit: $0.credit.isEmpty ? nil : $0.credit)
            },
            bodyHTML: Markdown.html(article.body, allowEmbeds: article.allowEmbeds),
            wireCredit: article.wireCredit.isEmpty ? nil : article.wireCredit,
            corrections: article.corrections.map { CorrectionModel(date: DateModel($0.at), note: $0.note) },
            hasCorrections: !article.corrections.isEmpty,
            tags: article.tags.map { LinkModel(name: $0.name, url: SiteURL.tag($0.slug).path) },
            hasTags: !article.tags.isEmpty,
            promotions: promotions.map(Self.promotionModel),
            hasPromotions: !promotions.isEmpty,
            commentsOpen: article.commentsOpen,
            preview: preview
        )
    }

    /// schema.org NewsArticle, safe to place inside a `<script>` element.
    public func jsonLD(_ article: Article, canonical: String, description: String) -> String {
        var object: [String: Any] = [
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.headline,
            "description": description,
            "mainEntityOfPage": ["@type": "WebPage", "@id": canonical],
            "url": canonical,
            "dateModified": article.modifiedAt.iso8601,
            "articleSection": article.section.name,
            "inLanguage": language,
            "author": article.authors.map { ["@type": "Person", "name": $0.name, "url": SiteURL.author($0.slug).absolute(base)] },
            "publisher": ["@type": "Organization", "name": siteName, "url": base + "/"],
        ]
        if let published = article.publishedAt { object["datePublished"] = published.iso8601 }
        if let hero = article.hero { object["image"] = [absolute(hero.url)] }
        if !article.tags.isEmpty { object["keywords"] = article.tags.map(\.name) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        // "</script>" or "<!--" inside a string must not end the element.
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }

    public func listing(kind: String, title: String, description: String?, url: SiteURL, feed: SiteURL?, page: ArticlePage, sections: [Section], current: String? = nil) -> ListingPageModel {
        let path = url.path
        return ListingPageModel(
            nav: nav(sections, current: current),
            kind: kind,
            title: title,
            description: description?.isEmpty == false ? description : nil,
            canonical: url.absolute(base) + (page.page > 1 ? "?page=\(page.page)" : ""),
            feedURL: feed?.path,
            articles: page.articles.map(ArticleCard.init),
            isEmpty: page.articles.isEmpty,
            newerURL: page.page > 1 ? (page.page == 2 ? path : "\(path)?page=\(page.page - 1)") : nil,
            olderURL: page.hasMore ? "\(path)?page=\(page.page + 1)" : nil
        )
    }

    public func home(latest: [Article], bySection: [(Section, [Article])], sections: [Section]) -> HomePageModel {
        HomePageModel(
            nav: nav(sections),
            canonical: base + "/",
            lead: latest.first.map(ArticleCard.init),
            latest: latest.dropFirst().map(ArticleCard.init),
            sections: bySection.filter { !$0.1.isEmpty }.map {
                HomeSectionModel(name: $0.0.name, url: SiteURL.section($0.0.slug).path, articles: $0.1.map(ArticleCard.init))
            },
            isEmpty: latest.isEmpty
        )
    }

    public func search(query: String, page: ArticlePage, sections: [Section]) -> SearchPageModel {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        let count = page.articles.count
        let summary: String
        if trimmed.isEmpty {
            summary = "Search headlines, summaries and stories."
        } else if count == 0 && page.page == 1 {
            summary = "Nothing matched “\(trimmed)”."
        } else {
            summary = "Results for “\(trimmed)”" + (page.page > 1 ? ", page \(page.page)" : "") + "."
        }
        let path = SiteURL.search(trimmed).path
        return SearchPageModel(
            nav: nav(sections),
            query: trimmed,
            hasQuery: !trimmed.isEmpty,
            results: page.articles.map(ArticleCard.init),
            summary: summary,
            olderURL: page.hasMore ? "\(path)&page=\(page.page + 1)" : nil,
            newerURL: page.page > 1 ? "\(path)&page=\(page.page - 1)" : nil
        )
    }

    /// A promotion as the article and home templates show it.
    public static func promotionModel(_ promotion: ArticlePromotion) -> PromotionModel {
        PromotionModel(kicker: promotion.kicker, heading: promotion.heading, text: promotion.text, linkText: promotion.linkText,
                       linkURL: promotion.link.path, id: promotion.id, imageURL: promotion.imageURL, imageAlt: promotion.imageAlt)
    }
}
