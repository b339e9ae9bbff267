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

/// PayFast's subscription API and server confirmation, in-process: keeps every request, answers success.
final class PayFastAPIRecorder: HTTPTransport, @unchecked Sendable {
    let sent = NIOLockedValueBox<[OutgoingRequest]>([])
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        sent.withLockedValue { $0.append(request) }
        return IncomingResponse(status: 200, body: Array(#"{"code":200,"status":"success","data":{"response":true}}"#.utf8))
    }
}

/// Withdrawing a cancellation from the account page, on both databases: Stripe keeps the same subscription
/// (`cancel_at_period_end=false`); PayFast, whose cancelled token cannot be revived, gets a new checkout whose paid
/// time starts where the cancelled period ends.
@Suite struct MembershipWithdrawalTests {
    static func ledgerKinds(_ test: TestDatabase, _ id: String) async throws -> [String] {
        try await test.database.read { db in
            try await db.select().column("kind").from("membership_ledger").where("membership_id", .equal, SQLBind(id))
                .orderBy("id").all().map { try $0.decode(column: "kind", as: String.self) }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aStripeMemberWithdrawsTheirCancellationBeforeThePeriodEnds(kind: DatabaseKind) async throws {
        let recorder = StripeAPIRecorder()
        try await LiveServer.withBrowser(kind, payments: [MembershipAccountTests.stripe(recorder)]) { browser, mail, test in
            try await LiveServer.signIn(browser, mail, email: "nomsa@example.com", next: "/membership")
            try await browser.get("/membership")
            #expect(try await browser.post("/membership/checkout", ["interval": "month", "amount": "200"]).status == .seeOther)
            let body = String(decoding: try #require(recorder.sent.withLockedValue { $0.first }).body, as: UTF8.self)
            let id = try #require(Browser.firstMatch(#"client_reference_id=([^&]+)"#, in: body))
            #expect(try await MembershipAccountTests.deliver(browser, MembershipWebhookTests.invoicePaid(eventID: "evt_keep_paid", membership: id,
                                                                                                         amount: 20000, now: Date())) == "applied")
            let active = try await browser.get("/account")
            #expect(!active.text.contains(#"action="/membership/keep""#), "nothing to withdraw while active")
            #expect(try await browser.post("/membership/keep", ["m": id, "nonce": "early"]).status == .conflict)

            #expect(try await browser.post("/membership/cancel", ["m": id, "nonce": "cancel-1"]).status == .seeOther)
            let cancelled = try await browser.get("/account")
            #expect(cancelled.text.contains("Cancelled; access until"))
            #expect(cancelled.text.contains(#"action="/membership/keep""#) && cancelled.text.contains("Keep my membership"))
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: cancelled.text))

            // Without the CSRF token: refused, nothing reaches Stripe.
            let before = recorder.forms("/v1/subscriptions/sub_1").count
            #expect(try await browser.post("/membership/keep", ["m": id, "nonce": nonce], csrf: .some(nil)).status == .forbidden)
            // Somebody else's membership: not found.
            let other = Browser(browser.client)
            try await LiveServer.signIn(other, mail, email: "stranger@example.com")
            try await other.get("/account")
            #expect(try await other.post("/membership/keep", ["m": id, "nonce": "x"]).status == .notFound)
            #expect(recorder.forms("/v1/subscriptions/sub_1").count == before)

            let kept = try await browser.post("/membership/keep", ["m": id, "nonce": nonce])
            #expect(kept.status == .seeOther && kept.headers[.location] == "/account#membership")
            let call = try #require(recorder.forms("/v1/subscriptions/sub_1").last)
            #expect(call == ["cancel_at_period_end": "false"])
            #expect(recorder.keys("/v1/subscriptions/sub_1").last == "member:withdraw:\(id):\(nonce)")
            let again = try await browser.get("/account")
            #expect(again.text.contains("Active") && again.text.contains("Next charge"))
            #expect(!again.text.contains(#"action="/membership/keep""#))
            // Submitted twice: the second is refused (not cancelled any more) and records nothing.
            #expect(try await browser.post("/membership/keep", ["m": id, "nonce": nonce]).status == .conflict)
            let kinds = try await Self.ledgerKinds(test, id)
            #expect(kinds.filter { $0 == "cancel_withdrawn" }.count == 1 && kinds.last == "cancel_withdrawn", "\(kinds)")

            // Replaying the ledger gives the stored membership.
            let service = MembershipService(database: test.database, providers: [], logger: TestDatabases.logger)
            #expect(try await service.replay().memberships[id] == (try await service.membership(id)))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aPayFastMemberWhoWithdrawsGetsANewSubscriptionFromTheNextBillingDate(kind: DatabaseKind) async throws {
        let recorder = PayFastAPIRecorder()
        let passphrase = "jt7NOE43FZPn"
        let payfast = PayFastClient(configuration: PayFastConfiguration(merchantID: "10000100", merchantKey: "46f0cd694581a",
                                                                        passphrase: passphrase, host: "https://sandbox.payfast.test"),
                                    transport: recorder)
        try await LiveServer.withBrowser(kind, payments: [payfast]) { browser, mail, test in
            try await LiveServer.signIn(browser, mail, email: "pieter@example.com", next: "/membership")
            let user = try #require(try await test.database.read { db in try await UserRows.find(where: "email", equals: "pieter@example.com", on: db) })
            let service = MembershipService(database: test.database, providers: [payfast], logger: TestDatabases.logger)
            let id = try await service.open(userID: user.id, provider: "payfast", pledge: Pledge(amount: Money(units: 200, .zar), interval: .month))
            let paidAt = Date().addingTimeInterval(-86400 * 10)
            let through = CivilDate.adding(months: 1, to: paidAt)
            try await service.importHistory([(MembershipEvent(
                id: "payfast:1089250:COMPLETE", provider: "payfast", occurredAt: paidAt,
                reference: Reference(membershipID: id, subscriptionID: "2afa4575-5628-051a-d0ed-4e071b56a7b0"),
                kind: .paymentSucceeded(.init(amount: Money(units: 200, .zar), periodEnd: through))), owner: user.id)])

            try await browser.get("/account")
            #expect(try await browser.post("/membership/cancel", ["m": id, "nonce": "cancel-pf"]).status == .seeOther)
            let cancel = try #require(recorder.sent.withLockedValue { $0.last })
            #expect(cancel.method == "PUT" && cancel.url.contains("/subscriptions/2afa4575-5628-051a-d0ed-4e071b56a7b0/cancel"))

            let account = try await browser.get("/account")
            #expect(account.text.contains("Keep my membership"))
            #expect(account.text.contains("cannot restart a cancelled subscription"))
            #expect(account.text.contains("pays for the period from \(CivilDate.dayString(through))"))
            let nonce = try #require(Browser.firstMatch(#"name="nonce" value="([^"]+)""#, in: account.text))
            let calls = recorder.sent.withLockedValue { $0.count }

            // A new checkout: PayFast's signed form, its first amount paying from the end of the cancelled period.
            let form = try await browser.post("/membership/keep", ["m": id, "nonce": nonce])
            #expect(form.status == .ok && form.text.contains(#"action="https://sandbox.payfast.test/eng/process""#))
            func field(_ name: String) -> String? { Browser.firstMatch(#"name="\#(name)" value="([^"]*)""#, in: form.text) }
            let newID = try #require(field("m_payment_id"))
            #expect(newID != id && newID.hasPrefix("mem_"))
            #expect(field("billing_date") == CivilDate.dayString(CivilDate.adding(months: 1, to: through)))
            #expect(field("amount") == "200.00" && field("recurring_amount") == "200.00" && field("frequency") == "3")
            #expect(recorder.sent.withLockedValue { $0.count } == calls, "no call to PayFast's API: the old token is not revived")
            // The form's signature is PayFast's: the fields in order, the passphrase last.
            let names = ["merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url", "name_first", "email_address",
                         "m_payment_id", "amount", "item_name", "custom_str1", "subscription_type", "billing_date",
                         "recurring_amount", "frequency", "cycles"]
            let posted = names.compactMap { n in field(n).map { FormField(n, Self.unescape($0)) } }
            #expect(field("signature") == PayFastClient.checkoutSignature(posted, passphrase: passphrase))

            // The same form submitted twice opens one new membership.
            let twice = try await browser.post("/membership/keep", ["m": id, "nonce": nonce])
            #expect(Browser.firstMatch(#"name="m_payment_id" value="([^"]*)""#, in: twice.text) == newID)
            #expect(try await service.memberships(userID: user.id).filter { !$0.oneOff }.count == 2)
            let opened = try #require(try await service.membership(newID))
            #expect(service.engine.status(of: opened, at: Date()).status == .pending)
            #expect(try await Self.ledgerKinds(test, newID) == ["opened"])
            // The old membership is still cancelled, with access to its period end.
            let old = try #require(try await service.membership(id))
            #expect(service.engine.status(of: old, at: Date()).status == .cancelled)
        }
    }

    /// The HTML escapes the form page applies to a value, undone.
    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&#x2F;", with: "/").replacingOccurrences(of: "&amp;", with: "&")
    }
}
