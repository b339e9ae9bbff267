import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import SQLKit
import Testing
@testable import Membership
import MembershipEngine
import Payments
@testable import QuorumStore
@testable import QuorumWeb

/// Stripe's API as far as members' changes need it, in-process: checkout sessions, the customer portal, reading
/// and updating a subscription. Keeps every request; `refuse` makes the next answers fail as Stripe would.
final class StripeAPIRecorder: HTTPTransport, @unchecked Sendable {
    let sent = NIOLockedValueBox<[OutgoingRequest]>([])
    let refuse = NIOLockedValueBox<Int?>(nil)

    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        sent.withLockedValue { $0.append(request) }
        if let status = refuse.withLockedValue({ $0 }) {
            return IncomingResponse(status: status, body: Array(#"{"error":{"message":"refused by the test"}}"#.utf8))
        }
        let path = URLComponents(string: request.url)?.path ?? ""
        let body: String
        switch path {
        case "/v1/checkout/sessions": body = #"{"id":"cs_test_1","url":"https://checkout.stripe.test/c/pay/cs_test_1"}"#
        case "/v1/billing_portal/sessions": body = #"{"id":"bps_1","url":"https://billing.stripe.test/p/session/bps_1"}"#
        default:
            body = #"{"id":"sub_1","object":"subscription","status":"active","items":{"data":[{"id":"si_1","price":{"product":"prod_1","unit_amount":20000,"currency":"zar","recurring":{"interval":"month"}}}]}}"#
        }
        return IncomingResponse(status: 200, body: Array(body.utf8))
    }

    /// The form fields of the requests to `path`, in order.
    func forms(_ path: String) -> [[String: String]] {
        sent.withLockedValue { requests in
            requests.filter { $0.url.hasSuffix(path) && $0.method == "POST" }.map { r in
                Dictionary((FormEncoding.decode(r.body) ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            }
        }
    }

    func keys(_ path: String) -> [String] {
        sent.withLockedValue { requests in
            requests.filter { $0.url.hasSuffix(path) && $0.method == "POST" }.compactMap { r in r.headers.first { $0.0 == "Idempotency-Key" }?.1 }
        }
    }
}

@Suite struct MembershipAccountTests {
    static let secret = "whsec_account"

    static func stripe(_ recorder: StripeAPIRecorder) -> StripeClient {
        StripeClient(configuration: StripeConfiguration(apiBase: "https://api.stripe.test", secretKey: "sk_test_account",
                                                        webhookSecrets: [secret], attempts: 1), transport: recorder)
    }

    static func deliver(_ browser: Browser, _ body: [UInt8]) async throws -> String {
        let header = StripeSignature.header(body: body, timestamp: Int64(Date().timeIntervalSince1970), secret: secret)
        let r = try await browser.client.execute(uri: "/webhooks/stripe", method: .post,
                                                 headers: [.contentType: "application/json", HTTPField.Name("Stripe-Signature")!: header],
                                                 body: .init(bytes: body))
        return String(buffer: r.body)
    }

    @Test(arguments: TestDatabases.kinds)
    func aMemberSeesTheirMembershipAndChangesPausesResumesAndCancelsIt(kind: DatabaseKind) async throws {
        let recorder = StripeAPIRecorder()
        try await LiveServer.withBrowser(kind, payments: [Self.stripe(recorder)]) { browser, mail, test in
            try await LiveServer.signIn(browser, mail, email: "ayanda@example.com", next: "/membership")
            let before = try await browser.get("/account")
            #expect(before.text.contains("You are not a member yet"))
            #expect(before.text.contains("No payments yet"))

            try await browser.get("/membership")
            #expect(try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"]).status == .seeOther)
            let body = String(decoding: try #require(recorder.sent.withLockedValue { $0.first }).body, as: UTF8.self)
            let id = try #require(Browser.firstMatch(#"client_reference_id=([^&]+)"#, in: body))
            #expect(try await Self.deliver(browser, MembershipWebhookTests.invoicePaid(eventID: "evt_acc_paid", membership: id, amount: 20000, now: Date())) == "applied")

            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.text.contains(#"id="membership""#))
            #expect(account.text.contains("Active"))
            #expect(account.text.contains("R200 a month"))
            #expect(account.text.contains("Monthly"))
            #expect(account.text.contains("Next charge"))
            #expect(account.text.contains("<td>R200.00</td>"), "the payment is a receipt")
            #expect(account.text.contains(#"action="/membership/pause""#) && account.text.contains(#"action="/membership/cancel""#))
            #expect(!account.text.contains(#"action="/membership/resume""#))
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: account.text))
            func user() async throws -> User {
                try #require(try await test.database.read { db in try await UserRows.find(where: "email", equals: "ayanda@example.com", on: db) })
            }
            #expect(try await user().roles.contains(.member))

            // Bad input changes nothing and says why.
            let low = try await browser.post("/membership/amount", ["m": id, "nonce": nonce, "interval": "month", "amount": "10"])
            #expect(low.status == .unprocessableContent && low.text.contains("The minimum is R75 a month."))
            let long = try await browser.post("/membership/pause", ["m": id, "nonce": nonce, "months": "9"])
            #expect(long.status == .unprocessableContent)
            let noToken = try await browser.post("/membership/cancel", ["m": id, "nonce": nonce], csrf: .some(nil))
            #expect(noToken.status == .forbidden)
            #expect(try await browser.post("/membership/resume", ["m": id, "nonce": nonce]).status == .conflict, "not paused")
            #expect(recorder.forms("/v1/subscriptions/sub_1").isEmpty, "nothing reached Stripe")

            // Change the amount: through Stripe's subscription API, from the next period.
            let changed = try await browser.post("/membership/amount", ["m": id, "nonce": nonce, "interval": "month", "amount": "250"])
            #expect(changed.status == .seeOther, "\(changed.text)")
            let update = try #require(recorder.forms("/v1/subscriptions/sub_1").last)
            #expect(update["items[0][id]"] == "si_1" && update["items[0][price_data][unit_amount]"] == "25000")
            #expect(update["proration_behavior"] == "none")
            #expect(recorder.keys("/v1/subscriptions/sub_1").last == "member:amount:\(id):\(nonce)")
            #expect(try await browser.get("/account").text.contains("R250 a month"))
            #expect(try #require(try await test.database.read { db in
                try await db.select().column("amount_minor").from("memberships").where("id", .equal, SQLBind(id)).first(decodingColumn: "amount_minor", as: Int64.self)
            }) == 25000)

            // The same form submitted twice (the same nonce) is one change at Stripe and in the ledger.
            let again = try await browser.post("/membership/amount", ["m": id, "nonce": nonce, "interval": "month", "amount": "250"])
            #expect(again.status == .unprocessableContent, "already what they pay")

            // Pause for two months: paused, no member role; Stripe voids invoices until then.
            let pauseNonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: try await browser.get("/account").text))
            #expect(try await browser.post("/membership/pause", ["m": id, "nonce": pauseNonce, "months": "2"]).status == .seeOther)
            let pause = try #require(recorder.forms("/v1/subscriptions/sub_1").last)
            #expect(pause["pause_collection[behavior]"] == "void")
            let resumesAt = try #require(pause["pause_collection[resumes_at]"].flatMap { TimeInterval($0) })
            #expect(abs(resumesAt - CivilDate.adding(months: 2, to: Date()).timeIntervalSince1970) < 120)
            let paused = try await browser.get("/account")
            #expect(paused.text.contains("Paused") && paused.text.contains(#"action="/membership/resume""#))
            #expect(!(try await user().roles.contains(.member)))

            // Resume: active again, the role back.
            let resumeNonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: paused.text))
            #expect(try await browser.post("/membership/resume", ["m": id, "nonce": resumeNonce]).status == .seeOther)
            #expect(recorder.forms("/v1/subscriptions/sub_1").last?["pause_collection"] == "")
            #expect(try await browser.get("/account").text.contains("Active"))
            #expect(try await user().roles.contains(.member))

            // Stripe refuses a change: the member is told, nothing is recorded.
            recorder.refuse.withLockedValue { $0 = 500 }
            let ledgerBefore = try await test.database.read { db in
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("membership_ledger").first(decodingColumn: "n", as: Int.self)
            }
            let refused = try await browser.post("/membership/cancel", ["m": id, "nonce": "refused-1"])
            #expect(refused.status == .serviceUnavailable && refused.text.contains("Nothing was changed"))
            #expect(try await test.database.read { db in
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("membership_ledger").first(decodingColumn: "n", as: Int.self)
            } == ledgerBefore)
            recorder.refuse.withLockedValue { $0 = nil }

            // Cancel: access to the end of the paid period, the role kept until then.
            #expect(try await browser.post("/membership/cancel", ["m": id, "nonce": "cancel-1"]).status == .seeOther)
            #expect(recorder.forms("/v1/subscriptions/sub_1").last?["cancel_at_period_end"] == "true")
            let cancelled = try await browser.get("/account")
            #expect(cancelled.text.contains("Cancelled; access until"))
            #expect(!cancelled.text.contains(#"action="/membership/cancel""#))
            #expect(try await user().roles.contains(.member))

            // Another reader cannot touch this membership.
            let other = Browser(browser.client)
            try await LiveServer.signIn(other, mail, email: "someone@example.com")
            try await other.get("/account")
            #expect(try await other.post("/membership/pause", ["m": id, "nonce": "x", "months": "1"]).status == .notFound)

            // Every change is in the ledger, and replaying it gives the stored membership.
            let service = MembershipService(database: test.database, providers: [], logger: TestDatabases.logger)
            #expect(try await service.replay().memberships[id] == (try await service.membership(id)))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theFixLinkOpensStripesPortalOrANewPayFastCheckout(kind: DatabaseKind) async throws {
        let recorder = StripeAPIRecorder()
        try await LiveServer.withBrowser(kind, payments: [Self.stripe(recorder)]) { browser, mail, test in
            // Signed out: asked to sign in, and sent back to the fix link.
            let out = try await browser.get("/membership/fix?m=mem_x")
            #expect(out.status == .seeOther && out.headers[.location] == SiteURL.signIn(next: "/membership/fix?m=mem_x").path)

            try await LiveServer.signIn(browser, mail, email: "lindiwe@example.com", next: "/membership")
            try await browser.get("/membership")
            #expect(try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"]).status == .seeOther)
            let body = String(decoding: try #require(recorder.sent.withLockedValue { $0.first }).body, as: UTF8.self)
            let id = try #require(Browser.firstMatch(#"client_reference_id=([^&]+)"#, in: body))
            let paidAt = Date().addingTimeInterval(-2_678_400 - 60)
            #expect(try await Self.deliver(browser, MembershipWebhookTests.invoicePaid(eventID: "evt_fix_paid", membership: id, amount: 20000, now: paidAt)) == "applied")
            #expect(try await Self.deliver(browser, MembershipWebhookTests.invoicePaid(eventID: "evt_fix_failed", membership: id, amount: 20000,
                                                                                      now: Date(), type: "invoice.payment_failed")) == "applied")
            let account = try await browser.get("/account")
            #expect(account.text.contains("On hold") && account.text.contains("/membership/fix?m=\(id)"))

            // The on-hold email links to the fix page.
            let onHold = try await mail.latest(to: "lindiwe@example.com", kind: "membership-on-hold", after: 0)
            #expect(onHold.text.contains("http://localhost/membership/fix?m=\(id)"))

            let fix = try await browser.get("/membership/fix?m=\(id)")
            #expect(fix.status == .seeOther)
            #expect(fix.headers[.location] == "https://billing.stripe.test/p/session/bps_1")
            let portal = try #require(recorder.forms("/v1/billing_portal/sessions").last)
            #expect(portal["customer"] == "cus_1" && portal["return_url"] == "http://localhost/account")
            // Without naming the membership, the one on hold is fixed.
            #expect(try await browser.get("/membership/fix").headers[.location] == "https://billing.stripe.test/p/session/bps_1")
        }

        // PayFast has no card page: the member goes through a new checkout for the same amount.
        let payfast = PayFastClient(configuration: PayFastConfiguration(merchantID: "10000100", merchantKey: "46f0cd694581a",
                                                                        passphrase: "jt7NOE43FZPn", host: "https://sandbox.payfast.test"))
        try await LiveServer.withBrowser(kind, payments: [payfast]) { browser, mail, test in
            try await LiveServer.signIn(browser, mail, email: "pieter@example.com", next: "/membership")
            try await browser.get("/membership")
            let redirect = try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"])
            #expect(redirect.status == .ok && redirect.text.contains("data-auto-submit") && !redirect.text.contains("<script>"))
            let fix = try await browser.get("/membership/fix")
            #expect(fix.status == .seeOther)
            #expect(fix.headers[.location] == "/membership?interval=month&amount=200")
            let offer = try await browser.get("/membership?interval=month&amount=200")
            #expect(offer.text.contains(#"value="200""#))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aOneOffContributionGoesThroughStripeAsADonationAndIsAReceipt(kind: DatabaseKind) async throws {
        let recorder = StripeAPIRecorder()
        try await LiveServer.withBrowser(kind, payments: [Self.stripe(recorder)]) { browser, mail, test in
            let page = try await browser.get("/membership/give")
            #expect(page.status == .ok && page.text.contains("at least R50"))
            #expect(page.text.contains("Sign in to give"))
            let out = try await browser.post("/membership/give", ["amount": "100"])
            #expect(out.status == .seeOther && out.headers[.location]?.hasPrefix("/signin") == true)

            try await LiveServer.signIn(browser, mail, email: "zanele@example.com", next: "/membership/give")
            try await browser.get("/membership/give")
            let low = try await browser.post("/membership/give", ["amount": "20"])
            #expect(low.status == .badRequest && low.text.contains("R50"))
            let words = try await browser.post("/membership/give", ["amount": "lots"])
            #expect(words.status == .badRequest)
            #expect(recorder.sent.withLockedValue { $0.isEmpty })

            let go = try await browser.post("/membership/give", ["amount": "100"])
            #expect(go.status == .seeOther && go.headers[.location] == "https://checkout.stripe.test/c/pay/cs_test_1")
            let form = try #require(recorder.forms("/v1/checkout/sessions").last)
            #expect(form["mode"] == "payment" && form["submit_type"] == "donate")
            #expect(form["line_items[0][price_data][unit_amount]"] == "10000" && form["line_items[0][price_data][recurring][interval]"] == nil)
            let id = try #require(form["client_reference_id"])
            #expect(form["success_url"] == "http://localhost/membership/given?c=\(id)")

            let waiting = try await browser.get("/membership/given?c=\(id)")
            #expect(waiting.text.contains("Confirming your contribution") && waiting.text.contains(#"http-equiv="refresh""#))

            let completed = Array(#"""
            {"id":"evt_gift","object":"event","created":\#(Int64(Date().timeIntervalSince1970)),"type":"checkout.session.completed","data":{"object":{"id":"cs_test_1","object":"checkout.session","mode":"payment","payment_status":"paid","client_reference_id":"\#(id)","customer":"cus_9","amount_total":10000,"currency":"zar"}}}
            """#.utf8)
            #expect(try await Self.deliver(browser, completed) == "applied")
            let thanks = try await browser.get("/membership/given?c=\(id)")
            #expect(thanks.text.contains("Thank you") && thanks.text.contains("R100"))
            #expect(!thanks.text.contains(#"http-equiv="refresh""#))
            let account = try await browser.get("/account")
            #expect(account.text.contains("One-off contribution") && account.text.contains("<td>R100.00</td>"))
            #expect(account.text.contains("You are not a member yet"), "a gift is not a membership")

            // Someone else's contribution page is not found.
            let other = Browser(browser.client)
            try await LiveServer.signIn(other, mail, email: "nosy@example.com")
            #expect(try await other.get("/membership/given?c=\(id)").status == .notFound)
        }
    }

    @Test func signedOutReadersKeepTheAmountTheyChoseAcrossSigningIn() async throws {
        let recorder = StripeAPIRecorder()
        try await LiveServer.withBrowser(.sqlite, payments: [Self.stripe(recorder)]) { browser, mail, test in
            let offer = try await browser.get("/membership?interval=month&amount=200")
            #expect(offer.text.contains("Sign in to pay"))
            #expect(offer.text.contains(#"name="next" value="/membership?interval=month&amp;amount=200""#))
            #expect(!offer.text.contains("<script>") && !offer.text.contains("style=\""), "no inline script or style")
            #expect(offer.text.contains(#"<nav class="sections""#), "the masthead's sections")
            let out = try await browser.post("/membership/checkout", ["interval": "month", "amount": "250"])
            #expect(out.headers[.location] == "/signin?next=/membership?interval%3Dmonth%26amount%3D250")
            // Signed in on the offer itself: the email, then the emailed code, typed here.
            try await browser.get("/membership?interval=month&amount=250")
            let asked = try await browser.post("/membership/signin", ["email": "sipho@example.com", "next": "/membership?interval=month&amount=250"])
            #expect(asked.status == .ok && asked.text.contains(#"action="/membership/signin/code""#) && asked.text.contains("sipho@example.com"))
            #expect(asked.text.contains(#"value="250""#), "the amount chosen is still there")
            let request = try #require(Browser.firstMatch(#"name="request" value="([^"]+)""#, in: asked.text))
            let code = try #require(try await mail.latest(to: "sipho@example.com", kind: "signin").signInCode)
            let wrong = try await browser.post("/membership/signin/code", ["request": request, "code": code == "000000" ? "111111" : "000000",
                                                                          "next": "/membership?interval=month&amount=250"])
            #expect(wrong.status.code >= 400 && wrong.text.contains(#"name="request" value="\#(request)""#), "asked again, on the offer")
            let right = try await browser.post("/membership/signin/code", ["request": request, "code": code, "next": "/membership?interval=month&amount=250"])
            #expect(right.status == .seeOther && right.headers[.location] == "/membership?interval=month&amount=250")
            #expect(browser.cookie("quorum_session") != nil)
            try await browser.get("/membership")
            let again = try await browser.post("/membership/signin", ["email": "not an address", "next": "/membership"])
            #expect(again.status == .seeOther, "signed in now: nothing to do")
            let back = try await browser.get("/membership?interval=month&amount=250")
            #expect(back.text.contains(#"id="amount" name="amount" type="number" inputmode="numeric" min="75" max="100000" step="1" value="250""#))
            #expect(!back.text.contains("Sign in to pay"))
        }
    }
}
