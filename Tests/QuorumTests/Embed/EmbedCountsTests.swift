import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumBus
@testable import QuorumStore
@testable import QuorumWeb

/// Allowed origins, threads made on first use for pages on them, and counts by page address with CORS for those
/// sites only, through the real application on both databases.
@Suite struct EmbedCountsTests {
    static let host = "http://127.0.0.1:56101"

    /// An embed service of its own on the test's database (the application's keeps its own caches).
    static func service(_ test: TestDatabase) throws -> EmbedService {
        let site = Site(configuration: LiveServer.configuration(for: test), database: test.database, theme: try Theme.load(), logger: TestDatabases.logger)
        let bus = LocalInvalidationBus()
        let comments = CommentService(site: site, bus: bus, articles: PublishedArticles(), screen: NoScreen(), events: CommentEvents(bus: bus), now: { .now })
        return EmbedService(comments: comments, pages: ExternalArticles())
    }

    /// Publishes `count` comments on the thread of `article`, by one writer.
    static func publish(_ count: Int, on article: ArticleSummary, test: TestDatabase) async throws {
        let user = try await UserStore(database: test.database).create(email: "\(TestDatabases.uniqueName("w"))@example.com", displayName: "W", roles: [])
        for i in 0..<count {
            try await test.database.transaction { db in
                try await db.insert(into: "comments")
                    .columns("article_id", "author_id", "body", "status", "created_at", "submitted_at", "published_at", "decided_by")
                    .values(SQLBind(article.id), SQLBind(user.id), SQLBind("Comment \(i)"), SQLBind("published"), SQLBind(Timestamp.now.milliseconds),
                            SQLBind(Timestamp.now.milliseconds), SQLBind(Timestamp.now.milliseconds), SQLBind("peers")).run()
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func adminsAllowSitesAndThreadsAreMadeOnFirstUseThere(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            _ = try await UserStore(database: test.database).create(email: "admin@example.com", displayName: "Admin", roles: [.admin])
            try await LiveServer.signIn(browser, mail, email: "admin@example.com")
            let page = try await browser.get("/admin/embedding")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl]?.contains("no-store") == true || page.headers[.cacheControl]?.contains("private") == true)
            let bad = try await browser.post("/admin/embedding", ["origins": "https://news.example/some/page", "keepQuery": ""])
            #expect(bad.status == .badRequest && bad.text.contains("is not an origin"))
            let noToken = try await browser.post("/admin/embedding", ["origins": "https://evil.example", "keepQuery": ""], csrf: .some(nil))
            #expect(noToken.status == .forbidden, "the form needs its CSRF token")
            let saved = try await browser.post("/admin/embedding", ["origins": "HTTPS://News.Example:443\n\(Self.host)", "keepQuery": "p"])
            #expect(saved.status == .seeOther)

            let embed = try Self.service(test)
            #expect(try await embed.settings() == EmbedSettings(origins: ["https://news.example", Self.host], keepQuery: ["p"]))

            // First use makes the thread; any other spelling of the page finds the same one.
            let (address, article) = try await embed.thread(for: "https://NEWS.example/2026/harbour/?utm_source=x#c1", title: "Harbour vote")
            #expect(address.url == "https://news.example/2026/harbour")
            #expect(article.headline == "Harbour vote" && article.isPublished && article.commentsOpen)
            #expect(try await embed.thread(for: "https://news.example:443/2026/harbour", title: "Other title").article.id == article.id)
            let other = try await embed.thread(for: "https://news.example/?p=7&utm=1", title: "Plain link")
            #expect(other.page.url == "https://news.example/?p=7" && other.article.id != article.id)

            // A page on a site that is not allowed gets no thread, and nothing is stored for it.
            await #expect(throws: EmbedService.originNotAllowed) { try await embed.thread(for: "https://evil.example/x", title: "x") }
            await #expect(throws: CommentError.self) { try await embed.thread(for: "javascript:alert(1)", title: "x") }
            let pages = try await test.database.read { db in try await db.select().column("url").from("embed_pages").all(decodingColumn: "url", as: String.self) }
            #expect(Set(pages) == ["https://news.example/2026/harbour", "https://news.example/?p=7"])

            // The standing-in article is no article of the site: no page, not in listings, feeds, the editors' list or the sections.
            #expect(try await browser.get("/article/\(article.slug)").status == .notFound)
            #expect(try await browser.get("/").text.contains("Harbour vote") == false)
            #expect(try await browser.get("/feed.xml").text.contains("Harbour vote") == false)
            #expect(try await browser.get("/admin/articles").text.contains("Harbour vote") == false)
            #expect(try await browser.get("/api/v1/sections").text.contains("_pages") == false)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func countsFor200PagesInOneCallWithCORSForAllowedSitesOnly(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            let embed = try Self.service(test)
            try await embed.comments.site.settings.set(EmbedSettings.key, #"{"origins":["\#(Self.host)"],"keepQuery":[]}"#)
            var urls: [String] = []
            for i in 0..<200 { urls.append("\(Self.host)/story/\(i)/") }
            for i in [0, 7, 199] {
                let (_, article) = try await embed.thread(for: urls[i], title: "Story \(i)")
                try await Self.publish(i == 0 ? 1 : i, on: article, test: test)
            }
            let query = urls.map { "url=" + $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }.joined(separator: "&")
            let answer = try await client.execute(uri: "/api/v1/counts?" + query, method: .get, headers: [.origin: Self.host])
            #expect(answer.status == .ok)
            let counts = try #require(try answer.json()["counts"] as? [String: Int])
            #expect(counts.count == 200)
            #expect(counts[urls[0]] == 1 && counts[urls[7]] == 7 && counts[urls[199]] == 199 && counts[urls[1]] == 0)
            #expect(answer.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == Self.host)
            #expect(answer.headers[values: .vary].joined(separator: ",").contains("Origin"))
            #expect(answer.headers[.cacheControl] == "public, max-age=30")

            // Any spelling of the page counts the same; another site may not read the answer.
            let spelled = try await client.execute(uri: "/api/v1/counts?url=" + "HTTP://127.0.0.1:56101/story/7#c".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                                                   method: .get, headers: [.origin: "https://evil.example"])
            #expect(try spelled.json()["counts"] as? [String: Int] == ["HTTP://127.0.0.1:56101/story/7#c": 7], "\(spelled.text)")
            #expect(spelled.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)

            // Too many, none, a wrong parameter or a non-address: 400 naming it.
            let tooMany = try await client.execute(uri: "/api/v1/counts?" + query + "&url=https%3A%2F%2Fx.example%2F", method: .get)
            #expect(tooMany.status == .badRequest && tooMany.text.contains("too_many_urls"))
            #expect(try await client.execute(uri: "/api/v1/counts", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/counts?slug=x", method: .get).status == .badRequest)
            let notURL = try await client.execute(uri: "/api/v1/counts?url=ftp%3A%2F%2Fx", method: .get)
            #expect(notURL.status == .badRequest && notURL.text.contains("invalid_url"))

            // count.js is served where host pages include it.
            let script = try await client.execute(uri: "/count.js", method: .get)
            #expect(script.status == .ok && script.text.contains("data-quorum-count"))
            #expect(script.headers[.contentType]?.contains("javascript") == true)
        }
    }
}
