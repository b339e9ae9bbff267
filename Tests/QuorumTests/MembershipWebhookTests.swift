import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing
@testable import Membership
import MembershipEngine
import Payments
@testable import QuorumStore

/// Provider webhooks through the real server on loopback, on both databases.
@Suite struct MembershipWebhookTests {
    static let secret = "whsec_routes"
    static let stripe = StripeClient(configuration: StripeConfiguration(apiBase: "http://127.0.0.1:9", secretKey: "sk_test_routes",
                                                                        webhookSecrets: [secret]))

    static func invoicePaid(eventID: String, membership: String, amount: Int64, now: Date, type: String = "invoice.paid") -> [UInt8] {
        let t = Int64(now.timeIntervalSince1970)
        return Array(#"""
        {"id":"\#(eventID)","object":"event","created":\#(t),"type":"\#(type)","data":{"object":{"id":"in_\#(eventID)","object":"invoice","customer":"cus_1","currency":"zar","amount_paid":\#(amount),"amount_due":\#(amount),"parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_1","metadata":{"membership_id":"\#(membership)"}}},"lines":{"object":"list","data":[{"period":{"start":\#(t),"end":\#(t + 2_678_400)}}]},"status_transitions":{"paid_at":\#(t)}}}}
        """#.utf8)
    }

    static func post(port: Int, path: String, body: [UInt8], headers: [(String, String)]) async throws -> IncomingResponse {
        try await AsyncHTTPTransport().send(OutgoingRequest(method: "POST", url: "http://127.0.0.1:\(port)\(path)",
                                                            headers: headers, body: body))
    }

    @Test(arguments: TestDatabases.kinds)
    func theSameWebhookTenTimesAtOnceAppliesOnce(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind, payments: [Self.stripe]) { client, test in
            let port = try #require(client.port)
            let service = MembershipService(database: test.database, providers: [Self.stripe], logger: TestDatabases.logger)
            let id = try await service.open(userID: nil, provider: "stripe", pledge: Pledge(amount: Money(units: 200, .zar), interval: .month))
            let now = Date()
            let body = Self.invoicePaid(eventID: "evt_concurrent", membership: id, amount: 20000, now: now)
            let header = StripeSignature.header(body: body, timestamp: Int64(now.timeIntervalSince1970), secret: Self.secret)
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let r = try await Self.post(port: port, path: "/webhooks/stripe", body: body,
                                                    headers: [("Content-Type", "application/json"), ("Stripe-Signature", header)])
                        return (r.status, String(decoding: r.body, as: UTF8.self))
                    }
                }
                var all: [(Int, String)] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.allSatisfy { $0.0 == 200 }, "\(statuses)")
            #expect(statuses.filter { $0.1 == "applied" }.count == 1, "\(statuses.map(\.1))")
            #expect(statuses.filter { $0.1 == "duplicate" }.count == 9)
            #expect(try await service.ledgerCount(eventID: "stripe:evt_concurrent") == 1)
            let m = try #require(try await service.membership(id))
            #expect(m.paidMinor == 20000)
            #expect(service.engine.status(of: m, at: now).status == .active)
            // The stored facts are exactly what replaying the ledger gives.
            #expect(try await service.replay().memberships[id] == m)
        }
    }

    /// The statements a webhook runs (BEGIN and COMMIT included), held to a budget: a renewal whose provider ids
    /// are already linked is one read (facts and links together), its ledger row written with its outcome, and
    /// the saved facts; a duplicate stops at its ledger row. Before this budget a renewal took 9.
    static let webhookBudget = (renewal: 5, duplicate: 4)

    @Test(arguments: TestDatabases.kinds)
    func aRenewalAndADuplicateStayWithinTheirStatementBudget(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let database = test.database
            let service = MembershipService(database: database, providers: [Self.stripe], logger: TestDatabases.logger)
            let id = try await service.open(userID: nil, provider: "stripe", pledge: Pledge(amount: Money(units: 200, .zar), interval: .month))
            let now = Date()
            func deliver(_ eventID: String, at: Date) async throws -> ([Book.Receipt], Int) {
                let body = Self.invoicePaid(eventID: eventID, membership: id, amount: 20000, now: at)
                let header = StripeSignature.header(body: body, timestamp: Int64(now.timeIntervalSince1970), secret: Self.secret)
                let before = database.statementCount
                let receipts = try await service.receive(provider: "stripe", delivery: WebhookDelivery(
                    headers: ["Stripe-Signature": header, "Content-Type": "application/json"], body: body))
                return (receipts, database.statementCount - before)
            }
            // The first payment links the subscription and the customer to the membership.
            let (first, _) = try await deliver("evt_budget_1", at: now)
            guard case .applied(id, _) = first.first else { Issue.record("the first payment was not applied: \(first)"); return }
            let (renewal, renewalCost) = try await deliver("evt_budget_2", at: now.addingTimeInterval(2_678_400))
            guard case .applied = renewal.first else { Issue.record("the renewal was not applied: \(renewal)"); return }
            #expect(renewalCost <= Self.webhookBudget.renewal, "a renewal ran \(renewalCost) statements")
            let (again, duplicateCost) = try await deliver("evt_budget_2", at: now.addingTimeInterval(2_678_400))
            #expect(again == [.duplicate])
            #expect(duplicateCost <= Self.webhookBudget.duplicate, "a duplicate ran \(duplicateCost) statements")
            // The ledger row of each event says what became of it, written once.
            let rows = try await database.read { db in
                try await db.select().columns("event_id", "membership_id", "outcome").from("membership_ledger")
                    .where("provider", .equal, "stripe").orderBy("id").all()
                    .map { "\(try $0.decode(column: "event_id", as: String.self)) \(try $0.decode(column: "membership_id", as: String?.self) ?? "-") \(try $0.decode(column: "outcome", as: String.self))" }
            }
            #expect(rows == ["local:open:\(id) \(id) applied", "stripe:evt_budget_1 \(id) applied", "stripe:evt_budget_2 \(id) applied"])
            #expect(try await service.replay().memberships[id] == service.membership(id))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func badDeliveriesGetAClear4xxAndChangeNothing(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind, payments: [Self.stripe]) { client, test in
            let port = try #require(client.port)
            let service = MembershipService(database: test.database, providers: [Self.stripe], logger: TestDatabases.logger)
            let id = try await service.open(userID: nil, provider: "stripe", pledge: Pledge(amount: Money(units: 150, .zar), interval: .month))
            let now = Date()
            let body = Self.invoicePaid(eventID: "evt_bad", membership: id, amount: 15000, now: now)
            let t = Int64(now.timeIntervalSince1970)
            let good = StripeSignature.header(body: body, timestamp: t, secret: Self.secret)
            func post(_ body: [UInt8], _ headers: [(String, String)], path: String = "/webhooks/stripe") async throws -> (Int, String) {
                let r = try await Self.post(port: port, path: path, body: body, headers: headers)
                return (r.status, String(decoding: r.body, as: UTF8.self))
            }
            let json = ("Content-Type", "application/json")
            #expect(try await post(body, [json, ("Stripe-Signature", StripeSignature.header(body: body, timestamp: t, secret: "whsec_other"))]).0 == 400)
            #expect(try await post(body, [json, ("Stripe-Signature", StripeSignature.header(body: body, timestamp: t - 900, secret: Self.secret))]).1.contains("tolerance"))
            #expect(try await post(body, [json]).1.contains("no signature"))
            #expect(try await post(body, [("Content-Type", "text/plain"), ("Stripe-Signature", good)]).0 == 415)
            let huge = [UInt8](repeating: 0x20, count: MembershipService.webhookLimit + 1)
            #expect(try await post(huge, [json, ("Stripe-Signature", good)]).0 == 413)
            let malformed = Array("{\"id\": 1".utf8)
            let malformedResult = try await post(malformed, [json, ("Stripe-Signature", StripeSignature.header(body: malformed, timestamp: t, secret: Self.secret))])
            #expect(malformedResult.0 == 400 && malformedResult.1.contains("cannot be read"))
            #expect(try await post(body, [("Content-Type", "application/x-www-form-urlencoded")], path: "/webhooks/payfast").0 == 404)
            // Nothing of the above was recorded or applied.
            #expect(try await service.ledgerCount(eventID: "stripe:evt_bad") == 0)
            #expect(try await service.membership(id)?.paidMinor == 0)
            // The genuine one still goes through.
            #expect(try await post(body, [json, ("Stripe-Signature", good)]) == (200, "applied"))
        }
    }
}

/// PayFast's server confirmation, in-process: VALID for the parameter strings it was told it sent.
struct PayFastValidator: HTTPTransport {
    let issued: Set<String>
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        IncomingResponse(status: 200, body: Array((issued.contains(String(decoding: request.body, as: UTF8.self)) ? "VALID" : "INVALID").utf8))
    }
}

@Suite struct PayFastWebhookTests {
    static let passphrase = "jt7NOE43FZPn"

    static func fields(_ membership: String, amount: String) -> [FormField] {
        let unsigned = [FormField("m_payment_id", membership), FormField("pf_payment_id", "1089250"), FormField("payment_status", "COMPLETE"),
                        FormField("item_name", "Quorum membership"), FormField("item_description", ""), FormField("amount_gross", amount),
                        FormField("merchant_id", "10000100"), FormField("token", "tok-1"), FormField("billing_date", CivilDate.dayString(Date()))]
        return unsigned + [FormField("signature", PayFastClient.notificationSignature(unsigned, passphrase: passphrase))]
    }

    @Test(arguments: TestDatabases.kinds)
    func anITNOverHTTPIsCheckedThenAppliedOnce(kind: DatabaseKind) async throws {
        // The membership id is only known once opened, so the validator is told what was sent afterwards.
        let box = IssuedBox()
        let payfast = PayFastClient(configuration: PayFastConfiguration(merchantID: "10000100", merchantKey: "46f0cd694581a",
                                                                       passphrase: Self.passphrase, host: "http://127.0.0.1:9",
                                                                       allowedSources: ["127.0.0.1"]),
                                    transport: box)
        try await LiveServer.run(kind, payments: [payfast]) { client, test in
            let port = try #require(client.port)
            let service = MembershipService(database: test.database, providers: [payfast], logger: TestDatabases.logger)
            let id = try await service.open(userID: nil, provider: "payfast", pledge: Pledge(amount: Money(units: 200, .zar), interval: .month))
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            func post(_ fields: [FormField]) async throws -> (Int, String) {
                let r = try await MembershipWebhookTests.post(port: port, path: "/webhooks/payfast", body: Array(FormEncoding.encode(fields).utf8), headers: form)
                return (r.status, String(decoding: r.body, as: UTF8.self))
            }
            let good = Self.fields(id, amount: "200.00")
            // Not confirmed by PayFast's server yet: refused.
            #expect(try await post(good).0 == 400)
            box.issue(PayFastClient.notificationParameterString(good))
            // Signed for the wrong amount (the form was edited): refused.
            let cheap = Self.fields(id, amount: "20.00")
            box.issue(PayFastClient.notificationParameterString(cheap))
            #expect(try await post(cheap).1.contains("does not match"))
            #expect(try await post(good.filter { $0.name != "pf_payment_id" }).1.contains("pf_payment_id"))
            #expect(try await post(good) == (200, "applied"))
            #expect(try await post(good) == (200, "duplicate"))
            let m = try #require(try await service.membership(id))
            #expect(m.paidMinor == 20000 && m.subscriptionID == "tok-1")
            #expect(service.engine.status(of: m, at: Date()).status == .active)
        }
    }
}

final class IssuedBox: HTTPTransport, @unchecked Sendable {
    let issued = NIOLockedValueBox<Set<String>>([])
    func issue(_ s: String) { issued.withLockedValue { _ = $0.insert(s) } }
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        try await PayFastValidator(issued: issued.withLockedValue { $0 }).send(request)
    }
}
