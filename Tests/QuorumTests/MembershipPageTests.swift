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

/// Stripe's API as far as checkout needs it, in-process: answers a session and keeps what was sent.
final class CheckoutRecorder: HTTPTransport, @unchecked Sendable {
    let sent = NIOLockedValueBox<[OutgoingRequest]>([])
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        sent.withLockedValue { $0.append(request) }
        return IncomingResponse(status: 200, body: Array(#"{"id":"cs_test_1","url":"https://checkout.stripe.test/c/pay/cs_test_1"}"#.utf8))
    }
}

@Suite struct MembershipPageTests {
    @Test(arguments: TestDatabases.kinds)
    func aReaderChoosesAnAmountAndIsSentToCheckoutThenComesBackAMember(kind: DatabaseKind) async throws {
        let recorder = CheckoutRecorder()
        let stripe = StripeClient(configuration: StripeConfiguration(apiBase: "https://api.stripe.test", secretKey: "sk_test_pages",
                                                                     webhookSecrets: ["whsec_pages"]), transport: recorder)
        try await LiveServer.withBrowser(kind, payments: [stripe]) { browser, mail, test in
            let offer = try await browser.get("/membership")
            #expect(offer.status == .ok)
            #expect(offer.text.contains("at least R75"))
            #expect(offer.text.contains(#"type="range""#) && offer.text.contains(#"name="choice" value="150""#))

            // Signed out: asked to sign in first.
            let out = try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"])
            #expect(out.status == .seeOther)
            #expect(out.headers[.location]?.hasPrefix("/signin") == true)

            try await LiveServer.signIn(browser, mail, email: "thandi@example.com", next: "/membership")
            try await browser.get("/membership")
            let low = try await browser.post("/membership/checkout", ["interval": "month", "amount": "74"])
            #expect(low.status == .badRequest)
            #expect(low.text.contains("The minimum is R75 a month."))
            let cents = try await browser.post("/membership/checkout", ["interval": "month", "amount": "150.50"])
            #expect(cents.status == .badRequest && cents.text.contains("without cents"))
            #expect(cents.text.contains(#"value="150.50""#), "what the reader typed is kept")
            #expect(recorder.sent.withLockedValue { $0.isEmpty })

            let go = try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"])
            #expect(go.status == .seeOther)
            #expect(go.headers[.location] == "https://checkout.stripe.test/c/pay/cs_test_1")
            let request = try #require(recorder.sent.withLockedValue { $0.first })
            let body = String(decoding: request.body, as: UTF8.self)
            #expect(body.contains("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=20000"))
            let membershipID = try #require(Browser.firstMatch(#"client_reference_id=([^&]+)"#, in: body))
            #expect(request.headers.contains { $0.0 == "Idempotency-Key" && $0.1 == "checkout:\(membershipID)" })

            // Back from checkout before the webhook: being confirmed, refreshing.
            let waiting = try await browser.get("/membership/welcome?m=\(membershipID)")
            #expect(waiting.text.contains("Confirming your payment"))
            #expect(waiting.text.contains(#"http-equiv="refresh""#))

            // Stripe's invoice.paid lands: the reader is a member.
            // (Paid a month ago, so that the next renewal falls due now.)
            let now = Date().addingTimeInterval(-2_678_400 - 60)
            let event = MembershipWebhookTests.invoicePaid(eventID: "evt_pages", membership: membershipID, amount: 20000, now: now)
            let header = StripeSignature.header(body: event, timestamp: Int64(Date().timeIntervalSince1970), secret: "whsec_pages")
            let delivered = try await browser.client.execute(uri: "/webhooks/stripe", method: .post,
                                                              headers: [.contentType: "application/json", HTTPField.Name("Stripe-Signature")!: header],
                                                              body: .init(bytes: event))
            #expect(delivered.status == .ok)
            let welcome = try await browser.get("/membership/welcome?m=\(membershipID)")
            #expect(welcome.text.contains("Welcome, member"))
            let user = try #require(try await test.database.read { db in try await UserRows.find(where: "email", equals: "thandi@example.com", on: db) })
            #expect(user.roles.contains(.member))

            // The next renewal fails: on hold, emailed through the outbox; then the payment is fixed: recovered.
            func deliver(_ body: [UInt8], at: Date) async throws -> TestResponse {
                let header = StripeSignature.header(body: body, timestamp: Int64(Date().timeIntervalSince1970), secret: "whsec_pages")
                return try await browser.client.execute(uri: "/webhooks/stripe", method: .post,
                                                        headers: [.contentType: "application/json", HTTPField.Name("Stripe-Signature")!: header],
                                                        body: .init(bytes: body))
            }
            let renewal = now.addingTimeInterval(2_678_400)
            let failed = try await deliver(MembershipWebhookTests.invoicePaid(eventID: "evt_failed", membership: membershipID, amount: 20000,
                                                                              now: renewal, type: "invoice.payment_failed"), at: renewal)
            #expect(String(buffer: failed.body) == "applied")
            func outbox(_ kind: String) async throws -> [String] {
                try await test.database.read { db in
                    try await db.select().column("subject").from("outbox").where("kind", .equal, SQLBind(kind))
                        .where("to_address", .equal, SQLBind("thandi@example.com")).all()
                        .map { try $0.decode(column: "subject", as: String.self) }
                }
            }
            #expect(try await outbox("membership-on-hold") == ["Your membership payment did not go through"])
            let fixed = try await deliver(MembershipWebhookTests.invoicePaid(eventID: "evt_fixed", membership: membershipID, amount: 20000,
                                                                             now: renewal.addingTimeInterval(30)), at: renewal)
            #expect(String(buffer: fixed.body) == "applied")
            #expect(try await outbox("membership-recovered") == ["Your membership is active again"])
        }
    }

    /// The offer speaks in the publisher's words from the membership settings (heading, pitch paragraphs, button,
    /// the name on the provider's page), escaped, and in the defaults until they are set.
    @Test(arguments: TestDatabases.kinds)
    func theOfferUsesTheStoredWordingEscapedWithDefaults(kind: DatabaseKind) async throws {
        let recorder = CheckoutRecorder()
        let stripe = StripeClient(configuration: StripeConfiguration(apiBase: "https://api.stripe.test", secretKey: "sk_test_wording",
                                                                     webhookSecrets: ["whsec_wording"]), transport: recorder)
        try await LiveServer.withBrowser(kind, payments: [stripe]) { browser, mail, test in
            let plain = try await browser.get("/membership")
            #expect(plain.text.contains("<h1 id=\"membership-heading\">\(MembershipWording.defaultHeading)</h1>"))
            #expect(plain.text.contains("<p>\(MembershipWording.defaultPitch)</p>"))
            #expect(plain.text.contains(">\(MembershipWording.defaultButtonText)</button>"))

            try await MembershipAdminTests.admin(browser, mail, test)
            try await browser.get("/admin/membership/settings")
            let saved = try await browser.post("/admin/membership/settings", [
                "currency": "ZAR", "monthlyMinimum": "75", "monthlyDefault": "150", "monthlySuggestions": "75, 150, 300",
                "yearlyMinimum": "750", "yearlyDefault": "1500", "yearlySuggestions": "750 1500", "oneOffMinimum": "50",
                "maximum": "50000", "heading": "Be a <script>alert(1)</script> Insider",
                "pitch": "There's a 99.7% chance this isn't for you.\r\n\r\nBe part of the <b>0.3%</b> & \"us\".",
                "itemName": "Insider <membership>", "buttonText": "Join <now>",
                "graceDays": "14", "accessDuringGrace": "on", "retentionDays": "90", "payfastMode": "sandbox",
            ])
            #expect(saved.status == .seeOther)
            let offer = try await browser.get("/membership")
            #expect(offer.text.contains("<h1 id=\"membership-heading\">Be a &lt;script&gt;alert(1)&lt;/script&gt; Insider</h1>"))
            #expect(offer.text.contains("<title>Be a &lt;script&gt;"))
            #expect(offer.text.contains("<p>There&#39;s a 99.7% chance this isn&#39;t for you.</p>")
                    || offer.text.contains("<p>There&#x27;s a 99.7% chance this isn&#x27;t for you.</p>"), "\(offer.text)")
            #expect(offer.text.contains("Be part of the &lt;b&gt;0.3%&lt;/b&gt; &amp; &quot;us&quot;.</p>"), "a second paragraph")
            #expect(offer.text.contains(">Join &lt;now&gt;</button>"))
            #expect(!offer.text.contains("<script>alert") && !offer.text.contains("<b>0.3%"))
            #expect(!offer.text.contains(MembershipWording.defaultPitch))

            // The name on the provider's page is the publisher's too.
            let go = try await browser.post("/membership/checkout", ["interval": "month", "amount": "150"])
            #expect(go.status == .seeOther)
            let body = String(decoding: try #require(recorder.sent.withLockedValue { $0.first }).body, as: UTF8.self)
            #expect(body.contains("line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Insider+%3Cmembership%3E"), "\(body)")

            // Stored rows from before the button existed still read, with its default.
            let old = #"{"heading":"Old","pitch":"Old pitch","itemName":""}"#
            let wording = try JSONDecoder().decode(MembershipWording.self, from: Data(old.utf8))
            #expect(wording.shownButtonText == MembershipWording.defaultButtonText && wording.heading == "Old")
        }
    }
}
