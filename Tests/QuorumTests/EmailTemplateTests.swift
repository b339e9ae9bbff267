import Foundation
import Testing
@testable import QuorumApp
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// Every email is a pair of theme templates (text with its subject line, and HTML), overridable by file name.
@Suite("Email templates")
struct EmailTemplateTests {
    static func renderer(overrides: String? = nil, siteName: String = "Tribune & <Co>") throws -> PageRenderer {
        let configuration = QuorumConfiguration(siteURL: "https://news.example", siteName: siteName)
        return PageRenderer(theme: try Theme.load(overrides: overrides), configuration: configuration)
    }

    static func folder(_ files: [String: String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("theme-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        return folder
    }

    /// Each email, the model its sender gives it, and what its text and HTML parts must say.
    static var emails: [(name: String, kind: String, model: [String: Any], subject: String, text: [String], html: [String])] { [
        ("signin", "signin", ["code": "123456", "link": "https://news.example/signin/link?token=abc&x=1", "minutes": 15],
         "Your sign-in code for Tribune & <Co>: 123456",
         ["To sign in to Tribune & <Co>, open this link:\n\nhttps://news.example/signin/link?token=abc&x=1\n\nor enter this code on the sign-in page: 123456",
          "The link and the code work once, for 15 minutes."],
         ["href=\"https://news.example/signin/link?token=abc&amp;x=1\"", "<strong>123456</strong>", "Tribune &amp; &lt;Co&gt;"]),
        ("address-confirm", "email-change", ["name": "Ana <b>", "link": "https://news.example/account/email/confirm?token=t", "hours": 24],
         "Confirm your new email address for Tribune & <Co>",
         ["Hello Ana <b>,\n\nTo use this address for your Tribune & <Co> account, open:\n\nhttps://news.example/account/email/confirm?token=t\n\nThe link works once, for 24 hours."],
         ["Hello Ana &lt;b&gt;,", "href=\"https://news.example/account/email/confirm?token=t\""]),
        ("address-changed", "notice", ["name": "Ana", "newEmail": "new@example.com"],
         "Your Tribune & <Co> email address was changed",
         ["The email address of your Tribune & <Co> account is now new@example.com. If you did not do this, reply to this email."],
         ["<strong>new@example.com</strong>"]),
        ("comment-rejected", "comment-rejected",
         ["name": "Ana", "excerpt": "You <script>alert(1)</script> fool", "reason": "Personal insult", "link": "https://news.example/comments/7/rate"],
         "Your comment was not published",
         ["A moderator did not publish your comment:\n\n\"You <script>alert(1)</script> fool\"\n\nReason: Personal insult\n\nYou can edit it and submit it again here: https://news.example/comments/7/rate"],
         ["You &lt;script&gt;alert(1)&lt;/script&gt; fool", "Reason: Personal insult", "href=\"https://news.example/comments/7/rate\""]),
        ("comment-sanction", "comment-sanction", ["name": "Ana", "until": "8 Dec 2026, 09:00 UTC"],
         "About your comments on Tribune & <Co>",
         ["A moderator rejected one of your comments as uncivil. You may comment again after 8 Dec 2026, 09:00 UTC.\n\nOur community guidelines"],
         ["You may comment again after 8 Dec 2026, 09:00 UTC."]),
        ("comment-sanction", "comment-sanction", ["name": "Ana"],
         "About your comments on Tribune & <Co>",
         ["A moderator rejected one of your comments as uncivil. You may no longer comment on this site."],
         ["You may no longer comment on this site."]),
    ] }

    @Test func everyEmailRendersItsTextAndHTMLFromTheTheme() throws {
        let pages = try Self.renderer()
        for email in Self.emails {
            let mail = try pages.email(email.name, kind: email.kind, to: "ana@example.com", email.model)
            #expect(mail.kind == email.kind && mail.to == "ana@example.com")
            #expect(mail.subject == email.subject, "\(email.name)")
            #expect(mail.text.hasPrefix("Hello"), "\(email.name): \(mail.text)")
            #expect(!mail.text.hasSuffix("\n") && !mail.text.contains("&amp;") && !mail.text.contains("&lt;"), "\(email.name)")
            for part in email.text { #expect(mail.text.contains(part), "\(email.name) text: \(mail.text)") }
            let html = try #require(mail.html)
            #expect(html.hasPrefix("<!DOCTYPE html>"), "\(email.name)")
            #expect(html.contains("Sent by <a href=\"https://news.example/\""), "\(email.name)")
            for part in email.html { #expect(html.contains(part), "\(email.name) html: \(html)") }
            #expect(!html.contains("<script>") && !html.contains("Ana <b>") && !html.contains("Tribune & <Co>"), "\(email.name)")
        }
    }

    @Test func aThemeFolderOverridesAnEmailByFileName() throws {
        let folder = try Self.folder([
            "email-signin.txt.mustache": "Subject: {{site.name}} code {{code}}\n\nYour code: {{code}} & no more.\n",
            "email-signin.html.mustache": "<p>Code <b>{{code}}</b> for {{site.name}}</p>\n",
        ])
        let pages = try Self.renderer(overrides: folder)
        let mail = try pages.email("signin", kind: "signin", to: "a@example.com", ["code": "654321", "link": "x"])
        #expect(mail.subject == "Tribune & <Co> code 654321")
        #expect(mail.text == "Your code: 654321 & no more.")
        #expect(mail.html == "<p>Code <b>654321</b> for Tribune &amp; &lt;Co&gt;</p>\n")
        // The others keep the default wording.
        let other = try pages.email("address-changed", kind: "notice", to: "a@example.com", ["name": "A", "newEmail": "b@example.com"])
        #expect(other.subject == "Your Tribune & <Co> email address was changed")
        // Only the layout overridden: every default HTML email takes it.
        let layout = try Self.folder(["email-layout.mustache": "<main class=\"brand\">{{$content}}{{/content}}</main>\n"])
        let branded = try Self.renderer(overrides: layout).email("address-changed", kind: "notice", to: "a@example.com", ["name": "A", "newEmail": "b@example.com"])
        #expect(branded.html?.hasPrefix("<main class=\"brand\">") == true)
        #expect(branded.html?.contains("<strong>b@example.com</strong>") == true)
    }

    /// The running site sends the publisher's wording when `QUORUM_THEME_DIR` holds an email's templates.
    @Test(arguments: TestDatabases.kinds)
    func theSiteSendsTheOverriddenEmail(kind: DatabaseKind) async throws {
        let folder = try Self.folder([
            "email-signin.txt.mustache": "Subject: Sign in to {{site.name}}\n\nCode {{code}}, link {{link}}, {{minutes}} minutes.\n",
            "email-signin.html.mustache": "<p>Code <strong>{{code}}</strong></p>\n",
        ])
        try await LiveServer.withBrowser(kind, adjust: { $0.themeDirectory = folder; $0.siteName = "Tribune" }) { browser, mail, _ in
            try await browser.get("/signin")
            #expect(try await browser.post("/signin", ["email": "ana@example.com"]).status == .seeOther)
            let message = try await mail.latest(to: "ana@example.com", kind: "signin")
            #expect(message.subject == "Sign in to Tribune")
            let code = try #require(Browser.firstMatch(#"Code (\d{6}), link http://localhost/signin/link\?token=[A-Za-z0-9_-]+, 15 minutes\."#, in: message.text))
            #expect(message.html == "<p>Code <strong>\(code)</strong></p>\n")
        }
    }

    @Test func aBrokenEmailOverrideStopsTheThemeFromLoading() throws {
        let noSubject = try Self.folder(["email-signin.txt.mustache": "Your code: {{code}}\n"])
        #expect(throws: ConfigurationError.self) { try Theme.load(overrides: noSubject) }
        let alone = try Self.folder(["email-welcome.txt.mustache": "Subject: Welcome\n\nHello\n"])
        #expect(throws: ConfigurationError.self) { try Theme.load(overrides: alone) }
        let htmlAlone = try Self.folder(["email-welcome.html.mustache": "<p>Hello</p>\n"])
        #expect(throws: ConfigurationError.self) { try Theme.load(overrides: htmlAlone) }
        // A missing email is the theme's error, named.
        #expect(throws: Theme.Failure.self) { try Self.renderer().email("nothing", kind: "x", to: "a@example.com", [:]) }
    }

    @Test func theSubjectLineIsSplitOffAndTrimmed() throws {
        let (subject, body) = try PageRenderer.splitSubject("Subject:  Hi there \r\n\r\nLine one\nLine two\n\n", template: "t")
        #expect(subject == "Hi there")
        #expect(body == "Line one\nLine two")
        #expect(throws: EmailTemplate.Failure.self) { try PageRenderer.splitSubject("Hi\n\nBody", template: "t") }
    }

    @Test func aMultipartMessageCarriesBothRenderedParts() throws {
        let mail = try Self.renderer().email("signin", kind: "signin", to: "a@example.com", ["code": "123456", "link": "https://news.example/l?t=1", "minutes": 15])
        let message = MailMessage(from: "news@news.example", to: MailAddress(mail.to), subject: mail.subject, textBody: mail.text, htmlBody: mail.html)
        let rendered = message.render(messageID: "m@news.example")
        #expect(rendered.contains("Content-Type: multipart/alternative;"))
        #expect(rendered.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(rendered.contains("Content-Type: text/html; charset=utf-8"))
        #expect(rendered.contains("Subject: Your sign-in code for Tribune & <Co>: 123456"))
    }
}
