import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import Testing

@Suite("Image upload form on the admin pages")
struct ImageUploadFormTests {
    static let png = DemoPicture.png(width: 64, height: 36, palette: DemoPicture.palettes[2], seed: 2)

    /// A signed-in editor on a site with one published article, uploads limited to 50,000 bytes.
    static func withEditor(_ kind: DatabaseKind, _ body: @escaping @Sendable (Browser, TestDatabase, Article, String) async throws -> Void) async throws {
        let data = TestDatabases.folder + "/" + TestDatabases.uniqueName("uploads")
        try await LiveServer.withBrowser(kind, adjust: { $0.maxUploadBytes = 50_000; $0.dataDirectory = data }) { browser, mail, test in
            let store = try await Fixtures.newsroom(test.database)
            let article = try await Fixtures.published(store, Fixtures.input("harbour-vote"), at: Timestamp.now.adding(seconds: -60))
            _ = try await UserStore(database: test.database).create(email: "editor@example.com", displayName: "Ed", roles: [.editor])
            try await LiveServer.signIn(browser, mail, email: "editor@example.com")
            try await body(browser, test, article, data)
        }
    }

    static func fields(alt: String = "Boats at dawn", caption: String = "The harbour & its boats", credit: String = "Photo: Wire / Ana", hero: Bool = true) -> [Browser.Part] {
        [.field("alt", alt), .field("caption", caption), .field("credit", credit)] + (hero ? [.field("hero", "1")] : [])
    }

    static func image(_ bytes: [UInt8], filename: String = "harbour.png") -> Browser.Part {
        Browser.Part(name: "image", value: bytes, filename: filename, contentType: "image/png")
    }

    /// Where a successful upload sends the browser, to load with the test client (which sends no fragment).
    static func target(_ response: TestResponse) throws -> String {
        let location = try #require(response.headers[.location])
        #expect(location.hasSuffix("#upload"), "the page opens at the upload section")
        return String(location.prefix { $0 != "#" })
    }

    static func storedFiles(_ data: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: data + "/images")) ?? []).sorted()
    }

    @Test(arguments: TestDatabases.kinds)
    func editorsUploadAnImageAndMakeItTheHeroWithoutJavaScript(kind: DatabaseKind) async throws {
        try await Self.withEditor(kind) { browser, test, article, data in
            let edit = SiteURL.adminEdit(article.id).path
            let page = try await browser.get(edit)
            for needle in ["action=\"/admin/articles/\(article.id)/image\"", "enctype=\"multipart/form-data\"", "name=\"image\" type=\"file\"", "name=\"alt\"", "at most 48 KB"] {
                #expect(page.text.contains(needle), "\(needle)")
            }
            // Only the address, the hero untouched.
            let plain = try await browser.postMultipart("/admin/articles/\(article.id)/image", Self.fields(hero: false) + [Self.image(Self.png)])
            #expect(plain.status == .seeOther)
            let location = try Self.target(plain)
            #expect(location.hasPrefix(edit + "?uploaded="))
            let shown = try await browser.get(location)
            let url = try #require(Browser.firstMatch(#"<code>(/images/[0-9a-f]+\.png)</code>"#, in: shown.text))
            #expect(shown.text.contains("Uploaded “harbour.png”"))
            #expect(try await ArticleStore(database: test.database).article(id: article.id)?.hero?.url == "/images/0123456789abcdef.png")
            let served = try await browser.get(url)
            #expect(served.status == .ok && Array(served.body.readableBytesView) == Self.png)
            #expect(Self.storedFiles(data) == [String(url.dropFirst("/images/".count))])

            // As the hero: alt text, caption and credit go with it, and the reader's page shows it.
            #expect(try await browser.get("/article/harbour-vote").status == .ok) // cached now
            let hero = try await browser.postMultipart("/admin/articles/\(article.id)/image", Self.fields() + [Self.image(Self.png)])
            #expect(hero.status == .seeOther)
            #expect(try await browser.get(try Self.target(hero)).text.contains("now this article's hero photo"))
            let saved = try #require(try await ArticleStore(database: test.database).article(id: article.id)?.hero)
            #expect(saved == HeroImage(url: url, alt: "Boats at dawn", caption: "The harbour & its boats", credit: "Photo: Wire / Ana"))
            let reader = try await browser.client.send("/article/harbour-vote")
            #expect(reader.text.contains(url) && reader.text.contains("Boats at dawn"), "the cached page was dropped")

            // A link cannot make the edit page announce what did not happen.
            #expect(!(try await browser.get(edit + "?done=Your+account+is+locked").text.contains("account is locked")))
            #expect(try await browser.get(edit + "?done=Published.").text.contains("Published."))
            #expect(!(try await browser.get(edit + "?uploaded=00000000deadbeef.png&file=x").text.contains("Uploaded")))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func refusedUploadsSayWhyAndKeepWhatTheEditorTyped(kind: DatabaseKind) async throws {
        try await Self.withEditor(kind) { browser, test, article, data in
            let path = "/admin/articles/\(article.id)/image"
            try await browser.get(SiteURL.adminEdit(article.id).path)
            func keptFields(_ response: TestResponse) {
                #expect(response.text.contains("value=\"Boats at dawn\""))
                #expect(response.text.contains("value=\"The harbour &amp; its boats\""))
                #expect(response.text.contains("value=\"Photo: Wire / Ana\""))
                #expect(response.text.contains("name=\"hero\" value=\"1\" checked"))
            }
            let text = try await browser.postMultipart(path, Self.fields() + [Self.image(Array("<html>not an image</html>".utf8), filename: "page.png")])
            #expect(text.status == .unsupportedMediaType)
            #expect(text.text.contains("Only JPEG, PNG and WebP"))
            keptFields(text)

            // Over the limit but read whole (the image store refuses it), and far over it (reading stops).
            let jpegHeader: [UInt8] = [0xFF, 0xD8, 0xFF]
            for size in [60_000, 400_000] {
                let big = try await browser.postMultipart(path, Self.fields() + [Self.image(jpegHeader + [UInt8](repeating: 0, count: size))])
                #expect(big.status == .contentTooLarge, "\(size) bytes")
                #expect(big.text.contains("limit of 50000 bytes"))
                keptFields(big)
            }

            let noFile = try await browser.postMultipart(path, Self.fields())
            #expect(noFile.status == .badRequest)
            #expect(noFile.text.contains("Please choose an image file"))
            keptFields(noFile)

            let noToken = try await browser.postMultipart(path, Self.fields() + [Self.image(Self.png)], csrf: .some(nil))
            #expect(noToken.status == .forbidden)
            let wrongToken = try await browser.postMultipart(path, Self.fields() + [Self.image(Self.png)], csrf: "forged")
            #expect(wrongToken.status == .forbidden)

            let token = try #require(browser.csrf)
            let unclosed = Array("--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(token)\r\n--B\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nNo end".utf8)
            #expect(try await browser.postMultipart(path, [], boundary: "B", raw: unclosed).status == .badRequest)
            let noDisposition = Array("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n".utf8)
            #expect(try await browser.postMultipart(path, [], boundary: "B", raw: noDisposition).status == .badRequest)

            #expect(Self.storedFiles(data).isEmpty, "nothing refused was stored")
            #expect(try await ArticleStore(database: test.database).article(id: article.id)?.hero?.url == "/images/0123456789abcdef.png")
        }
    }

    /// A multipart body sent to a form that does not take one is still readable there (no second read of a
    /// consumed body), and a visitor's multipart POST is refused without being read.
    @Test(arguments: TestDatabases.kinds)
    func multipartBodiesElsewhereGetAClearAnswer(kind: DatabaseKind) async throws {
        try await Self.withEditor(kind) { browser, test, article, data in
            try await browser.get(SiteURL.adminEdit(article.id).path)
            let correction = try await browser.postMultipart("/admin/articles/\(article.id)/corrections", [.field("note", "A date was wrong.")])
            #expect((400..<500).contains(correction.status.code) || correction.status == .seeOther, "\(correction.status)")
            #expect(try await browser.get("/healthz").status == .ok, "the server is still there")
            let visitor = Browser(browser.client)
            _ = try await visitor.get("/")
            let refused = try await visitor.postMultipart("/admin/articles/\(article.id)/image", Self.fields() + [Self.image(Self.png)], csrf: "anything")
            #expect(refused.status == .forbidden)
            #expect(Self.storedFiles(data).isEmpty)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func hostileFileNamesAreNeverPathsAndAreShownEscaped(kind: DatabaseKind) async throws {
        try await Self.withEditor(kind) { browser, _, article, data in
            try await browser.get(SiteURL.adminEdit(article.id).path)
            let path = "/admin/articles/\(article.id)/image"
            let traversal = try await browser.postMultipart(path, Self.fields(hero: false) + [Self.image(Self.png, filename: "../../../../tmp/evil.png")])
            #expect(traversal.status == .seeOther)
            let stored = Self.storedFiles(data)
            #expect(stored.count == 1 && stored[0].range(of: #"^[0-9a-f]+\.png$"#, options: .regularExpression) != nil)
            #expect(!FileManager.default.fileExists(atPath: data + "/evil.png"))
            #expect(!FileManager.default.fileExists(atPath: (data as NSString).deletingLastPathComponent + "/evil.png"))
            #expect(try await browser.get(try Self.target(traversal)).text.contains("Uploaded “evil.png”"))

            let html = try await browser.postMultipart(path, Self.fields(hero: false) + [Self.image(Self.png, filename: "<img src=x onerror=alert(1)>.png")])
            #expect(html.status == .seeOther)
            let page = try await browser.get(try Self.target(html)).text
            #expect(page.contains("Uploaded “&lt;img src=x onerror=alert(1)&gt;.png”"))
            #expect(!page.contains("<img src=x"))
            #expect(Self.storedFiles(data) == stored, "the same bytes are one file, whatever their name")
        }
    }
}
