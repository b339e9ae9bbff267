import Foundation
import Testing
@testable import MembershipEngine
@testable import Payments

/// The provider clients against loopback stand-ins that speak (and check) each provider's wire format.
@Suite(.serialized) struct StripeStandInTests {
    static let secretKey = "sk_test_51Quorum", webhookSecret = "whsec_test_current"

    func client(_ standIn: StandIn, key: String = secretKey, secrets: [String] = [webhookSecret]) -> StripeClient {
        StripeClient(configuration: StripeConfiguration(apiBase: standIn.base, secretKey: key, webhookSecrets: secrets,
                                                        retryBackoff: .milliseconds(20)))
    }

    func standIn() async throws -> StandIn {
        try await StandIn("stripe_standin.py", ["--secret-key", Self.secretKey, "--webhook-secret", Self.webhookSecret])
    }

    func request(_ purpose: CheckoutRequest.Purpose, key: String = "checkout:m1:1") -> CheckoutRequest {
        CheckoutRequest(membershipID: "m1", purpose: purpose, email: "thandi@example.com", itemName: "Daily Example membership",
                        successURL: "http://127.0.0.1/membership/welcome?session={CHECKOUT_SESSION_ID}",
                        cancelURL: "http://127.0.0.1/membership", notifyURL: "", today: day(0), idempotencyKey: key)
    }

    func form(_ r: JSONValue) -> [String: String] {
        guard case let .array(pairs) = r["form"] else { return [:] }
        var out: [String: String] = [:]
        for p in pairs { if let k = p[0].string { out[k] = p[1].string ?? "" } }
        return out
    }

    @Test func checkoutSessionIsFormEncodedWithBracketedKeys() async throws {
        let s = try await standIn()
        let start = try await client(s).checkout(request(.membership(Pledge(amount: rand(200), interval: .month))))
        guard case let .redirect(url, sessionID) = start else { Issue.record("expected a redirect"); return }
        #expect(sessionID.hasPrefix("cs_test_"))
        #expect(url.absoluteString.hasPrefix(s.base))
        let log = try await s.control("/_standin/requests")
        let sent = form(log[0])
        #expect(log[0]["path"].string == "/v1/checkout/sessions")
        #expect(log[0]["idempotency_key"].string == "checkout:m1:1")
        #expect(sent["mode"] == "subscription")
        #expect(sent["line_items[0][price_data][currency]"] == "zar")
        #expect(sent["line_items[0][price_data][unit_amount]"] == "20000")
        #expect(sent["line_items[0][price_data][recurring][interval]"] == "month")
        #expect(sent["line_items[0][price_data][product_data][name]"] == "Daily Example membership")
        #expect(sent["line_items[0][quantity]"] == "1")
        #expect(sent["client_reference_id"] == "m1")
        #expect(sent["metadata[membership_id]"] == "m1")
        #expect(sent["subscription_data[metadata][membership_id]"] == "m1")
        #expect(sent["success_url"] == "http://127.0.0.1/membership/welcome?session={CHECKOUT_SESSION_ID}")

        _ = try await client(s).checkout(request(.oneOff(rand(500)), key: "gift:m1:1"))
        let gift = form(try await s.control("/_standin/requests")[1])
        #expect(gift["mode"] == "payment" && gift["submit_type"] == "donate")
        #expect(gift["line_items[0][price_data][unit_amount]"] == "50000")
        #expect(gift["line_items[0][price_data][recurring][interval]"] == nil)
    }

    @Test func aRetriedCallCarriesTheSameIdempotencyKeyAndGetsTheSameSession() async throws {
        let s = try await standIn()
        _ = try await s.control("/_standin/fail-next", ["count": 1, "status": 500])
        let first = try await client(s).checkout(request(.membership(monthly150)))
        let log = try await s.control("/_standin/requests")
        #expect(log[0]["failed"].int == 500)
        #expect(log[0]["idempotency_key"] == log[1]["idempotency_key"])
        #expect(log[1]["failed"].isNull)
        // The same checkout asked for again (a double click): Stripe replays the first answer.
        let again = try await client(s).checkout(request(.membership(monthly150)))
        #expect(again == first)
        #expect(try await s.control("/_standin/requests")[2]["replayed"].bool == true)
        // The same key with other parameters is refused, as Stripe does.
        await #expect(throws: PaymentError.self) {
            _ = try await client(s).checkout(request(.membership(Pledge(amount: rand(300), interval: .month))))
        }
    }

    @Test func portalAmountChangeCancelAndPause() async throws {
        let s = try await standIn()
        let c = client(s)
        let portal = try await c.paymentFixURL(customerID: "cus_1", returnURL: "http://127.0.0.1/account", idempotencyKey: "portal:1")
        #expect(portal?.absoluteString.contains("/p/session/cus_1") == true)
        try await c.changeAmount(subscriptionID: "sub_1", to: Pledge(amount: rand(250), interval: .month), idempotencyKey: "amount:1")
        try await c.cancelAtPeriodEnd(subscriptionID: "sub_1", idempotencyKey: "cancel:1")
        try await c.pause(subscriptionID: "sub_1", until: day(90), idempotencyKey: "pause:1")
        try await c.withdrawCancellation(subscriptionID: "sub_1", idempotencyKey: "withdraw:1")
        // Stripe's booleans are the words true and false: the stand-in refuses anything else, as Stripe does.
        await #expect(throws: PaymentError.self) {
            _ = try await c.post("/v1/subscriptions/sub_1", [FormField("cancel_at_period_end", "0")], key: "withdraw:bad")
        }
        let log = try await s.control("/_standin/requests")
        guard case let .array(entries) = log else { return }
        let posts = entries.filter { $0["method"].string == "POST" }
        #expect(posts.map { $0["path"].string } == ["/v1/billing_portal/sessions", "/v1/subscriptions/sub_1",
                                                     "/v1/subscriptions/sub_1", "/v1/subscriptions/sub_1", "/v1/subscriptions/sub_1",
                                                     "/v1/subscriptions/sub_1"])
        #expect(form(posts[4]) == ["cancel_at_period_end": "false"])
        #expect(posts[4]["idempotency_key"].string == "withdraw:1")
        let change = form(posts[1])
        #expect(change["items[0][id]"] == "si_" + "sub_1".suffix(8))
        #expect(change["items[0][price_data][product]"] == "prod_membership")
        #expect(change["items[0][price_data][unit_amount]"] == "25000")
        #expect(change["proration_behavior"] == "none")
        #expect(form(posts[2])["cancel_at_period_end"] == "true")
        #expect(form(posts[3])["pause_collection[behavior]"] == "void")
        #expect(Set(posts.prefix(5).compactMap { $0["idempotency_key"].string }).count == 5)
    }

    @Test func aWrongSecretKeyIsRefused() async throws {
        let s = try await standIn()
        await #expect(throws: PaymentError.providerRejected(status: 401, message: "Invalid API Key provided")) {
            _ = try await client(s, key: "sk_test_wrong").checkout(request(.membership(monthly150)))
        }
    }

    @Test func webhooksSignedByStripesOwnLibraryVerify() async throws {
        let s = try await standIn()
        let now = Date()
        let invoice: [String: Any] = [
            "id": "in_1", "object": "invoice", "customer": "cus_1", "currency": "zar", "amount_paid": 20000, "amount_due": 20000,
            "parent": ["type": "subscription_details",
                       "subscription_details": ["subscription": "sub_1", "metadata": ["membership_id": "m1"]]],
            "lines": ["object": "list", "data": [["period": ["start": Int(now.timeIntervalSince1970),
                                                            "end": Int(now.timeIntervalSince1970) + 2_678_400]]]],
            "status_transitions": ["paid_at": Int(now.timeIntervalSince1970)],
        ]
        let signed = try await s.control("/_standin/webhook", ["type": "invoice.paid", "object": invoice])
        let delivery = WebhookDelivery(headers: ["Stripe-Signature": signed["header"].string!],
                                       body: Array(signed["payload"].string!.utf8))
        let events = try await client(s).receive(delivery, context: ReceiveContext(now: now))
        #expect(events.count == 1)
        #expect(events[0].reference == Reference(membershipID: "m1", subscriptionID: "sub_1", customerID: "cus_1"))
        guard case let .paymentSucceeded(payment) = events[0].kind else { Issue.record("not a payment"); return }
        #expect(payment.amount == rand(200))

        // While a secret is rolled, a signature with the previous one still counts.
        let old = try await s.control("/_standin/webhook", ["type": "invoice.paid", "object": invoice, "secret": "whsec_old"])
        _ = try await client(s, secrets: [Self.webhookSecret, "whsec_old"]).receive(
            WebhookDelivery(headers: ["stripe-signature": old["header"].string!], body: Array(old["payload"].string!.utf8)),
            context: ReceiveContext(now: now))
        await #expect(throws: PaymentError.signatureMismatch) {
            _ = try await client(s).receive(
                WebhookDelivery(headers: ["stripe-signature": old["header"].string!], body: Array(old["payload"].string!.utf8)),
                context: ReceiveContext(now: now))
        }
        // Signed ten minutes ago: outside the 300 s tolerance.
        let stale = try await s.control("/_standin/webhook", ["type": "invoice.paid", "object": invoice,
                                                               "timestamp": Int(now.timeIntervalSince1970) - 600])
        await #expect(throws: PaymentError.signatureStale(ageSeconds: 600)) {
            _ = try await client(s).receive(
                WebhookDelivery(headers: ["stripe-signature": stale["header"].string!], body: Array(stale["payload"].string!.utf8)),
                context: ReceiveContext(now: Date(timeIntervalSince1970: TimeInterval(Int(now.timeIntervalSince1970)))))
        }
        // A body changed after signing.
        let tampered = signed["payload"].string!.replacingOccurrences(of: "20000", with: "90000")
        await #expect(throws: PaymentError.signatureMismatch) {
            _ = try await client(s).receive(WebhookDelivery(headers: ["stripe-signature": signed["header"].string!],
                                                            body: Array(tampered.utf8)), context: ReceiveContext(now: now))
        }
        // Our own signer writes exactly the header Stripe's library does.
        let fixed = try await s.control("/_standin/webhook", ["type": "ping", "object": ["id": "x"], "id": "evt_fixed",
                                                               "created": 1_700_000_000, "timestamp": 1_700_000_000])
        #expect(StripeSignature.header(body: Array(fixed["payload"].string!.utf8), timestamp: 1_700_000_000,
                                       secret: Self.webhookSecret) == fixed["header"].string!)
    }

    @Test func everyHandledEventTypeParses() async throws {
        let s = try await standIn()
        let now = Date()
        let t = Int(now.timeIntervalSince1970)
        let objects: [(String, [String: Any])] = [
            ("checkout.session.completed", ["id": "cs_1", "mode": "subscription", "client_reference_id": "m1",
                                            "customer": "cus_1", "subscription": "sub_1", "payment_status": "paid"]),
            ("checkout.session.completed", ["id": "cs_2", "mode": "payment", "client_reference_id": "g1", "customer": "cus_1",
                                            "payment_status": "paid", "amount_total": 50000, "currency": "zar"]),
            ("invoice.payment_failed", ["id": "in_2", "customer": "cus_1", "currency": "zar", "amount_due": 15000,
                                        "subscription": "sub_1", "lines": ["data": [["period": ["start": t, "end": t + 86400 * 30]]]]]),
            ("customer.subscription.updated", ["id": "sub_1", "customer": "cus_1", "status": "past_due", "cancel_at_period_end": false,
                                               "pause_collection": ["behavior": "void", "resumes_at": t + 86400 * 60],
                                               "metadata": ["membership_id": "m1"],
                                               "items": ["data": [["price": ["unit_amount": 20000, "currency": "zar",
                                                                             "recurring": ["interval": "year"]]]]]]),
            ("customer.subscription.deleted", ["id": "sub_1", "customer": "cus_1", "status": "canceled", "ended_at": t]),
            ("charge.refunded", ["id": "ch_1", "customer": "cus_1", "amount_refunded": 7500, "currency": "zar"]),
            ("customer.tax_id.created", ["id": "txi_1"]),
        ]
        var kinds: [MembershipEvent.Kind] = []
        for (type, object) in objects {
            let signed = try await s.control("/_standin/webhook", ["type": type, "object": object])
            let events = try await client(s).receive(WebhookDelivery(headers: ["stripe-signature": signed["header"].string!],
                                                                     body: Array(signed["payload"].string!.utf8)),
                                                     context: ReceiveContext(now: now))
            kinds += events.map(\.kind)
        }
        let at = Date(timeIntervalSince1970: TimeInterval(t))
        #expect(kinds == [
            .checkoutCompleted(subscriptionID: "sub_1", customerID: "cus_1"),
            .contribution(rand(500)),
            .paymentFailed(.init(amount: rand(150), periodEnd: at.addingTimeInterval(86400 * 30), invoiceID: "in_2")),
            .subscriptionChanged(.init(status: .pastDue, cancelAtPeriodEnd: false, pausedUntil: at.addingTimeInterval(86400 * 60),
                                       pledge: Pledge(amount: rand(200), interval: .year))),
            .subscriptionEnded,
            .refunded(chargeID: "ch_1", total: rand(75)),
            .unhandled(type: "customer.tax_id.created"),
        ])
    }

    @Test func malformedBodiesAreRefusedClearly() throws {
        #expect(throws: PaymentError.malformedBody("not JSON")) { try StripeEvents.parse(Array("{nope".utf8)) }
        #expect(throws: PaymentError.missingField("type")) { try StripeEvents.parse(Array(#"{"id":"evt_1","created":1}"#.utf8)) }
        #expect(throws: PaymentError.missingField("lines.data[0].period.end")) {
            try StripeEvents.parse(Array(#"{"id":"e","type":"invoice.paid","created":1,"data":{"object":{"amount_paid":1,"currency":"zar"}}}"#.utf8))
        }
        #expect(throws: PaymentError.signatureMissing) {
            try StripeSignature.verify(header: nil, body: [], secrets: ["s"], now: Date(), tolerance: 300)
        }
        #expect(throws: PaymentError.signatureMalformed) {
            try StripeSignature.verify(header: "v1=abc", body: [], secrets: ["s"], now: Date(), tolerance: 300)
        }
    }
}

@Suite(.serialized) struct PayFastStandInTests {
    static let merchantID = "10000100", merchantKey = "46f0cd694581a", passphrase = "jt7NOE43FZPn"

    func standIn() async throws -> StandIn {
        try await StandIn("payfast_standin.py", ["--merchant-id", Self.merchantID, "--merchant-key", Self.merchantKey,
                                           "--passphrase", Self.passphrase])
    }

    func client(_ s: StandIn, sources: Set<String>? = ["127.0.0.1"]) -> PayFastClient {
        PayFastClient(configuration: PayFastConfiguration(merchantID: Self.merchantID, merchantKey: Self.merchantKey,
                                                          passphrase: Self.passphrase, host: s.base, allowedSources: sources))
    }

    func request(_ purpose: CheckoutRequest.Purpose) -> CheckoutRequest {
        CheckoutRequest(membershipID: "m-42", purpose: purpose, email: "thandi+news@example.com", firstName: "Thandi ",
                        lastName: "Mokoena-O'Brien", itemName: "Daily Example — membership (R200 a month)",
                        successURL: "http://127.0.0.1:8080/membership/welcome?p=payfast&x=1",
                        cancelURL: "http://127.0.0.1:8080/membership", notifyURL: "http://127.0.0.1:8080/membership/payfast/itn",
                        today: date(2026, 3, 9), idempotencyKey: "unused")
    }

    func post(_ s: StandIn, _ fields: [FormField]) async throws -> IncomingResponse {
        try await AsyncHTTPTransport().send(OutgoingRequest(method: "POST", url: s.base + "/eng/process",
                                                            headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                            body: Array(FormEncoding.encode(fields).utf8)))
    }

    @Test func checkoutFormIsAcceptedByAnIndependentSignatureCheck() async throws {
        let s = try await standIn()
        guard case let .formPost(action, fields) = try await client(s).checkout(request(.membership(Pledge(amount: rand(200), interval: .month))))
        else { Issue.record("expected a form"); return }
        #expect(action.absoluteString == s.base + "/eng/process")
        #expect(fields.map(\.name) == ["merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url", "name_first",
                                       "name_last", "email_address", "m_payment_id", "amount", "item_name", "custom_str1",
                                       "subscription_type", "billing_date", "recurring_amount", "frequency", "cycles", "signature"])
        let values = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.value) })
        #expect(values["amount"] == "200.00" && values["recurring_amount"] == "200.00")
        #expect(values["frequency"] == "3" && values["cycles"] == "0" && values["billing_date"] == "2026-03-09")
        let response = try await post(s, fields)
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")

        // Yearly, and a one-off gift (no subscription fields).
        guard case let .formPost(_, yearly) = try await client(s).checkout(request(.membership(Pledge(amount: rand(1800), interval: .year)))),
              case let .formPost(_, gift) = try await client(s).checkout(request(.oneOff(rand(350)))) else { return }
        #expect(yearly.first { $0.name == "frequency" }?.value == "6")
        #expect(!gift.contains { $0.name == "subscription_type" })
        #expect(try await post(s, yearly).status == 200)
        #expect(try await post(s, gift).status == 200)

        // A reader who edits the amount in the page is caught by the signature.
        let edited = fields.map { $0.name == "amount" ? FormField("amount", "5.00") : $0 }
        let refused = try await post(s, edited)
        #expect(refused.status == 400)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("signature mismatch"))
    }

    /// PayFast's subscription API against the stand-in, which checks the headers and the signature itself
    /// (Python's own md5 over the sorted, urlencoded fields and the passphrase) and keeps the subscription's state.
    @Test func theSubscriptionAPIPausesUnpausesUpdatesCancelsAndFetches() async throws {
        let s = try await standIn()
        let c = client(s)
        let token = "2afa4575-5628-051a-d0ed-4e071b56a7b0"
        _ = try await s.control("/_standin/subscription", ["token": token, "amount": 20000, "frequency": 3, "run_date": "2026-04-09"])
        #expect(try await c.subscription(token) == PayFastClient.Subscription(
            token: token, amountMinor: 20000, frequency: 3, runDate: "2026-04-09", cycles: 0, cyclesComplete: 1, statusText: "ACTIVE"))

        try await c.changeAmount(subscriptionID: token, to: Pledge(amount: rand(250), interval: .month), idempotencyKey: "amount")
        let changed = try await c.subscription(token)
        #expect(changed.amountMinor == 25000 && changed.snapshot.pledge == Pledge(amount: rand(250), interval: .month))

        try await c.pause(subscriptionID: token, until: date(2026, 6, 9), months: 2, interval: .month, idempotencyKey: "pause")
        let paused = try await c.subscription(token)
        #expect(paused.statusText == "PAUSED" && paused.runDate == "2026-06-09" && paused.snapshot.status == .paused)
        try await c.pause(subscriptionID: token, until: nil, months: 0, interval: .month, idempotencyKey: "resume")
        #expect(try await c.subscription(token).statusText == "ACTIVE")

        try await c.cancelAtPeriodEnd(subscriptionID: token, idempotencyKey: "cancel")
        let cancelled = try await c.subscription(token)
        #expect(cancelled.statusText == "CANCELLED" && cancelled.snapshot.status == .canceled)
        #expect(!c.revivesCancelledSubscriptions && c.startsSubscriptionsLater)
        // A cancelled token is cancelled for good: nothing revives it.
        await #expect(throws: PaymentError.providerRejected(status: 400, message: "Subscription is cancelled and cannot be changed")) {
            try await c.pause(subscriptionID: token, until: nil, months: 0, interval: .month, idempotencyKey: "revive")
        }

        // Signed with another passphrase, or stamped an hour and more ago: refused; an unknown token: not found.
        let wrong = PayFastClient(configuration: PayFastConfiguration(merchantID: Self.merchantID, merchantKey: Self.merchantKey,
                                                                      passphrase: "not-the-passphrase", host: s.base))
        await #expect(throws: PaymentError.providerRejected(status: 401, message: "signature mismatch")) { _ = try await wrong.subscription(token) }
        let stale = PayFastClient(configuration: c.configuration, clock: { Date().addingTimeInterval(-7200) })
        await #expect(throws: PaymentError.providerRejected(status: 400, message: "timestamp is not now")) { _ = try await stale.subscription(token) }
        await #expect(throws: PaymentError.providerRejected(status: 404, message: "subscription not found")) { _ = try await c.subscription("nope") }

        let log = try await s.control("/_standin/api-requests")
        guard case let .array(calls) = log else { Issue.record("no log"); return }
        #expect(calls.map { "\($0["method"].string ?? "") \($0["path"].string ?? "")".replacingOccurrences(of: token, with: "T") } == [
            "GET /subscriptions/T/fetch", "PATCH /subscriptions/T/update", "GET /subscriptions/T/fetch",
            "PUT /subscriptions/T/pause", "GET /subscriptions/T/fetch", "PUT /subscriptions/T/unpause", "GET /subscriptions/T/fetch",
            "PUT /subscriptions/T/cancel", "GET /subscriptions/T/fetch", "PUT /subscriptions/T/unpause",
            "GET /subscriptions/T/fetch", "GET /subscriptions/T/fetch", "GET /subscriptions/nope/fetch",
        ])
        for call in calls.prefix(10) {
            #expect(call["problems"] == .array([]), "\(call)")
            #expect(call.at("headers", "version").string == "v1" && call.at("headers", "merchant-id").string == Self.merchantID)
        }
        #expect(calls[1]["form"] == .array([.array([.string("amount"), .string("25000")]), .array([.string("frequency"), .string("3")])]))
        #expect(calls[3]["form"] == .array([.array([.string("cycles"), .string("2")])]))
    }

    /// The first amount of a subscription whose billing starts later (a withdrawn cancellation's new one) pays up
    /// to that first billing date; a renewal pays a period from its billing date.
    @Test func aFirstPaymentBeforeALaterBillingDatePaysUpToIt() {
        func event(billing: String) -> MembershipEvent {
            PayFastClient.event(["pf_payment_id": "1", "payment_status": "COMPLETE", "m_payment_id": "m-1", "billing_date": billing, "token": "t"],
                                gross: rand(200), interval: .month, receivedAt: date(2026, 3, 20, 10))
        }
        guard case let .paymentSucceeded(later) = event(billing: "2026-05-09").kind,
              case let .paymentSucceeded(renewal) = event(billing: "2026-03-20").kind else { Issue.record("not payments"); return }
        #expect(later.periodEnd == date(2026, 5, 9) && event(billing: "2026-05-09").occurredAt == date(2026, 3, 20, 10))
        #expect(renewal.periodEnd == date(2026, 4, 20) && event(billing: "2026-03-20").occurredAt == date(2026, 3, 20))
    }

    func itnFields(status: String = "COMPLETE", amount: String = "200.00") -> [[String]] {
        [["m_payment_id", "m-42"], ["pf_payment_id", "1089250"], ["payment_status", status],
         ["item_name", "Daily Example — membership"], ["item_description", ""], ["amount_gross", amount],
         ["amount_fee", "-4.60"], ["amount_net", "195.40"], ["custom_str1", "m-42"], ["custom_str2", ""],
         ["name_first", "Thandi"], ["name_last", "Mokoena-O'Brien"], ["email_address", "thandi+news@example.com"],
         ["merchant_id", Self.merchantID], ["token", "dc0521d3-55fe-269b-fa00-b647310d760f"], ["billing_date", "2026-03-09"]]
    }

    func receive(_ c: PayFastClient, _ body: String, remote: String = "127.0.0.1") async throws -> [MembershipEvent] {
        try await c.receive(WebhookDelivery(headers: ["content-type": "application/x-www-form-urlencoded"], body: Array(body.utf8),
                                            remoteAddress: remote),
                            context: ReceiveContext(now: date(2026, 3, 9, 10), expectation: { id in
                                id == "m-42" ? Expectation(amount: rand(200), interval: .month) : nil
                            }))
    }

    @Test func notificationsAreCheckedAndConfirmedWithTheServer() async throws {
        let s = try await standIn()
        let c = client(s)
        let itn = try await s.control("/_standin/itn", ["fields": itnFields()])
        let events = try await receive(c, itn["body"].string!)
        #expect(events == [MembershipEvent(
            id: "payfast:1089250:COMPLETE", provider: "payfast", occurredAt: date(2026, 3, 9),
            reference: Reference(membershipID: "m-42", subscriptionID: "dc0521d3-55fe-269b-fa00-b647310d760f"),
            kind: .paymentSucceeded(.init(amount: rand(200), periodEnd: date(2026, 4, 9), invoiceID: "1089250")))])
        let log = try await s.control("/_standin/requests")
        #expect(log[0]["path"].string == "/eng/query/validate" && log[0]["answer"].string == "VALID")

        // Within 0.01 of the expected amount passes; more does not.
        let close = try await s.control("/_standin/itn", ["fields": itnFields(amount: "199.99")])
        #expect(try await receive(c, close["body"].string!).count == 1)
        let short = try await s.control("/_standin/itn", ["fields": itnFields(amount: "150.00")])
        await #expect(throws: PaymentError.amountMismatch(expected: "200.00", received: "150.00")) {
            _ = try await receive(c, short["body"].string!)
        }
        let forged = try await s.control("/_standin/itn", ["fields": itnFields(), "forge": true])
        await #expect(throws: PaymentError.signatureMismatch) { _ = try await receive(c, forged["body"].string!) }
        let unissued = try await s.control("/_standin/itn", ["fields": itnFields(status: "FAILED"), "unissued": true])
        await #expect(throws: PaymentError.notConfirmed("INVALID")) { _ = try await receive(c, unissued["body"].string!) }
        await #expect(throws: PaymentError.sourceNotAllowed("192.0.2.1")) {
            _ = try await receive(c, itn["body"].string!, remote: "192.0.2.1")
        }
        let missing = try await s.control("/_standin/itn", ["fields": itnFields().filter { $0[0] != "amount_gross" }])
        await #expect(throws: PaymentError.missingField("amount_gross")) { _ = try await receive(c, missing["body"].string!) }
        await #expect(throws: PaymentError.malformedBody("not a form")) { _ = try await receive(c, "a=%zz") }

        let cancelled = try await s.control("/_standin/itn", ["fields": itnFields(status: "CANCELLED")])
        #expect(try await receive(c, cancelled["body"].string!).map(\.kind) == [.subscriptionEnded])
        let failed = try await s.control("/_standin/itn", ["fields": itnFields(status: "FAILED")])
        guard case .paymentFailed = try await receive(c, failed["body"].string!).first?.kind else {
            Issue.record("a FAILED notice is a failed payment"); return
        }
    }
}
