import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Hummingbird
import HummingbirdTesting
import Testing
import Readership
@testable import Accounts
import Membership
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Feeds, sitemaps and the OpenAPI document")
struct FeedAndOpenAPITests {
    @Test(arguments: TestDatabases.kinds)
    func atomFeedsParseInARealFeedReader(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind, adjust: { $0.siteName = "Tribune & <Co>" }) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            try await Fixtures.published(store, Fixtures.input("first", headline: "First & <foremost>", body: "Body *one* <b>x</b>"), at: Timestamp.now.adding(seconds: -200))
            try await Fixtures.published(store, Fixtures.input("second", section: "science"), at: Timestamp.now.adding(seconds: -100))
            let site = try await client.send("/feed.xml")
            #expect(site.status == .ok)
            #expect(site.headers[.contentType] == "application/atom+xml; charset=utf-8")
            let section = try await client.send("/section/world/feed.xml")
            for (feed, count) in [(site.text, 2), (section.text, 1)] {
                let script = """
                import sys, feedparser
                d = feedparser.parse(sys.stdin.read())
                assert not d.bozo, repr(d.bozo_exception)
                assert d.version == 'atom10', d.version
                assert d.feed.title.startswith('Tribune & <Co>') or 'Tribune' in d.feed.title, d.feed.title
                for e in d.entries:
                    assert e.title and e.link and e.id and e.published_parsed and e.updated_parsed and e.summary, e
                    assert e.authors and e.authors[0].name, e
                print(len(d.entries), d.entries[-1].title if d.entries else '')
                """
                let result = try await Python.run(script, input: feed)
                if result.output.contains("No module named 'feedparser'") {
                    Issue.record("Python feedparser is missing: install it with `pip install feedparser` (scripts/test does)")
                    return
                }
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.hasPrefix("\(count) "), "\(result.output)")
            }
            #expect(site.text.contains("First &amp; &lt;foremost&gt;"))
        }
    }

    /// An entry's HTML comes from the theme's `feed-entry` template; a theme folder replaces it by file name.
    @Test func feedEntriesAreRenderedThroughTheTheme() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("theme-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await LiveServer.run(.sqlite) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            try await Fixtures.published(store, Fixtures.input("first", body: "Body *one* <b>x</b>"), at: Timestamp.now.adding(seconds: -200))
            let feed = try await client.send("/feed.xml").text
            // The default entry: hero figure with an absolute address, the body as HTML (raw HTML escaped), the credit,
            // all escaped once more as the XML text of <content type="html">.
            #expect(feed.contains("<content type=\"html\">&lt;figure&gt;&lt;img src=&quot;http"))
            #expect(feed.contains("/images/0123456789abcdef.png&quot; alt=&quot;A harbour at dawn&quot;&gt;"))
            #expect(feed.contains("&lt;figcaption&gt;Boats in the harbour. Photo: Harbour Wire / Ana Ruiz&lt;/figcaption&gt;&lt;/figure&gt;"))
            #expect(feed.contains("Body &lt;em&gt;one&lt;/em&gt; &amp;lt;b&amp;gt;x&amp;lt;/b&amp;gt;"))
            #expect(feed.contains("&lt;p&gt;(Reporting by Ana Ruiz; Editing by Ben Okafor)&lt;/p&gt;</content>"))
        }
        try "<div class=\"entry\">{{#hero}}<img src=\"{{url}}\">{{/hero}}{{{bodyHTML}}}<p>{{site.name}}</p></div>\n"
            .write(toFile: folder + "/feed-entry.mustache", atomically: true, encoding: .utf8)
        try await LiveServer.run(.sqlite, adjust: { $0.themeDirectory = folder; $0.siteName = "A & B" }) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            try await Fixtures.published(store, Fixtures.input("first"), at: Timestamp.now.adding(seconds: -200))
            let feed = try await client.send("/feed.xml").text
            #expect(feed.contains("<content type=\"html\">&lt;div class=&quot;entry&quot;&gt;&lt;img src=&quot;http://"))
            #expect(feed.contains("&lt;p&gt;A &amp;amp; B&lt;/p&gt;&lt;/div&gt;</content>"))
            #expect(!feed.contains("figcaption"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func sitemapsAreWellFormedInTheirNamespaces(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            try await Fixtures.published(store, Fixtures.input("recent", headline: "Recent & new"), at: Timestamp.now.adding(seconds: -3600))
            try await Fixtures.published(store, Fixtures.input("old"), at: Timestamp.now.adding(seconds: -72 * 3600))
            let sitemap = try await client.send("/sitemap.xml")
            #expect(sitemap.headers[.contentType] == "application/xml; charset=utf-8")
            let urls = try XMLElements.parse(sitemap.text)
            #expect(urls.rootNamespace == "http://www.sitemaps.org/schemas/sitemap/0.9")
            let locs = urls.texts(named: "loc", namespace: "http://www.sitemaps.org/schemas/sitemap/0.9")
            #expect(locs.contains("http://127.0.0.1:0/article/recent"))
            #expect(locs.contains("http://127.0.0.1:0/article/old"))
            #expect(locs.contains("http://127.0.0.1:0/section/world"))

            let news = try XMLElements.parse(try await client.send("/news-sitemap.xml").text)
            let newsNamespace = "http://www.google.com/schemas/sitemap-news/0.9"
            #expect(news.rootNamespace == "http://www.sitemaps.org/schemas/sitemap/0.9")
            #expect(news.texts(named: "loc", namespace: "http://www.sitemaps.org/schemas/sitemap/0.9") == ["http://127.0.0.1:0/article/recent"], "only the last 48 hours")
            #expect(news.texts(named: "name", namespace: newsNamespace) == ["Quorum"])
            #expect(news.texts(named: "language", namespace: newsNamespace) == ["en"])
            #expect(news.texts(named: "title", namespace: newsNamespace) == ["Recent & new"])
            let date = try #require(news.texts(named: "publication_date", namespace: newsNamespace).first)
            #expect(ISOTime.parse(date) != nil)
        }
    }

    /// Every route under /api is described, and every described path and method is routed.
    @Test func theOpenAPIDocumentMatchesTheRouter() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let router = try buildRouter(configuration: LiveServer.configuration(for: test), database: test.database, logger: TestDatabases.logger).router
            let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }.filter { $0.contains(" /api/") })
            let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPI.document(serverURL: "http://x", parts: [OpenAPI.publishing, OpenAPI.comments, OpenAPI.membership, OpenAPI.readership, OpenAPI.embedding]))) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let described = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
            #expect(routed.count >= 15)
            #expect(routed.subtracting(described).isEmpty, "routed but not described: \(routed.subtracting(described).sorted())")
            #expect(described.subtracting(routed).isEmpty, "described but not routed: \(described.subtracting(routed).sorted())")
        }
    }

    @Test func theOpenAPIDocumentIsServed() async throws {
        try await LiveServer.run(.sqlite) { client, _ in
            let response = try await client.send("/api/openapi.json")
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["openapi"] as? String == "3.1.0")
            #expect(((json["servers"] as? [[String: Any]])?.first?["url"] as? String) == "http://127.0.0.1:0")
        }
    }
}

/// Namespace-aware XML reading with Foundation's parser: fails on anything not well-formed.
final class XMLElements: NSObject, XMLParserDelegate {
    var rootNamespace: String?
    var elements: [(name: String, namespace: String?, text: String)] = []
    private var stack: [(String, String?, String)] = []

    static func parse(_ text: String) throws -> XMLElements {
        let reader = XMLElements()
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldProcessNamespaces = true
        parser.delegate = reader
        guard parser.parse() else { throw parser.parserError ?? XMLError() }
        return reader
    }

    struct XMLError: Error {}

    func texts(named name: String, namespace: String) -> [String] {
        elements.filter { $0.name == name && $0.namespace == namespace }.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if rootNamespace == nil { rootNamespace = namespaceURI }
        stack.append((elementName, namespaceURI, ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !stack.isEmpty { stack[stack.count - 1].2 += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let (name, namespace, text) = stack.removeLast()
        elements.append((name, namespace, text))
    }
}
