import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Accounts: sign-in, sessions, CSRF")
struct AccountTests {
    @Test(arguments: TestDatabases.kinds)
    func signInWithTheEmailedCodeCreatesTheAccount(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let page = try await browser.get("/signin?next=/account")
            #expect(page.status == .ok)
            #expect(browser.cookie(SiteCookies.anonymousCSRF) != nil)
            let requested = try await browser.post("/signin", ["email": "  New.Reader@Example.com ", "next": "/account"])
            #expect(requested.status == .seeOther)
            let location = try #require(requested.headers[.location])
            #expect(location.hasPrefix("/signin/code?request="))

            let message = try await mail.latest(to: "new.reader@example.com", kind: "signin")
            let code = try #require(message.signInCode)
            #expect(message.subject.contains(code))
            #expect(message.link?.hasPrefix("http://localhost/signin/link?token=") == true)

            try await browser.get(location)
            let done = try await browser.post("/signin/code", ["request": String(location.split(separator: "=").last!), "code": code])
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/account")
            let setCookie = try #require(done.headers[values: .setCookie].first { $0.hasPrefix("quorum_session=") })
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            #expect(setCookie.contains("Path=/"))
            #expect(!setCookie.contains("Secure"), "the site is served over http here")

            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.text.contains("new.reader@example.com"))
            let user = try #require(try await test.database.read { db in try await UserRows.find(where: "email", equals: "new.reader@example.com", on: db) })
            #expect(user.roles == [.reader])
            // The code is used up.
            let again = try await browser.post("/signin/code", ["request": String(location.split(separator: "=").last!), "code": code])
            #expect(again.status == .gone)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theEmailedLinkWorksOnceAndForgedOrExpiredLinksDoNot(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            try await browser.get("/signin")
            try await browser.post("/signin", ["email": "linker@example.com"])
            let message = try await mail.latest(to: "linker@example.com")
            let path = try #require(message.linkPath)
            let page = try await browser.get(path)
            #expect(page.status == .ok)
            #expect(page.text.contains("<form method=\"post\" action=\"/signin/link\""), "opening the link alone must not sign in")
            let token = try #require(Browser.firstMatch(#"token=([A-Za-z0-9_-]+)"#, in: path))
            let signedIn = try await browser.post("/signin/link", ["token": token])
            #expect(signedIn.status == .seeOther)
            #expect(browser.cookie(SiteCookies.session) != nil)

            try await browser.get(path)
            let reused = try await browser.post("/signin/link", ["token": token])
            #expect(reused.status == .gone)
            #expect(reused.text.contains("not valid any more"))
            let forged = try await browser.post("/signin/link", ["token": "A" + token.dropFirst()])
            #expect(forged.status == .gone)

            try await browser.get("/account")
            try await browser.post("/signin", ["email": "linker@example.com"])
            let second = try await mail.latest(to: "linker@example.com", after: 1)
            let secondToken = try #require(second.linkPath.flatMap { Browser.firstMatch(#"token=([A-Za-z0-9_-]+)"#, in: $0) })
            try await test.database.read { db in
                try await db.update("sign_in_requests").set("expires_at", to: Timestamp.now.milliseconds - 1).run()
            }
            let expired = try await browser.post("/signin/link", ["token": secondToken])
            #expect(expired.status == .gone)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func guessingTheCodeStopsAfterFiveAttempts(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, _ in
            try await browser.get("/signin")
            let requested = try await browser.post("/signin", ["email": "target@example.com"])
            let id = try #require(requested.headers[.location].flatMap { Browser.firstMatch(#"request=(.+)"#, in: $0) })
            let real = try #require(try await mail.latest(to: "target@example.com").signInCode)
            let wrong = real == "000000" ? "111111" : "000000"
            for attempt in 1...5 {
                let response = try await browser.post("/signin/code", ["request": id, "code": wrong])
                #expect(response.status == (attempt < 5 ? .badRequest : .gone), "attempt \(attempt)")
            }
            let withRealCode = try await browser.post("/signin/code", ["request": id, "code": real])
            #expect(withRealCode.status == .gone, "the right code after five wrong ones must not work")
            #expect(browser.cookie(SiteCookies.session) == nil)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func signInGivesANewSessionIdEveryTime(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            try await LiveServer.signIn(browser, mail, email: "twice@example.com")
            let first = try #require(browser.cookie(SiteCookies.session))
            try await LiveServer.signIn(browser, mail, email: "twice@example.com")
            let second = try #require(browser.cookie(SiteCookies.session))
            #expect(first != second)
            #expect(try await SessionStore(database: test.database).resolve(first) == nil, "the earlier session ends")
            #expect(try await SessionStore(database: test.database).resolve(second) != nil)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func missingForeignOrCrossSiteCSRFIsRefused(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, _ in
            try await browser.get("/signin")
            #expect(try await browser.post("/signin", ["email": "x@example.com"], csrf: .some(nil)).status == .forbidden)
            #expect(try await browser.post("/signin", ["email": "x@example.com"], csrf: "forged-token").status == .forbidden)
            let crossSite = try await browser.post("/signin", ["email": "x@example.com"], headers: [.origin: "https://evil.example"])
            #expect(crossSite.status == .forbidden)
            #expect(crossSite.text.contains("other sites"))
            let crossReferer = try await browser.post("/signin", ["email": "x@example.com"], headers: [.origin: "http://localhost.evil.example"])
            #expect(crossReferer.status == .forbidden)

            try await LiveServer.signIn(browser, mail, email: "csrf@example.com")
            try await browser.get("/account")
            let anonymousToken = browser.cookie(SiteCookies.anonymousCSRF)
            #expect(try await browser.post("/account/name", ["name": "No token"], csrf: .some(nil)).status == .forbidden)
            // A signed-in reader's forms need the session's token; the anonymous cookie's token is foreign now.
            if let anonymousToken {
                #expect(try await browser.post("/account/name", ["name": "Old token"], csrf: anonymousToken).status == .forbidden)
            }
            #expect(try await browser.post("/account/name", ["name": "Right token"]).status == .seeOther)
            // The JSON API takes the token in a header.
            let json = try await browser.send("/api/v1/signout", method: .post, headers: [.origin: "http://localhost"], body: nil)
            #expect(json.status == .forbidden)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func signOutEverywhereEndsEverySession(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { laptop, mail, _ in
            let phone = Browser(laptop.client)
            try await LiveServer.signIn(laptop, mail, email: "many@example.com")
            try await LiveServer.signIn(phone, mail, email: "many@example.com")
            let page = try await laptop.get("/account")
            #expect(page.text.components(separatedBy: "<tr><td>").count - 1 == 2, "both sessions are listed")
            #expect(page.text.contains("(this device)"))
            #expect(try await laptop.post("/account/sessions/signout-everywhere").status == .seeOther)
            #expect(try await phone.get("/account").headers[.location] == "/signin?next=/account")
            #expect(try await laptop.get("/account").headers[.location] == "/signin?next=/account")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func changingEmailNeedsTheNewAddressToConfirm(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            try await LiveServer.signIn(browser, mail, email: "old@example.com")
            try await browser.get("/account")
            let asked = try await browser.post("/account/email", ["email": "New@Example.com"])
            #expect(asked.status == .ok)
            #expect(try await UserStore(database: test.database).find(email: "old@example.com") != nil, "nothing changes before confirmation")
            let confirmation = try await mail.latest(to: "new@example.com", kind: "email-change")
            let path = try #require(confirmation.linkPath)
            let visitor = Browser(browser.client)
            try await visitor.get(path)
            let confirmed = try await visitor.post("/account/email/confirm", ["token": Browser.firstMatch(#"token=([A-Za-z0-9_-]+)"#, in: path) ?? ""])
            #expect(confirmed.status == .ok)
            #expect(try await UserStore(database: test.database).find(email: "new@example.com") != nil)
            #expect(try await UserStore(database: test.database).find(email: "old@example.com") == nil)
            let notice = try await mail.latest(to: "old@example.com", kind: "notice")
            #expect(notice.text.contains("new@example.com"))
            #expect(try await visitor.post("/account/email/confirm", ["token": Browser.firstMatch(#"token=([A-Za-z0-9_-]+)"#, in: path) ?? ""]).status == .gone)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func exportHoldsWhatWeKnowAndDeletionRemovesIt(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            try await LiveServer.signIn(browser, mail, email: "leaving@example.com")
            try await browser.get("/account")
            try await browser.post("/account/name", ["name": "Leaving Reader"])
            let export = try await browser.get("/account/export")
            #expect(export.status == .ok)
            #expect(export.headers[.contentDisposition]?.contains("attachment") == true)
            let data = try export.json()
            let account = try #require(data["account"] as? [String: Any])
            #expect(account["email"] as? String == "leaving@example.com")
            #expect(account["displayName"] as? String == "Leaving Reader")
            #expect((data["sessions"] as? [Any])?.count == 1)
            #expect((data["signIns"] as? [Any])?.count == 1)
            #expect(!export.text.contains("code_hash") && !export.text.contains("csrf"))

            try await browser.get("/account")
            #expect(try await browser.post("/account/delete", ["confirm": "yes"]).status == .badRequest)
            let deleted = try await browser.post("/account/delete", ["confirm": "Delete my account"])
            #expect(deleted.status == .ok)
            #expect(browser.cookie(SiteCookies.session) == nil)
            let rows = try await test.database.read { db in
                try await db.select().columns("email", "display_name", "status").from("users").all()
            }
            #expect(rows.count == 1)
            #expect(try rows[0].decode(column: "display_name", as: String.self) == "Former reader")
            #expect(try rows[0].decode(column: "status", as: String.self) == "deleted")
            #expect(try !rows[0].decode(column: "email", as: String.self).contains("leaving"))
            for table in ["sessions", "sign_in_requests", "user_roles"] {
                let left = try await test.database.read { db in try await db.select().column("*").from(table).all() }
                #expect(left.isEmpty, "\(table) still holds rows")
            }
            let mailLeft = try await test.database.read { db in
                try await db.select().column("id").from("outbox").where("to_address", .equal, "leaving@example.com").all()
            }
            #expect(mailLeft.isEmpty)
            // The address is free again: signing in with it makes a new account.
            try await LiveServer.signIn(browser, mail, email: "leaving@example.com")
            #expect(try await UserStore(database: test.database).find(email: "leaving@example.com")?.displayName == "leaving")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func signInEmailsAreRateLimited(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, _, _ in
            try await browser.get("/signin")
            for _ in 0..<SignInService.perAddress.count {
                #expect(try await browser.post("/signin", ["email": "flood@example.com"]).status == .seeOther)
            }
            let limited = try await browser.post("/signin", ["email": "flood@example.com"])
            #expect(limited.status == .tooManyRequests)
            let retry = try #require(limited.headers[.retryAfter].flatMap(Int.init))
            #expect(retry > 0 && retry <= 900)
            #expect(try await browser.post("/signin", ["email": "someone.else@example.com"]).status == .seeOther)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func signUpModesAndBansAreEnforced(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let settings = SettingsStore(database: test.database)
            try await settings.set("signup_mode", "closed")
            try await browser.get("/signin")
            let closed = try await browser.post("/signin", ["email": "stranger@example.com"])
            #expect(closed.status == .forbidden)
            #expect(closed.text.contains("not accepting new accounts"))
            try await settings.set("signup_mode", "invite")
            #expect(try await browser.post("/signin", ["email": "stranger@example.com"]).status == .forbidden)
            try await test.database.read { db in
                try await db.insert(into: "invitations").columns("email", "created_at").values(SQLBind("stranger@example.com"), SQLBind(0)).run()
            }
            try await LiveServer.signIn(browser, mail, email: "stranger@example.com")
            #expect(browser.cookie(SiteCookies.session) != nil)

            let troll = try await UserStore(database: test.database).create(email: "troll@example.com", displayName: "T", roles: [])
            try await UserModeration.setStatus(userID: troll.id, UserStatus(kind: .banned, reason: "threats"), actor: nil, in: test.database)
            try await browser.get("/account")
            let refused = try await browser.post("/signin", ["email": "troll@example.com"])
            #expect(refused.status == .forbidden)
            #expect(refused.text.contains("banned: threats"))
        }
    }

    @Test func passwordSignInIsOffByDefaultAndWorksWhenEnabled() async throws {
        try await LiveServer.withBrowser(.sqlite) { browser, mail, test in
            try await browser.get("/signin")
            #expect(try await browser.post("/signin/password", ["email": "pw@example.com", "password": "correct horse battery"]).status == .forbidden)
            try await SettingsStore(database: test.database).set("password_signin", "on")
            try await LiveServer.signIn(browser, mail, email: "pw@example.com")
            try await browser.get("/account")
            #expect(try await browser.post("/account/password", ["password": "short"]).status == .badRequest)
            #expect(try await browser.post("/account/password", ["password": "correct horse battery"]).status == .seeOther)
            let stored = try await test.database.read { db in
                try await db.select().column("password_hash").from("users").where("email", .equal, "pw@example.com")
                    .first(decodingColumn: "password_hash", as: String.self)
            }
            #expect(stored?.hasPrefix("$2") == true, "stored as a bcrypt hash")
            let other = Browser(browser.client)
            try await other.get("/signin")
            #expect(try await other.post("/signin/password", ["email": "pw@example.com", "password": "wrong password!"]).status == .unauthorized)
            #expect(try await other.post("/signin/password", ["email": "pw@example.com", "password": "correct horse battery"]).status == .seeOther)
            #expect(other.cookie(SiteCookies.session) != nil)
        }
    }

    @Test func cookiesAreSecureWhenTheSiteIsServedOverHTTPS() async throws {
        try await LiveServer.withBrowser(.sqlite, adjust: { $0.siteURL = "https://localhost" }) { browser, mail, _ in
            let secure = Browser(browser.client, origin: "https://localhost")
            let page = try await secure.get("/signin")
            #expect(page.headers[values: .setCookie].allSatisfy { $0.contains("Secure") })
            try await LiveServer.signIn(secure, mail, email: "tls@example.com")
            let account = try await secure.get("/account")
            #expect(account.status == .ok)
            _ = try await secure.post("/account/name", ["name": "TLS"])
            let again = try await secure.get("/account")
            #expect(again.text.contains("TLS"))
        }
    }

    @Test func redirectsAfterSignInStayOnThisSite() {
        #expect(SiteURL.safeRedirect("/articles/x?y=1") == "/articles/x?y=1")
        for hostile in ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "", "/x\r\nSet-Cookie: a=b"] {
            #expect(SiteURL.safeRedirect(hostile) == "/", "\(hostile)")
        }
    }
}
