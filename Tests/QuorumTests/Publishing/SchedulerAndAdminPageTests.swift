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

@Suite("Scheduled publishing and admin pages")
struct SchedulerAndAdminPageTests {
    /// The scheduler runs inside the application; the test moves the site's clock instead of waiting an hour.
    @Test(arguments: TestDatabases.kinds)
    func scheduledArticlesAppearAtTheirTimeWithoutARestart(kind: DatabaseKind) async throws {
        let clock = ManualClock()
        try await LiveServer.run(kind, adjust: { $0.schedulerInterval = .milliseconds(20) }, clock: clock.siteClock) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            let draft = try await store.create(Fixtures.input("at-nine"), now: clock.now)
            _ = try await store.schedule(id: draft.id, at: clock.now.adding(seconds: 3600), now: clock.now)
            #expect(try await client.send("/article/at-nine").status == .notFound)
            let home = try await client.send("/")
            #expect(!home.text.contains("Headline of at-nine"))

            clock.advance(seconds: 3601)
            var status = HTTPResponse.Status.notFound
            for _ in 0..<250 where status != .ok {
                try await Task.sleep(for: .milliseconds(20))
                status = try await client.send("/article/at-nine").status
            }
            #expect(status == .ok)
            // The cached front page was invalidated when the article went live.
            #expect(try await client.send("/").text.contains("Headline of at-nine"))
            #expect(try await store.article(slug: "at-nine")?.publishedAt == draft.createdAt.adding(seconds: 3600))
        }
    }

    /// An editor signs in by emailed code, then writes, previews, schedules, publishes and corrects through
    /// the forms, each carrying the session's CSRF token.
    @Test(arguments: TestDatabases.kinds)
    func editorsWriteAndPublishThroughTheAdminPages(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let store = try await Fixtures.newsroom(test.database)
            #expect(try await browser.get("/admin/articles").status == .unauthorized)
            _ = try await UserStore(database: test.database).create(email: "reader@example.com", displayName: "R", roles: [.reader])
            _ = try await UserStore(database: test.database).create(email: "editor@example.com", displayName: "Ed", roles: [.editor])
            // A bearer token does not open the pages: they are for signed-in editors.
            let token = try await APITokenStore(database: test.database, users: UserStore(database: test.database)).create(email: "editor@example.com", name: "t").token
            #expect(try await browser.get("/admin/articles", headers: [.authorization: "Bearer \(token)"]).status == .unauthorized)

            try await LiveServer.signIn(browser, mail, email: "editor@example.com")
            let form = try await browser.get("/admin/articles/new")
            #expect(form.status == .ok)
            for field in ["name=\"headline\"", "name=\"slug\"", "name=\"body\"", "name=\"heroCredit\"", "name=\"wireCredit\"", "<option value=\"world\"", "name=\"csrf\""] {
                #expect(form.text.contains(field), "\(field)")
            }
            var fields = [
                "headline": "Harbour & town", "slug": "harbour-town", "standfirst": "S", "section": "science",
                "authors": "ana-ruiz, ben-okafor", "tags": "Sea, Town", "heroURL": "/images/0123456789abcdef.png", "heroAlt": "Alt",
                "heroCaption": "Cap", "heroCredit": "Photo: A / B", "wireCredit": "Reporting by X", "body": "Hello *world*", "commentsOpen": "1",
            ]
            #expect(try await browser.post("/admin/articles/new", fields, csrf: .some(nil)).status == .forbidden, "no CSRF token, no article")
            #expect(try await store.article(slug: "harbour-town") == nil)
            let created = try await browser.post("/admin/articles/new", fields)
            #expect(created.status == .seeOther)
            let location = try #require(created.headers[.location])
            let article = try #require(try await store.article(slug: "harbour-town"))
            #expect(location == "/admin/articles/\(article.id)/edit?saved=1")
            #expect(article.headline == "Harbour & town")
            #expect(article.authors.map(\.slug) == ["ana-ruiz", "ben-okafor"])
            #expect(article.section.slug == "science")
            #expect(article.commentsOpen && !article.allowEmbeds)

            let edit = try await browser.get(location)
            #expect(edit.text.contains("Saved."))
            #expect(edit.text.contains("value=\"Harbour &amp; town\""))
            let duplicate = try await browser.post("/admin/articles/new", fields)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.text.contains("already exists"))

            var previewFields = fields
            previewFields["body"] = "Previewed text"
            let preview = try await browser.post("/admin/articles/\(article.id)/preview", previewFields)
            #expect(preview.status == .ok)
            #expect(preview.text.contains("Previewed text"))
            #expect(preview.text.contains("Preview: readers do not see this version yet."))
            #expect(try await store.article(id: article.id)?.body == "Hello *world*", "a preview saves nothing")

            let list = try await browser.get("/admin/articles")
            #expect(list.text.contains("Harbour &amp; town"))
            #expect(list.text.contains("draft"))

            _ = try await browser.get(location)
            #expect(try await browser.post("/admin/articles/\(article.id)/schedule", ["publishAt": "2099-01-01T09:00"]).status == .seeOther)
            #expect(try await store.article(id: article.id)?.publishAt == Timestamp(ISOTime.parse("2099-01-01T09:00:00Z")!))
            #expect(try await browser.post("/admin/articles/\(article.id)/publish").status == .seeOther)
            #expect(try await browser.get("/article/harbour-town").status == .ok)
            _ = try await browser.get(location)
            #expect(try await browser.post("/admin/articles/\(article.id)/corrections", ["note": "Corrected a date."]).status == .seeOther)
            #expect(try await browser.get("/article/harbour-town").text.contains("Corrected a date."))
            _ = try await browser.get(location)
            fields["headline"] = "Harbour and town"
            #expect(try await browser.post("/admin/articles/\(article.id)/edit", fields).status == .seeOther)
            #expect(try await browser.get("/article/harbour-town").text.contains("Harbour and town"))

            // Readers who are signed in get 403, not the pages.
            let reader = Browser(browser.client)
            try await LiveServer.signIn(reader, mail, email: "reader@example.com")
            #expect(try await reader.get("/admin/articles").status == .forbidden)
        }
    }
}
