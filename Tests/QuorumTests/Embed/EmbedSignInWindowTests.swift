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

/// The sign-in window the embed's frame opens on the site itself, over real HTTP on both databases: signed out it
/// goes through the site's sign-in and back; signed in it makes a one-time ticket for the frame's nonce; the frame
/// redeems it once for its own (partitioned) session; a used, expired or other frame's ticket is refused in the frame.
@Suite struct EmbedSignInWindowTests {
    static let host = "http://127.0.0.1:56102"
    static let page = "http://127.0.0.1:56102/2026/ferry/"
    static let nonce = "n0nce-of-the-frame-0123456789"

    @Test(arguments: TestDatabases.kinds)
    func theWindowHandsTheFrameAOneTimeTicketForItsNonce(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let embed = try EmbedCountsTests.service(test)
            try await embed.comments.site.settings.set(EmbedSettings.key, #"{"origins":["\#(Self.host)"],"keepQuery":[]}"#)
            let slug = try await embed.thread(for: Self.page, title: "Ferry").article.slug
            let thread = "/article/\(slug)/comments"

            // The frame's sign-in page offers the window (a plain link to a page on the site, in a new tab).
            let framed = try await browser.get("/embed/signin?next=" + thread)
            #expect(framed.status == .ok)
            #expect(framed.text.contains(#"<a target="_blank" rel="noopener" href="/frame-signin" data-quorum-popup>"#), "\(framed.text)")
            #expect(framed.text.contains("data-quorum-storage-access hidden"))
            // The site's own sign-in page does not.
            #expect(!(try await browser.get("/signin")).text.contains("data-quorum-popup"))

            // Signed out, the window is the site's sign-in, coming back with the nonce.
            let window = "/frame-signin?next=" + thread.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&nonce=" + Self.nonce
            let out = try await browser.get(window)
            #expect(out.status == .seeOther)
            let signIn = try #require(out.headers[.location])
            #expect(signIn.hasPrefix("/signin?next="), "\(signIn)")
            let back = try #require(URLComponents(string: signIn)?.queryItems?.first { $0.name == "next" }?.value)
            #expect(back == "/frame-signin?next=" + thread.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&nonce=\(Self.nonce)", "\(back)")
            #expect(try await browser.get("/frame-signin?nonce=short").status == .badRequest)
            #expect(try await browser.get("/frame-signin?nonce=" + String(repeating: "x", count: 20) + "%3Cscript%3E").status == .badRequest)

            // Signed in (top level), the window's page carries the ticket; nothing may frame it.
            try await LiveServer.signIn(browser, mail, email: "window@example.com")
            let signedIn = try await browser.get(back)
            #expect(signedIn.status == .ok)
            #expect(signedIn.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(signedIn.headers[.cacheControl]?.contains("no-store") == true)
            #expect(signedIn.text.contains("embed-frame.js"))
            let ticket = try #require(Browser.firstMatch(#"data-quorum-ticket="([^"]+)""#, in: signedIn.text))
            let stored = try await test.database.read { db in
                try await db.raw("SELECT ticket_hash, next_path FROM embed_sign_in_tickets").all()
            }
            #expect(stored.count == 1)
            #expect(try stored[0].decode(column: "ticket_hash", as: String.self) != ticket, "only the hash is stored")
            #expect(try stored[0].decode(column: "next_path", as: String.self) == thread)
            // Opened as a plain link (no nonce): signed in, no ticket.
            let plain = try await browser.get("/frame-signin")
            #expect(plain.status == .ok && !plain.text.contains("data-quorum-ticket"))

            // Another frame's nonce: refused, shown in the frame. (A framed page with a form gives the form token.)
            #expect(try await browser.get("/embed" + thread + "/new").status == .ok)
            let wrong = try await browser.post("/embed/signin/ticket", ["ticket": ticket, "nonce": "another-frame-nonce-000000"])
            #expect(wrong.status == .badRequest)
            #expect(wrong.text.contains("expired or was already used"))
            #expect(wrong.headers[HTTPField.Name("X-Frame-Options")!] == nil)
            #expect(wrong.headers[.contentSecurityPolicy]?.contains("frame-ancestors \(Self.host)") == true)
            // Without the form's token: refused.
            #expect(try await browser.post("/embed/signin/ticket", ["ticket": ticket, "nonce": Self.nonce], csrf: .some(nil)).status == .forbidden)

            // The frame's own nonce: a session for the frame (partitioned), and on to the thread in the frame.
            let redeemed = try await browser.post("/embed/signin/ticket", ["ticket": ticket, "nonce": Self.nonce])
            #expect(redeemed.status == .seeOther)
            #expect(redeemed.headers[.location] == "/embed" + thread)
            let session = try #require(redeemed.headers[values: .setCookie].first { $0.hasPrefix("quorum_session=") })
            #expect(session.contains("SameSite=None") && session.contains("Secure") && session.contains("Partitioned") && session.contains("HttpOnly"))
            let user = try #require(try await test.database.read { db in try await UserRows.find(where: "email", equals: "window@example.com", on: db) })
            let sessions = try await test.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM sessions WHERE user_id = \(bind: user.id)").first(decodingColumn: "n", as: Int.self)
            }
            #expect(sessions == 2, "the window's session and the frame's")
            #expect(try await browser.get("/embed" + thread + "/new").status == .ok, "the frame is signed in")

            // Used once: a replay is refused.
            #expect(try await browser.post("/embed/signin/ticket", ["ticket": ticket, "nonce": Self.nonce]).status == .badRequest)
            // Expired: refused.
            let old = try await embed.issueTicket(userID: user.id, nonce: Self.nonce, next: thread,
                                                  now: Timestamp(Date().addingTimeInterval(-EmbedService.ticketLifetime - 1)))
            #expect(try await browser.post("/embed/signin/ticket", ["ticket": old, "nonce": Self.nonce]).status == .badRequest)
            #expect(try await browser.post("/embed/signin/ticket", ["ticket": "", "nonce": ""]).status == .badRequest)
        }
    }
}
