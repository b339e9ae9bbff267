import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing
@testable import Membership
import MembershipEngine
import Payments
@testable import QuorumApp
@testable import QuorumStore
@testable import QuorumWeb

/// Sends the demo provider's webhooks to the running test server over loopback HTTP, as `quorum demo` does (the
/// server's port is known once it runs).
final class LoopbackTransport: HTTPTransport, @unchecked Sendable {
    let port = NIOLockedValueBox<Int?>(nil)
    let delivered = NIOLockedValueBox<[String]>([])

    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        guard let port = port.withLockedValue({ $0 }) else { throw PaymentError.transport("no server yet") }
        var request = request
        let path = URLComponents(string: request.url).map { $0.percentEncodedPath } ?? request.url
        request.url = "http://127.0.0.1:\(port)\(path)"
        let r = try await AsyncHTTPTransport().send(request)
        delivered.withLockedValue { $0.append(String(decoding: r.body, as: UTF8.self)) }
        return r
    }
}

@Suite struct DemoPaymentsTests {
    /// The demo's test provider: Stripe's client against an in-process Stripe, its checkout and card pages on the
    /// site, and signed Stripe webhooks back in. A reader joins, a renewal fails, the card is fixed.
    @Test func theDemoProviderTakesAReaderThroughTheWholeFlowOffline() async throws {
        let transport = LoopbackTransport()
        let demo = DemoPayments(siteBase: "http://localhost", webhookURL: "http://localhost/webhooks/stripe", sender: transport)
        try await LiveServer.withBrowser(.sqlite, payments: demo.providers, configureRouter: { demo.addRoutes(to: $0) }) { browser, mail, test in
            transport.port.withLockedValue { $0 = browser.client.port }
            try await LiveServer.signIn(browser, mail, email: "demo.reader@example.com", next: "/membership")
            try await browser.get("/membership")
            let go = try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"])
            let checkout = try #require(go.headers[.location])
            #expect(checkout.hasPrefix("http://localhost/demo-payments/pay/cs_demo_"))
            let path = try #require(URLComponents(string: checkout)?.path)
            let page = try await browser.get(path)
            #expect(page.status == .ok && page.text.contains("A membership of R200 a month."))
            #expect(!page.text.contains("<script") && !page.text.contains("style=\""))

            let paid = try await browser.post(path, ["outcome": "pay"])
            #expect(paid.status == .seeOther)
            let welcome = try #require(paid.headers[.location])
            #expect(welcome.hasPrefix("http://localhost/membership/welcome?m=mem_"))
            // Checkout, subscription, invoice: each verified (the checkout's links were already known from its reference).
            #expect(transport.delivered.withLockedValue { $0 }.allSatisfy { $0 == "applied" || $0 == "no change" })
            #expect(transport.delivered.withLockedValue { $0 }.count == 3)
            let back = try await browser.get(try #require(URLComponents(string: welcome)).percentEncodedPath + "?" + (URLComponents(string: welcome)?.percentEncodedQuery ?? ""))
            #expect(back.text.contains("Welcome, member"))
            // Paying twice on the same page does not pay twice.
            _ = try await browser.post(path, ["outcome": "pay"])
            #expect(transport.delivered.withLockedValue { $0.count } == 3)

            // The card page: a renewal fails (on hold), then the card is fixed (active).
            let fix = try await browser.get("/membership/fix")
            let portal = try #require(fix.headers[.location].flatMap { URLComponents(string: $0)?.path })
            #expect(portal.hasPrefix("/demo-payments/portal/cus_demo_"))
            try await browser.get(portal)
            #expect(try await browser.post(portal, ["outcome": "fail"]).status == .seeOther)
            #expect(try await browser.get("/account").text.contains("On hold"))
            try await browser.get(portal)
            #expect(try await browser.post(portal, ["outcome": "fix"]).headers[.location] == "http://localhost/account")
            let account = try await browser.get("/account")
            #expect(account.text.contains("Active") && Browser.firstMatch(#"roles: ([a-z, ]+)"#, in: account.text)?.contains("member") == true)

            // A member's change goes through the same in-process Stripe, which confirms it by webhook.
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: account.text))
            let id = try #require(Browser.firstMatch(#"name="m" value="([^"]+)""#, in: account.text))
            #expect(try await browser.post("/membership/amount", ["m": id, "nonce": nonce, "interval": "month", "amount": "300"]).status == .seeOther)
            // (Right after checkout the demo's event times run a second or two ahead of the site's clock, so the
            // member's request may be older than the subscription Stripe reported: its confirmation settles it.)
            var shown = false
            for _ in 0..<50 where !shown {
                shown = try await browser.get("/account").text.contains("R300 a month")
                if !shown { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(shown)
            let service = MembershipService(database: test.database, providers: [], logger: TestDatabases.logger)
            #expect(try await service.replay().memberships[id] == (try await service.membership(id)))
        }
    }
}
