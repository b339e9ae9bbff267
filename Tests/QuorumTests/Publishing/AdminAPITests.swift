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

@Suite("Admin and public JSON APIs")
struct AdminAPITests {
    nonisolated(unsafe) static let article: [String: Any] = [
        "slug": "api-story", "headline": "Written through the API", "standfirst": "Short", "body": "Body with **bold**.",
        "section": "world", "authors": ["ana-ruiz"], "tags": ["Ports"], "wireCredit": "Reporting by A; Editing by B",
        "hero": ["url": "/images/0123456789abcdef.png", "alt": "Alt", "caption": "Caption", "credit": "Photo: Wire / Someone"],
    ]

    @Test(arguments: TestDatabases.kinds)
    func tokensAreRequiredAndRolesChecked(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            _ = try await Fixtures.newsroom(test.database)
            let reader = try await Fixtures.token(test.database, roles: [.reader], email: "reader@example.com")
            let missing = try await client.send("/api/admin/v1/articles")
            #expect(missing.status == .unauthorized)
            #expect((try missing.json()["error"] as? [String: Any])?["code"] as? String == "unauthenticated")
            let wrong = try await client.send("/api/admin/v1/articles", token: "qrm_nope")
            #expect(wrong.status == .unauthorized)
            #expect((try wrong.json()["error"] as? [String: Any])?["code"] as? String == "invalid_token")
            #expect(try await client.send("/api/admin/v1/articles", token: reader).status == .forbidden)
            #expect(try await client.send("/api/admin/v1/articles", .post, token: reader, body: Fixtures.json(Self.article)).status == .forbidden)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func editorsCreateScheduleCorrectPublishAndDelete(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            _ = try await Fixtures.newsroom(test.database)
            let token = try await Fixtures.token(test.database)
            let created = try await client.send("/api/admin/v1/articles", .post, token: token, body: Fixtures.json(Self.article))
            #expect(created.status == .created)
            let json = try created.json()
            let id = try #require(json["id"] as? Int)
            #expect(json["status"] as? String == "draft")
            #expect(json["bodyHTML"] as? String == "<p>Body with <strong>bold</strong>.</p>")
            #expect(try await client.send("/article/api-story").status == .notFound, "drafts are not public")
            #expect(try await client.send("/api/v1/articles/api-story").status == .notFound)

            let duplicate = try await client.send("/api/admin/v1/articles", .post, token: token, body: Fixtures.json(Self.article))
            #expect(duplicate.status == .conflict)
            #expect((try duplicate.json()["error"] as? [String: Any])?["code"] as? String == "duplicate_slug")

            let future = Timestamp.now.adding(seconds: 86_400).iso8601
            let scheduled = try await client.send("/api/admin/v1/articles/\(id)/schedule", .post, token: token, body: Fixtures.json(["publishAt": future]))
            #expect(scheduled.status == .ok)
            #expect(try scheduled.json()["status"] as? String == "scheduled")
            let past = try await client.send("/api/admin/v1/articles/\(id)/schedule", .post, token: token, body: Fixtures.json(["publishAt": "2001-01-01T00:00:00Z"]))
            #expect(past.status == .badRequest)

            let published = try await client.send("/api/admin/v1/articles/\(id)/publish", .post, token: token)
            #expect(try published.json()["status"] as? String == "published")
            #expect(try await client.send("/article/api-story").status == .ok)
            let corrected = try await client.send("/api/admin/v1/articles/\(id)/corrections", .post, token: token, body: Fixtures.json(["note": "Fixed a name."]))
            #expect(((try corrected.json()["corrections"] as? [[String: Any]])?.first?["note"] as? String) == "Fixed a name.")

            let public1 = try await client.send("/api/v1/articles/api-story")
            #expect(public1.status == .ok)
            #expect(try public1.json()["headline"] as? String == "Written through the API")
            let list = try await client.send("/api/v1/articles?section=world")
            #expect(((try list.json()["articles"] as? [[String: Any]])?.map { $0["slug"] as? String }) == ["api-story"])
            #expect(((try await client.send("/api/v1/articles?tag=ports").json()["articles"] as? [Any])?.count) == 1)
            #expect(((try await client.send("/api/v1/search?q=written").json()["articles"] as? [Any])?.count) == 1)
            #expect(try await client.send("/api/v1/articles?section=nope").status == .notFound)
            #expect(((try await client.send("/api/v1/sections").json()["sections"] as? [Any])?.count) == 2)

            #expect(try await client.send("/api/admin/v1/articles/\(id)", .delete, token: token).status == .noContent)
            #expect(try await client.send("/article/api-story").status == .notFound)
            #expect(try await client.send("/api/admin/v1/articles/\(id)", token: token).status == .notFound)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func malformedBodiesAreRefusedNamingTheField(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            _ = try await Fixtures.newsroom(test.database)
            let token = try await Fixtures.token(test.database)
            func post(_ body: ByteBuffer) async throws -> (HTTPResponse.Status, String) {
                let response = try await client.send("/api/admin/v1/articles", .post, token: token, body: body)
                return (response.status, ((try? response.json()["error"] as? [String: Any])?["message"] as? String) ?? response.text)
            }
            let notJSON = try await post(ByteBuffer(string: "{\"slug\": "))
            #expect(notJSON.0 == .badRequest)
            #expect(notJSON.1.contains("not valid JSON"))
            var missing = Self.article
            missing["headline"] = nil
            let (status1, message1) = try await post(Fixtures.json(missing))
            #expect(status1 == .badRequest)
            #expect(message1.contains("'headline'"))
            var wrongType = Self.article
            wrongType["tags"] = "Ports"
            let (status2, message2) = try await post(Fixtures.json(wrongType))
            #expect(status2 == .badRequest)
            #expect(message2.contains("'tags'"))
            var nested = Self.article
            nested["hero"] = ["alt": "no url"]
            let (status3, message3) = try await post(Fixtures.json(nested))
            #expect(status3 == .badRequest)
            #expect(message3.contains("'hero.url'"))
            var unknown = Self.article
            unknown["hedline"] = "typo"
            let (status4, message4) = try await post(Fixtures.json(unknown))
            #expect(status4 == .badRequest)
            #expect(message4.contains("'hedline'"))
            var badSlug = Self.article
            badSlug["slug"] = "Not A Slug"
            let (status5, message5) = try await post(Fixtures.json(badSlug))
            #expect(status5 == .badRequest)
            #expect(message5.contains("'slug'"))
            var badAuthor = Self.article
            badAuthor["authors"] = ["nobody"]
            let (status6, message6) = try await post(Fixtures.json(badAuthor))
            #expect(status6 == .unprocessableContent)
            #expect(message6.contains("'authors'"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func imageUploadsAreTypeCheckedSizeLimitedAndServedWithCaching(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind, adjust: { $0.maxUploadBytes = 50_000 }) { client, test in
            let token = try await Fixtures.token(test.database)
            let png = DemoPicture.png(width: 64, height: 36, palette: DemoPicture.palettes[2], seed: 2)
            let uploaded = try await client.send("/api/admin/v1/images", .post, token: token, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png))
            #expect(uploaded.status == .created)
            let url = try #require(try uploaded.json()["url"] as? String)
            let image = try await client.send(url)
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            #expect(image.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(Array(image.body.readableBytesView) == png)
            #expect(try await client.send(url, headers: [.ifNoneMatch: image.headers[.eTag]!]).status == .notModified)

            // The client's Content-Type is not trusted: the bytes decide.
            let html = try await client.send("/api/admin/v1/images", .post, token: token, headers: [.contentType: "image/png"], body: ByteBuffer(string: "<html>not an image</html>"))
            #expect(html.status == .unsupportedMediaType)
            let big = [UInt8](repeating: 0xFF, count: 60_000)
            let tooBig = try await client.send("/api/admin/v1/images", .post, token: token, headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: big))
            #expect(tooBig.status == .contentTooLarge)
            #expect(try await client.send("/images/ffffffffffffffff.png").status == .notFound)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func sectionsAndAuthorsCanBeAdded(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            _ = try await Fixtures.newsroom(test.database)
            let token = try await Fixtures.token(test.database)
            let homeBefore = try await client.send("/")
            let section = try await client.send("/api/admin/v1/sections", .post, token: token, body: Fixtures.json(["slug": "sport", "name": "Sport"]))
            #expect(section.status == .created)
            #expect(try await client.send("/api/admin/v1/sections", .post, token: token, body: Fixtures.json(["slug": "sport", "name": "Sport"])).status == .conflict)
            // Every page shows the section navigation, so a new section refreshes cached pages.
            let homeAfter = try await client.send("/", headers: [.ifNoneMatch: homeBefore.headers[.eTag]!])
            #expect(homeAfter.status == .ok)
            #expect(homeAfter.text.contains("/section/sport"))
            let author = try await client.send("/api/admin/v1/authors", .post, token: token, body: Fixtures.json(["slug": "cy-lee", "name": "Cy Lee"]))
            #expect(author.status == .created)
            #expect(((try await client.send("/api/admin/v1/authors", token: token).json()["authors"] as? [Any])?.count) == 3)
        }
    }
}
