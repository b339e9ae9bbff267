import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumStore
@testable import QuorumWeb

/// The embed's frame over real HTTP on both databases: its first page makes the thread, framed pages are the
/// site's own thread pages without the masthead, framed only by the allowed sites, linking within the frame;
/// every other page may not be framed at all; sign-in by emailed code works inside the frame with the frame's
/// own (partitioned) cookies.
@Suite struct EmbedFrameTests {
    static let host = "http://127.0.0.1:56101"
    static let page = "http://127.0.0.1:56101/2026/harbour-vote/"

    static func csp(_ response: TestResponse) -> String { response.headers[.contentSecurityPolicy] ?? "" }

    @Test(arguments: TestDatabases.kinds)
    func theFrameShowsTheThreadForAllowedSitesOnly(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let embed = try EmbedCountsTests.service(test)
            try await embed.comments.site.settings.set(EmbedSettings.key, #"{"origins":["\#(Self.host)"],"keepQuery":[]}"#)

            let entry = try await browser.get("/embed?url=" + Self.page.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&title=Harbour%20vote")
            #expect(entry.status == .seeOther)
            let location = try #require(entry.headers[.location])
            #expect(location.hasPrefix("/embed/article/page-") && location.hasSuffix("/comments"))
            #expect(Self.csp(entry).contains("frame-ancestors \(Self.host)") && entry.headers[HTTPField.Name("X-Frame-Options")!] == nil)
            let slug = String(location.dropFirst("/embed/article/".count).dropLast("/comments".count))
            try await EmbedCountsTests.publish(2, on: try #require(try await embed.thread(for: Self.page, title: "").article), test: test)

            let framed = try await browser.get(location)
            #expect(framed.status == .ok)
            #expect(Self.csp(framed).contains("frame-ancestors \(Self.host)"), "\(Self.csp(framed))")
            #expect(!Self.csp(framed).contains("'unsafe-inline'"))
            #expect(framed.headers[HTTPField.Name("X-Frame-Options")!] == nil)
            #expect(framed.headers[.cacheControl]?.contains("no-store") == true)
            #expect(framed.text.contains("embed-frame.js") && framed.text.contains("data-quorum-origins=\"\(Self.host)\""))
            #expect(!framed.text.contains("class=\"masthead\""), "no masthead in the frame")
            #expect(framed.text.contains("href=\"/embed/article/\(slug)/comments/new\""), "writing stays in the frame")
            #expect(framed.text.contains("Comment 0") && framed.text.contains("Comment 1"))

            // The site's own copy of the same page is not framed and not changed by the frame's visit.
            let own = try await browser.get("/article/\(slug)/comments")
            #expect(own.status == .ok && own.text.contains("class=\"masthead\"") && !own.text.contains("embed-frame.js"))
            #expect(Self.csp(own).contains("frame-ancestors 'none'") && own.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            let again = try await browser.get(location)
            #expect(!again.text.contains("class=\"masthead\""), "the cached site page is not served in the frame")

            // Only the thread's pages work in the frame; the account page does not.
            #expect(try await browser.get("/embed/account").status == .notFound)
            #expect(try await browser.get("/embed/admin/embedding").status == .notFound)

            // A page on a site that is not allowed gets nothing, and nothing may frame the refusal.
            let refused = try await browser.get("/embed?url=" + "https://evil.example/x".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(refused.status == .forbidden && refused.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(try await browser.get("/embed").status == .badRequest)

            // Sign in by emailed code inside the frame: every step stays in it, cookies are the frame's (CHIPS).
            _ = try await UserStore(database: test.database).create(email: "reader@example.com", displayName: "Reader", roles: [])
            let write = try await browser.get("/embed/article/\(slug)/comments/new")
            #expect(write.status == .seeOther && write.headers[.location]?.hasPrefix("/embed/signin?next=/article/\(slug)/comments/new") == true,
                    "\(write.headers[.location] ?? "")")
            let form = try await browser.get(write.headers[.location]!)
            #expect(form.status == .ok && form.text.contains("action=\"/embed/signin\""))
            for cookie in form.headers[values: .setCookie] {
                #expect(cookie.contains("SameSite=None") && cookie.contains("Secure") && cookie.contains("Partitioned"), "\(cookie)")
            }
            let asked = try await browser.post("/embed/signin", ["email": "reader@example.com", "next": "/article/\(slug)/comments/new"])
            #expect(asked.status == .seeOther && asked.headers[.location]?.hasPrefix("/embed/signin/code") == true, "\(asked.headers[.location] ?? asked.text)")
            let message = try await mail.latest(to: "reader@example.com", kind: "signin")
            let codePage = try await browser.get(asked.headers[.location]!)
            #expect(codePage.text.contains("action=\"/embed/signin/code\""))
            let request = Browser.firstMatch(#"request=([^&]+)"#, in: asked.headers[.location]!) ?? ""
            let redeemed = try await browser.post("/embed/signin/code", ["request": request, "code": message.signInCode ?? ""])
            #expect(redeemed.status == .seeOther && redeemed.headers[.location] == "/embed/article/\(slug)/comments/new", "\(redeemed.headers[.location] ?? redeemed.text)")
            let session = try #require(redeemed.headers[values: .setCookie].first { $0.hasPrefix("quorum_session=") })
            #expect(session.contains("SameSite=None") && session.contains("Secure") && session.contains("Partitioned") && session.contains("HttpOnly"))
            let writePage = try await browser.get("/embed/article/\(slug)/comments/new")
            #expect(writePage.status == .ok && writePage.text.contains("action=\"/embed/article/\(slug)/comments\""))

            // Write → review three → rate your own, every step inside the frame.
            try await CommentRouteTests.seedPending(3, on: test, article: try #require(try await ArticleStore(database: test.database).article(slug: slug)))
            let written = try await browser.post("/embed/article/\(slug)/comments", ["body": "Moving the ferry stop helps nobody."])
            let reviewPath = try #require(written.headers[.location])
            #expect(reviewPath.hasPrefix("/embed/comments/") && reviewPath.hasSuffix("/review"), "\(reviewPath)")
            for step in 1...3 {
                let page = try await browser.get(reviewPath)
                #expect(page.text.contains("Review comment \(step) of 3") && page.text.contains("action=\"/embed/comments/"))
                let task = try #require(Browser.firstMatch(#"name="task" value="(\d+)""#, in: page.text))
                #expect(try await browser.post(reviewPath, ["task": task, "quality": "good", "civil": "civil"]).status == .seeOther)
            }
            let ratePath = try #require(try await browser.get(reviewPath).headers[.location])
            #expect(ratePath.hasPrefix("/embed/comments/") && ratePath.hasSuffix("/rate"))
            #expect(try await browser.get(ratePath).text.contains("Moving the ferry stop helps nobody."))
            let submitted = try await browser.post(ratePath, ["civil": "civil", "body": "Moving the ferry stop helps nobody."])
            let statusPath = try #require(submitted.headers[.location])
            #expect(statusPath.hasPrefix("/embed/comments/"))
            let status = try await browser.get(statusPath)
            #expect(status.text.contains("Waiting for review") && !status.text.contains("class=\"masthead\""))
        }
    }

    @Test func linksAreRewrittenForTheFrame() {
        let html = #"<a class="b" href="/article/x/comments/new">Write</a> <a href="/account">Account</a> <form method="post" action="/comments/5/rate"><link rel="stylesheet" href="/assets/site.css"><a href="https://elsewhere.example/">x</a><a href="//cdn.example/x">y</a><div data-live="/comments/live?articles=x"></div><a href="/embed/article/x/comments">z</a>"#
        let out = EmbedFrame.rewrite(html: html)
        #expect(out.contains(#"href="/embed/article/x/comments/new""#))
        #expect(out.contains(#"<a target="_blank" rel="noopener" href="/account">"#))
        #expect(out.contains(#"action="/embed/comments/5/rate""#))
        #expect(out.contains(#"<link rel="stylesheet" href="/assets/site.css">"#))
        #expect(out.contains(#"<a href="https://elsewhere.example/">"#) && out.contains(#"<a href="//cdn.example/x">"#))
        #expect(out.contains(#"data-live="/embed/comments/live?articles=x""#))
        #expect(out.contains(#"href="/embed/article/x/comments">z"#), "already framed links are kept")
        #expect(EmbedFrame.rewrite(html: #"<a href="/article/harbour">← Harbour</a>"#) == #"<a href="/embed/article/harbour/comments">← Harbour</a>"#,
                "the article is elsewhere: back to the frame's thread")
        #expect(EmbedFrame.rewrite(location: "/signin?next=/article/x/comments/new") == "/embed/signin?next=/article/x/comments/new")
        #expect(EmbedFrame.rewrite(location: "/account") == "/account")
        #expect(EmbedFrame.rewrite(setCookie: "quorum_session=abc; Max-Age=10; Path=/; HttpOnly; SameSite=Lax", secureContext: true)
                == "quorum_session=abc; Max-Age=10; Path=/; HttpOnly; SameSite=None; Secure; Partitioned")
        #expect(EmbedFrame.rewrite(setCookie: "a=b; SameSite=Lax", secureContext: false) == "a=b; SameSite=Lax")
    }
}
