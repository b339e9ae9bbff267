import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Quorum

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

    /// Admin pages need an editor: here identified by an API token (sessions come with sign-in).
    @Test(arguments: TestDatabases.kinds)
    func editorsWriteAndPublishThroughTheAdminPages(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            let store = try await Fixtures.newsroom(test.database)
            let token = try await Fixtures.token(test.database)
            #expect(try await client.send("/admin/articles").status == .unauthorized)
            let readerToken = try await Fixtures.token(test.database, roles: [.reader], email: "r@example.com")
            #expect(try await client.send("/admin/articles", token: readerToken).status == .forbidden)

            let form = try await client.send("/admin/articles/new", token: token)
            #expect(form.status == .ok)
            for field in ["name=\"headline\"", "name=\"slug\"", "name=\"body\"", "name=\"heroCredit\"", "name=\"wireCredit\"", "<option value=\"world\""] {
                #expect(form.text.contains(field), "\(field)")
            }
            let urlencoded: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let body = "headline=Harbour+%26+town&slug=harbour-town&standfirst=S&section=science&authors=ana-ruiz%2C+ben-okafor&tags=Sea%2C+Town"
                + "&heroURL=%2Fimages%2F0123456789abcdef.png&heroAlt=Alt&heroCaption=Cap&heroCredit=Photo%3A+A+%2F+B&wireCredit=Reporting+by+X&body=Hello+*world*&commentsOpen=1"
            let created = try await client.send("/admin/articles/new", .post, token: token, headers: urlencoded, body: ByteBuffer(string: body))
            #expect(created.status == .seeOther)
            let location = try #require(created.headers[.location])
            let article = try #require(try await store.article(slug: "harbour-town"))
            #expect(location == "/admin/articles/\(article.id)/edit?saved=1")
            #expect(article.headline == "Harbour & town")
            #expect(article.authors.map(\.slug) == ["ana-ruiz", "ben-okafor"])
            #expect(article.section.slug == "science")
            #expect(article.commentsOpen && !article.allowEmbeds)

            let edit = try await client.send(location, token: token)
            #expect(edit.text.contains("Saved."))
            #expect(edit.text.contains("value=\"Harbour &amp; town\""))
            let duplicate = try await client.send("/admin/articles/new", .post, token: token, headers: urlencoded, body: ByteBuffer(string: body))
            #expect(duplicate.status == .conflict)
            #expect(duplicate.text.contains("already exists"))

            let preview = try await client.send("/admin/articles/\(article.id)/preview", .post, token: token, headers: urlencoded,
                                                body: ByteBuffer(string: body.replacingOccurrences(of: "Hello+*world*", with: "Previewed+text")))
            #expect(preview.status == .ok)
            #expect(preview.text.contains("Previewed text"))
            #expect(preview.text.contains("Preview: readers do not see this version yet."))
            #expect(try await store.article(id: article.id)?.body == "Hello *world*", "a preview saves nothing")

            let list = try await client.send("/admin/articles", token: token)
            #expect(list.text.contains("Harbour &amp; town"))
            #expect(list.text.contains("draft"))

            let scheduled = try await client.send("/admin/articles/\(article.id)/schedule", .post, token: token, headers: urlencoded,
                                                  body: ByteBuffer(string: "publishAt=2099-01-01T09%3A00"))
            #expect(scheduled.status == .seeOther)
            #expect(try await store.article(id: article.id)?.publishAt == Timestamp(ISOTime.parse("2099-01-01T09:00:00Z")!))

            #expect(try await client.send("/admin/articles/\(article.id)/publish", .post, token: token, headers: urlencoded, body: ByteBuffer(string: "")).status == .seeOther)
            #expect(try await client.send("/article/harbour-town").status == .ok)
            let correction = try await client.send("/admin/articles/\(article.id)/corrections", .post, token: token, headers: urlencoded, body: ByteBuffer(string: "note=Corrected+a+date."))
            #expect(correction.status == .seeOther)
            #expect(try await client.send("/article/harbour-town").text.contains("Corrected a date."))

            let saved = try await client.send("/admin/articles/\(article.id)/edit", .post, token: token, headers: urlencoded,
                                              body: ByteBuffer(string: body.replacingOccurrences(of: "Harbour+%26+town", with: "Harbour+and+town")))
            #expect(saved.status == .seeOther)
            #expect(try await client.send("/article/harbour-town").text.contains("Harbour and town"))
        }
    }

    @Test func formsPostedWithASessionMustCarryItsCSRFToken() throws {
        let user = User(id: 1, email: "e@example.com", displayName: "E", status: "active", roles: [.editor], createdAt: .now)
        let session = Identity(user: user, source: .session(id: "s", csrfToken: "secret-token"))
        #expect(throws: RequestError.self) { try AdminPageRoutes.checkCSRF(FormFields("headline=x"), session) }
        #expect(throws: RequestError.self) { try AdminPageRoutes.checkCSRF(FormFields("csrf=wrong"), session) }
        try AdminPageRoutes.checkCSRF(FormFields("csrf=secret-token&headline=x"), session)
        try AdminPageRoutes.checkCSRF(FormFields("headline=x"), Identity(user: user, source: .apiToken(id: 1)))
    }
}
