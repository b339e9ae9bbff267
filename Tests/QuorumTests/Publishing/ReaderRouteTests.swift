import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Reader pages")
struct ReaderRouteTests {
    @Test(arguments: TestDatabases.kinds)
    func theArticlePageCarriesEveryElementOfANewsArticle(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind, adjust: { $0.siteName = "The Test Tribune" }) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            var input = Fixtures.input("patrol-talks", headline: "Ministers agree on patrols",
                                       body: "First paragraph.\n\n> “A quote from a minister,” she said.\n\nLast paragraph.")
            input.tags = ["Oceans", "Diplomacy"]
            let article = try await Fixtures.published(store, input, at: Timestamp.now.adding(seconds: -3600))
            _ = try await store.addCorrection(articleID: article.id, note: "An earlier version misspelt a name.")

            let page = try await client.send("/article/patrol-talks")
            #expect(page.status == .ok)
            let html = page.text
            for fragment in [
                "<article class=\"article\"", "<h1 id=\"headline\">Ministers agree on patrols</h1>",
                "<figure class=\"hero\">", "alt=\"A harbour at dawn\"", "<figcaption>Boats in the harbour. <span class=\"credit\">(Photo: Harbour Wire / Ana Ruiz)</span></figcaption>",
                "<blockquote><p>“A quote from a minister,” she said.</p></blockquote>",
                "<a rel=\"author\" href=\"/author/ana-ruiz\">Ana Ruiz</a> and <a rel=\"author\" href=\"/author/ben-okafor\">Ben Okafor</a>",
                "<p class=\"wire-credit\">(Reporting by Ana Ruiz; Editing by Ben Okafor)</p>",
                "<h2 id=\"corrections-heading\">Corrections</h2>", "An earlier version misspelt a name.",
                "<section class=\"comments\"", "sign in</a> to comment",
                "<main id=\"main\"", "<nav class=\"sections\" aria-label=\"Sections\">", "<time class=\"published\" datetime=\"",
                "<link rel=\"canonical\" href=\"http://127.0.0.1:0/article/patrol-talks\">",
                "<meta property=\"og:type\" content=\"article\">", "<meta property=\"og:image\" content=\"http://127.0.0.1:0/images/0123456789abcdef.png\">",
                "<meta property=\"article:section\" content=\"World\">", "<meta property=\"article:tag\" content=\"Diplomacy\">",
                "<meta property=\"article:published_time\" content=\"", "<meta name=\"twitter:card\" content=\"summary_large_image\">",
            ] {
                #expect(html.contains(fragment), "missing: \(fragment)")
            }
            // Order of the page: article, then the promotions (membership's), then comments.
            let order = ["<article class=\"article\"", "class=\"wire-credit\"", "class=\"corrections\"", "class=\"promotions\"", "class=\"comments\""]
                .compactMap { html.range(of: $0)?.lowerBound }
            #expect(order.count == 5 && order == order.sorted())
            // The membership call to action (an editors' promotion) links to /membership through the counting redirect.
            #expect(html.contains("href=\"/promotions/1/click\""))

            // JSON-LD parses and carries what search engines read.
            let script = try #require(html.components(separatedBy: "<script type=\"application/ld+json\">").dropFirst().first?.components(separatedBy: "</script>").first)
            let ld = try #require(try JSONSerialization.jsonObject(with: Data(script.utf8)) as? [String: Any])
            #expect(ld["@type"] as? String == "NewsArticle")
            #expect(ld["headline"] as? String == "Ministers agree on patrols")
            #expect((ld["image"] as? [String])?.first == "http://127.0.0.1:0/images/0123456789abcdef.png")
            for field in ["datePublished", "dateModified"] {
                let value = try #require(ld[field] as? String)
                #expect(value.hasSuffix("Z") || value.contains("+"), "\(field) must carry a time zone: \(value)")
                #expect(ISOTime.parse(value) != nil)
            }
            let authors = try #require(ld["author"] as? [[String: Any]])
            #expect(authors.map { $0["@type"] as? String } == ["Person", "Person"])
            #expect(authors.first?["name"] as? String == "Ana Ruiz")
            #expect(authors.first?["url"] as? String == "http://127.0.0.1:0/author/ana-ruiz")
            #expect((ld["publisher"] as? [String: Any])?["name"] as? String == "The Test Tribune")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func unknownOrUnpublishedArticlesGetAThemed404(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            _ = try await store.create(Fixtures.input("still-a-draft"))
            for path in ["/article/no-such-story", "/article/still-a-draft", "/section/sport", "/tag/none", "/author/nobody", "/section/sport/feed.xml"] {
                let response = try await client.send(path)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.text.contains("Page not found"), "\(path)")
                #expect(response.text.contains("class=\"masthead\""), "\(path)")
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func htmlInTitlesAndBodiesIsEscaped(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            var input = Fixtures.input("escaping", headline: "<script>alert('h')</script> & more", body: "Text <img src=x onerror=alert(1)> and <b>bold</b>")
            input.standfirst = "\"><script>alert('s')</script>"
            input.wireCredit = "<i>Reporting</i>"
            try await Fixtures.published(store, input, at: Timestamp.now.adding(seconds: -10))
            let html = try await client.send("/article/escaping").text
            #expect(!html.contains("<script>alert"))
            #expect(!html.contains("<img src=x"))
            #expect(!html.contains("<b>bold</b>"))
            #expect(!html.contains("<i>Reporting</i>"))
            #expect(html.contains("&lt;script&gt;alert(&#39;h&#39;)&lt;/script&gt; &amp; more") || html.contains("&lt;script&gt;alert(&#x27;h&#x27;)"))
            // The home page, the feed and the JSON-LD escape it too.
            #expect(!(try await client.send("/").text.contains("<script>alert")))
            #expect(!(try await client.send("/feed.xml").text.contains("<script>alert")))

            var embed = Fixtures.input("embed", body: "<iframe src=\"https://video.example/1\"></iframe>")
            embed.allowEmbeds = true
            try await Fixtures.published(store, embed, at: Timestamp.now.adding(seconds: -10))
            #expect(try await client.send("/article/embed").text.contains("<iframe src=\"https://video.example/1\"></iframe>"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func frontSectionTagAuthorAndSearchPages(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            let now = Timestamp.now
            try await Fixtures.published(store, Fixtures.input("tide-tables", headline: "New tide tables published", tags: ["Tides"]), at: now.adding(seconds: -100))
            try await Fixtures.published(store, Fixtures.input("comet-seen", headline: "Comet seen from the hills", section: "science", tags: ["Space"]), at: now.adding(seconds: -50))
            let home = try await client.send("/")
            #expect(home.status == .ok)
            #expect(home.text.contains("Comet seen from the hills"))
            #expect(home.text.contains("New tide tables published"))
            #expect(home.text.contains("<a href=\"/section/science\">Science</a>"))
            let section = try await client.send("/section/science")
            #expect(section.text.contains("Comet seen from the hills"))
            #expect(!section.text.contains("New tide tables published"))
            #expect(section.text.contains("href=\"/section/science/feed.xml\""))
            #expect(try await client.send("/tag/tides").text.contains("New tide tables published"))
            #expect(try await client.send("/author/ana-ruiz").text.contains("Comet seen from the hills"))
            let search = try await client.send("/search?q=comet")
            #expect(search.status == .ok)
            #expect(search.text.contains("Comet seen from the hills"))
            #expect(!search.text.contains("New tide tables published"))
            #expect(try await client.send("/search?q=%3Cscript%3E").text.contains("&lt;script&gt;"))
            let robots = try await client.send("/robots.txt")
            #expect(robots.text.contains("Sitemap: http://127.0.0.1:0/sitemap.xml"))
            #expect(robots.text.contains("Disallow: /admin/"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func cachedPagesAnswerConditionalRequestsAndChangeOnEdits(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            let token = try await Fixtures.token(test.database)
            let article = try await Fixtures.published(store, Fixtures.input("cached"), at: Timestamp.now.adding(seconds: -3600))
            let first = try await client.send("/article/cached")
            let etag = try #require(first.headers[.eTag])
            let lastModified = try #require(first.headers[.lastModified])
            #expect(first.headers[.cacheControl] == PageCache.cacheControl)
            #expect(lastModified.hasSuffix(" GMT"))
            #expect(try await client.send("/article/cached", headers: [.ifNoneMatch: etag]).status == .notModified)
            #expect(try await client.send("/article/cached", headers: [.ifModifiedSince: lastModified]).status == .notModified)
            #expect(try await client.send("/article/cached", headers: [.ifNoneMatch: "\"other\""]).status == .ok)
            let home = try await client.send("/")
            let section = try await client.send("/section/science")

            // A change written behind the cache's back is not seen: the page really is cached…
            try await test.database.read { db in try await db.update("articles").set("headline", to: "Sneaky").where("id", .equal, article.id).run() }
            #expect(!(try await client.send("/article/cached").text.contains("Sneaky")))

            // …and a correction through the admin API invalidates exactly that article's page and the feeds.
            let correction = try await client.send("/api/admin/v1/articles/\(article.id)/corrections", .post, token: token, body: Fixtures.json(["note": "A date was wrong."]))
            #expect(correction.status == .created)
            let after = try await client.send("/article/cached", headers: [.ifNoneMatch: etag])
            #expect(after.status == .ok)
            #expect(after.text.contains("A date was wrong."))
            #expect(after.headers[.eTag] != etag)
            #expect(try await client.send("/", headers: [.ifNoneMatch: home.headers[.eTag]!]).status == .notModified, "the front page did not change")
            #expect(try await client.send("/section/science", headers: [.ifNoneMatch: section.headers[.eTag]!]).status == .notModified)

            // An edit through the admin API shows at once on the article and on the front page.
            var edited = Fixtures.input("cached", headline: "Edited headline")
            edited.tags = ["Oceans"]
            let body: [String: Any] = ["slug": "cached", "headline": "Edited headline", "section": "world", "authors": ["ana-ruiz"], "tags": ["Oceans"]]
            #expect(try await client.send("/api/admin/v1/articles/\(article.id)", .put, token: token, body: Fixtures.json(body)).status == .ok)
            #expect(try await client.send("/article/cached").text.contains("Edited headline"))
            #expect(try await client.send("/").text.contains("Edited headline"))
        }
    }
}

@Suite("Theme overrides for publishing")
struct PublishingThemeTests {
    /// A publisher replaces the article template and the stylesheet by file name; the rest stays default.
    @Test func theArticleTemplateAndAssetsAreOverriddenByName() async throws {
        let folder = TestDatabases.folder + "/" + TestDatabases.uniqueName("theme")
        try FileManager.default.createDirectory(atPath: folder + "/assets", withIntermediateDirectories: true)
        try "{{<base}}{{$content}}<article class=\"ours\"><h1>{{headline}}</h1>{{#hero}}<p class=\"credit\">{{credit}}</p>{{/hero}}{{{bodyHTML}}}</article>{{/content}}{{/base}}"
            .write(toFile: folder + "/article.mustache", atomically: true, encoding: .utf8)
        try "body { background: papayawhip; }".write(toFile: folder + "/assets/site.css", atomically: true, encoding: .utf8)
        try await LiveServer.run(.sqlite, adjust: { $0.themeDirectory = folder }) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            try await Fixtures.published(store, Fixtures.input("themed", headline: "Themed <page>"), at: Timestamp.now.adding(seconds: -5))
            let page = try await client.send("/article/themed").text
            #expect(page.contains("<article class=\"ours\"><h1>Themed &lt;page&gt;</h1><p class=\"credit\">Photo: Harbour Wire / Ana Ruiz</p><p>Body text.</p></article>"))
            #expect(page.contains("class=\"masthead\""), "base.mustache still comes from the default theme")
            #expect(try await client.send("/assets/site.css").text == "body { background: papayawhip; }")
            #expect(try await client.send("/section/world").text.contains("class=\"listing-header\""), "other templates are the default ones")
        }
    }
}
