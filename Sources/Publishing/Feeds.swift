import Foundation
import QuorumBus
import QuorumStore

import QuorumWeb

/// Atom feeds, sitemaps and robots.txt, as text. Pure functions of articles and the site's address.
public struct Feeds: Sendable {
    public let siteName: String
    public let base: String
    public let language: String

    public init(siteName: String, base: String, language: String = "en") {
        self.siteName = siteName
        self.base = base
        self.language = language
    }

    func absolute(_ url: String) -> String { url.hasPrefix("/") ? base + url : url }

    /// An Atom 1.0 feed (RFC 4287) of `articles`, newest first.
    public func atom(title: String, selfURL: SiteURL, alternate: SiteURL, articles: [Article], now: Timestamp) -> String {
        let updated = articles.map(\.modifiedAt).max() ?? now
        var xml = """
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="\(x(language))">
          <title>\(x(title))</title>
          <id>\(x(selfURL.absolute(base)))</id>
          <link rel="self" type="application/atom+xml" href="\(x(selfURL.absolute(base)))"/>
          <link rel="alternate" type="text/html" href="\(x(alternate.absolute(base)))"/>
          <updated>\(updated.iso8601)</updated>
          <author><name>\(x(siteName))</name><uri>\(x(base))/</uri></author>
          <generator>Quorum</generator>

        """
        for article in articles {
            let url = SiteURL.article(article.slug).absolute(base)
            xml += "  <entry>\n"
            xml += "    <title>\(x(article.headline))</title>\n"
            xml += "    <link rel=\"alternate\" type=\"text/html\" href=\"\(x(url))\"/>\n"
            xml += "    <id>\(x(url))</id>\n"
            if let published = article.publishedAt { xml += "    <published>\(published.iso8601)</published>\n" }
            xml += "    <updated>\(article.modifiedAt.iso8601)</updated>\n"
            for author in article.authors {
                xml += "    <author><name>\(x(author.name))</name><uri>\(x(SiteURL.author(author.slug).absolute(base)))</uri></author>\n"
            }
            xml += "    <category term=\"\(x(article.section.slug))\" label=\"\(x(article.section.name))\"/>\n"
            for tag in article.tags { xml += "    <category term=\"\(x(tag.slug))\" label=\"\(x(tag.name))\"/>\n" }
            let summary = article.standfirst.isEmpty ? Markdown.plainText(article.body, limit: 280) : article.standfirst
            xml += "    <summary type=\"text\">\(x(summary))</summary>\n"
            var html = ""
            if let hero = article.hero {
                html += "<figure><img src=\"\(Markdown.escape(absolute(hero.url)))\" alt=\"\(Markdown.escape(hero.alt))\">"
                html += "<figcaption>\(Markdown.escape(hero.caption)) \(Markdown.escape(hero.credit))</figcaption></figure>"
            }
            html += Markdown.html(article.body, allowEmbeds: false)
            if !article.wireCredit.isEmpty { html += "<p>(\(Markdown.escape(article.wireCredit)))</p>" }
            xml += "    <content type=\"html\">\(x(html))</content>\n"
            xml += "  </entry>\n"
        }
        xml += "</feed>\n"
        return xml
    }

    /// sitemaps.org: the front page, each section and every live article.
    public func sitemap(sections: [Section], articles: [Article]) -> String {
        var xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
          <url><loc>\(x(base))/</loc><changefreq>hourly</changefreq></url>

        """
        for section in sections {
            xml += "  <url><loc>\(x(SiteURL.section(section.slug).absolute(base)))</loc><changefreq>hourly</changefreq></url>\n"
        }
        for article in articles {
            xml += "  <url><loc>\(x(SiteURL.article(article.slug).absolute(base)))</loc><lastmod>\(article.modifiedAt.iso8601)</lastmod></url>\n"
        }
        xml += "</urlset>\n"
        return xml
    }

    /// Google News sitemap: articles of the last 48 hours (the caller limits them to 1,000).
    public func newsSitemap(articles: [Article]) -> String {
        var xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">

        """
        for article in articles {
            guard let published = article.publishedAt else { continue }
            xml += """
              <url>
                <loc>\(x(SiteURL.article(article.slug).absolute(base)))</loc>
                <news:news>
                  <news:publication><news:name>\(x(siteName))</news:name><news:language>\(x(language))</news:language></news:publication>
                  <news:publication_date>\(published.iso8601)</news:publication_date>
                  <news:title>\(x(article.headline))</news:title>
                </news:news>
              </url>

            """
        }
        xml += "</urlset>\n"
        return xml
    }

    public func robots() -> String {
        """
        User-agent: *
        Disallow: /admin/
        Disallow: /api/admin/
        Disallow: /search

        Sitemap: \(SiteURL.sitemap.absolute(base))
        Sitemap: \(SiteURL.newsSitemap.absolute(base))

        """
    }

    /// XML text and attribute escaping.
    func x(_ text: String) -> String { Escaping.html(text, forXML: true) }
}
