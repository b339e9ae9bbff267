import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import Membership
import MembershipEngine
import Payments
@testable import QuorumStore
@testable import QuorumWeb
@testable import Readership

/// A new member's reader-class cookie: a webhook cannot reach the browser, so the welcome page and the account page
/// set "member" as soon as the membership gives access; cached pages (served without the application) then drop
/// the pitch for them at once.
@Suite struct MembershipReaderClassTests {
    @Test(arguments: TestDatabases.kinds)
    func theWelcomeAndAccountPagesSetTheMemberCookieSoCachedArticlesDropThePitch(kind: DatabaseKind) async throws {
        let recorder = StripeAPIRecorder()
        try await LiveServer.withBrowser(kind, payments: [MembershipAccountTests.stripe(recorder)]) { browser, mail, test in
            let store = try await Fixtures.newsroom(test.database)
            _ = try await Fixtures.published(store, Fixtures.input("harbour-vote"))
            _ = try await PromotionStore(database: test.database).save(
                Promotion(kind: .houseAd, name: "Pitch", heading: "PITCH-BLOCK", body: "Join us.", linkText: "Join", linkURL: "/membership",
                          audience: .notMembers), now: .now)
            try await LiveServer.signIn(browser, mail, email: "zanele@example.com", next: "/membership")
            #expect(browser.cookie(SiteCookies.readerClass) == "s")
            func article() async throws -> String { try await browser.get("/article/harbour-vote").text }
            #expect(try await article().contains("PITCH-BLOCK"))
            #expect(try await article().contains("PITCH-BLOCK"), "the signed-in variant, from the cache")

            try await browser.get("/membership")
            #expect(try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"]).status == .seeOther)
            let body = String(decoding: try #require(recorder.sent.withLockedValue { $0.first }).body, as: UTF8.self)
            let id = try #require(Browser.firstMatch(#"client_reference_id=([^&]+)"#, in: body))
            // Before the payment is confirmed: still the signed-in cookie.
            #expect(try await browser.get("/membership/welcome?m=\(id)").text.contains("Confirming your payment"))
            #expect(browser.cookie(SiteCookies.readerClass) == "s")
            #expect(try await MembershipAccountTests.deliver(browser, MembershipWebhookTests.invoicePaid(eventID: "evt_class_paid", membership: id,
                                                                                                         amount: 20000, now: Date())) == "applied")
            // The request that sees the payment began before it was confirmed: its session has no member role yet
            // (taken away here to stand for that moment). The welcome page goes by the membership itself.
            let user = try #require(try await test.database.read { db in try await UserRows.find(where: "email", equals: "zanele@example.com", on: db) })
            try await test.database.transaction { db in
                try await db.raw("DELETE FROM user_roles WHERE user_id = \(bind: user.id) AND role = 'member'").run()
            }
            let welcome = try await browser.get("/membership/welcome?m=\(id)")
            #expect(welcome.text.contains("Welcome, member"))
            #expect(browser.cookie(SiteCookies.readerClass) == "m")
            #expect(!(try await article().contains("PITCH-BLOCK")), "the member variant has no pitch")

            // The account page does the same.
            browser.setCookie(SiteCookies.readerClass, "s")
            #expect(try await article().contains("PITCH-BLOCK"))
            browser.setCookie(SiteCookies.readerClass, "s")
            let account = try await browser.get("/account")
            #expect(account.text.contains("Active"))
            #expect(browser.cookie(SiteCookies.readerClass) == "m")
            #expect(!(try await article().contains("PITCH-BLOCK")))
        }
    }
}

/// The class cookie as the fast path reads it from a `Cookie` header, byte by byte.
@Suite struct ReaderClassCookieTests {
    @Test(arguments: [
        ("", ReaderClass?.some(.anonymous)),
        ("quorum_reader=s", .signedIn),
        ("quorum_reader=m", .member),
        ("a=1; quorum_reader=m; b=2", .member),
        ("\tquorum_reader=s ;x=y", .signedIn),
        ("quorum_reader=s; quorum_session=abc", .signedIn),
        ("quorum_session=abc; quorum_reader=m", .member),
        ("quorum_session=abc", nil),
        ("quorum_session=", .anonymous),
        ("quorum_reader=", nil),
        ("quorum_reader=sm", nil),
        ("quorum_reader=x", nil),
        ("quorum_readers=s; csrf=1", .anonymous),
        ("Quorum_Reader=s", .anonymous),
        ("junk;;; =; novalue", .anonymous),
        ("x=quorum_reader=s", .anonymous),
    ])
    func classFromCookieHeader(header: String, expected: ReaderClass?) {
        #expect(ReaderClass.fromCookieHeader(Substring(header)) == expected, "\(header)")
    }
}
