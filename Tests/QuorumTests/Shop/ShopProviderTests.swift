import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Accounts
import MembershipEngine
@testable import Payments
@testable import QuorumStore
@testable import QuorumWeb
@testable import Shop
import ShopEngine
import SQLKit
import TestSupport

/// A provider stand-in from scripts/standins on a free loopback port, for one test.
final class ShopStandIn: @unchecked Sendable {
    let process = ChildProcess()
    let input = Pipe()
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    init(_ script: String, _ arguments: [String]) async throws {
        let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/standins")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["QUORUM_PYTHON"] ?? "python3", "-u",
                             scripts.appendingPathComponent(script).path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = input  // the stand-in exits when this closes
        try process.run()
        let line = try await onOwnThread { StripeStandInProcess.firstLine(out.fileHandleForReading) }
        guard let port = String(decoding: line, as: UTF8.self).split(separator: "\n").first?.split(separator: " ").last.flatMap({ Int($0) }) else {
            process.terminate()
            throw PaymentError.transport("\(script) did not start: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        let process = process
        Thread.detachNewThread { process.waitUntilExit() }
    }

    /// A control endpoint: POSTs `body` as JSON (GET without one) and parses the JSON answer.
    func control(_ path: String, _ body: [String: Any]? = nil) async throws -> JSONValue {
        let response = try await AsyncHTTPTransport().send(OutgoingRequest(
            method: body == nil ? "GET" : "POST", url: base + path, headers: [("Content-Type", "application/json")],
            body: Array(try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data())))
        return try JSONValue.parse(response.body)
    }

    /// A form post to the stand-in, fields in the order given (PayFast signs them in order).
    func postForm(_ path: String, _ fields: [FormField]) async throws -> IncomingResponse {
        try await AsyncHTTPTransport().send(OutgoingRequest(
            method: "POST", url: base + path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(FormEncoding.encode(fields).utf8)))
    }
}

enum ShopProviderSupport {
    /// Waits until `condition` holds (a provider's notification arrives on its own time).
    static func eventually(_ what: String, timeout: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("timed out waiting for \(what)")
    }

    static func ledgerCount(_ test: TestDatabase, order: String, kind: String) async throws -> Int {
        try await test.database.read { db in
            try await db.select().column("event_id").from("shop_ledger").where("order_id", .equal, SQLBind(order))
                .where("kind", .equal, SQLBind(kind)).all().count
        }
    }

    /// The hidden fields of the page that posts the reader on to the provider, in their order, unescaped.
    static func providerForm(_ html: String) -> (action: String, fields: [FormField])? {
        guard let action = Browser.firstMatch(#"<form method="post" action="([^"]+)" id="provider-form""#, in: html) else { return nil }
        let regex = try! NSRegularExpression(pattern: #"<input type="hidden" name="([^"]+)" value="([^"]*)">"#)
        let fields = regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap { m -> FormField? in
            guard let n = Range(m.range(at: 1), in: html), let v = Range(m.range(at: 2), in: html) else { return nil }
            return FormField(unescape(String(html[n])), unescape(String(html[v])))
        }.filter { $0.name != "csrf" }
        return (unescape(action), fields)
    }

    static func unescape(_ s: String) -> String {
        var out = s
        for (entity, character) in [("&quot;", "\""), ("&lt;", "<"), ("&gt;", ">"), ("&#39;", "'"), ("&#x27;", "'"), ("&#x2F;", "/"),
                                    ("&#61;", "="), ("&#x3D;", "="), ("&#96;", "`"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: character)
        }
        return out
    }

    static func admin(_ browser: Browser, _ mail: CapturedMail, _ test: TestDatabase) async throws {
        _ = try await UserStore(database: test.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
        try await LiveServer.signIn(browser, mail, email: "chief@example.com")
    }
}

/// Orders paid and refunded through the providers' stand-ins (their own implementations of each wire format),
/// on both databases: PayFast's signed checkout form, ITN, server validation and refunds API; Stripe's refunds
/// API with its idempotency rules and the `charge.refunded` webhook it sends.
@Suite struct ShopProviderTests {
    static let merchantID = "10000100", merchantKey = "46f0cd694581a", passphrase = "jt7NOE43FZPn"

    @Test(arguments: TestDatabases.kinds)
    func anOrderPaidThroughPayFastIsValidatedCountedAndRefundedThroughItsAPI(kind: DatabaseKind) async throws {
        let standIn = try await ShopStandIn("payfast_standin.py", ["--merchant-id", Self.merchantID, "--merchant-key", Self.merchantKey,
                                                                   "--passphrase", Self.passphrase])
        let payfast = PayFastClient(configuration: PayFastConfiguration(merchantID: Self.merchantID, merchantKey: Self.merchantKey,
                                                                        passphrase: Self.passphrase, host: standIn.base))
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, payments: [payfast], clock: ShopRouteTests.clock(time)) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            try await shop.create(ShopFixtures.book(stock: 5, now: time.now))
            let site = "http://127.0.0.1:\(try #require(browser.client.port))"

            try await browser.get("/shop/maverickids-3")
            #expect(try await browser.post("/shop/cart/add", ["product": "prd_book", "quantity": "2"]).status == .seeOther)
            try await browser.get("/shop/checkout")
            let go = try await browser.post("/shop/checkout", ["email": "thandi@example.com", "name": "Thandi Nkosi", "shipping": "collect",
                                                               "price": "1", "amount": "1.00"])
            #expect(go.status == .ok)
            let form = try #require(ShopProviderSupport.providerForm(go.text), "the page that posts the reader on to PayFast")
            #expect(form.action == standIn.base + "/eng/process")
            let values = Dictionary(form.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            let orderID = try #require(values["m_payment_id"])
            #expect(orderID.hasPrefix("ord_"))
            #expect(values["amount"] == "500.00", "the server's total, not the form's")
            #expect(values["notify_url"] == "http://localhost/webhooks/payfast")
            #expect(values["email_address"] == "thandi@example.com" && values["name_first"] == "Thandi")
            #expect(values["subscription_type"] == nil)

            // The browser's post to PayFast: the stand-in checks the field order and the signature its own way.
            var tampered = form.fields
            if let i = tampered.firstIndex(where: { $0.name == "amount" }) { tampered[i].value = "1.00" }
            #expect(try await standIn.postForm("/eng/process", tampered).status == 400, "a changed amount breaks the signature")
            let posted = try await standIn.postForm("/eng/process", form.fields)
            #expect(posted.status == 200, "\(String(decoding: posted.body, as: UTF8.self))")

            // An ITN whose amount is not the order's: refused before PayFast is asked; the order stays unpaid.
            let cheap = try await standIn.control("/_standin/pay", ["m_payment_id": orderID, "amount": "1.00", "deliver_to": site])
            #expect(cheap["status"].int == 400, "\(cheap)")
            #expect(cheap["body"].string?.contains("does not match") == true)
            // Correctly signed but not one PayFast sent: its server answers INVALID; still unpaid.
            let forged = try await standIn.control("/_standin/pay", ["m_payment_id": orderID, "unissued": true, "deliver_to": site])
            #expect(forged["status"].int == 400, "\(forged)")
            #expect(forged["body"].string?.contains("INVALID") == true)
            #expect(try await shop.order(orderID)?.status == .pending)
            #expect(try await shop.product(id: "prd_book")?.donated == 0)
            let validations = try await standIn.control("/_standin/requests")
            guard case let .array(seen) = validations else { Issue.record("no requests"); return }
            #expect(seen.filter { $0["path"].string == "/eng/query/validate" }.map { $0["answer"].string } == ["INVALID"],
                    "only the correctly signed ITN of the right amount is confirmed with PayFast")

            // The payment: posted by the stand-in to the notify URL, confirmed VALID, the order paid, two copies counted.
            let paid = try await standIn.control("/_standin/pay", ["m_payment_id": orderID, "deliver_to": site])
            #expect(paid["status"].int == 200 && paid["body"].string == "applied", "\(paid)")
            let pfPaymentID = try #require(paid["pf_payment_id"].string)
            #expect(try await shop.order(orderID)?.status == .paid)
            #expect(try await shop.product(id: "prd_book")?.donated == 2)
            #expect(try await browser.get("/shop/maverickids-3").text.contains("<strong>2</strong> copies donated"))
            let confirmation = try await mail.latest(to: "thandi@example.com", kind: "shop-confirmation")
            #expect(confirmation.text.contains("Total paid: R500.00"))
            // The same ITN again (PayFast retries until it gets a 200): a duplicate, counted once.
            let again = try await browser.client.execute(uri: "/webhooks/payfast", method: .post,
                                                         headers: [.contentType: "application/x-www-form-urlencoded"],
                                                         body: ByteBuffer(string: try #require(paid["itn"].string)))
            #expect(again.text == "duplicate")
            #expect(try await shop.product(id: "prd_book")?.donated == 2)
            try await ShopFixtures.expectConsistent(shop)

            // A refund of one copy through PayFast's refunds API, then in the ledger; the same form again refunds nothing more.
            try await ShopProviderSupport.admin(browser, mail, test)
            let page = try await browser.get("/admin/shop/orders/\(orderID)")
            #expect(!page.text.contains("refunded_at_provider"), "PayFast refunds through its API, not by hand")
            let refund = ["r_prd_book": "1", "nonce": "pf1", "reason": "Damaged copy"]
            let refunded = try await browser.post("/admin/shop/orders/\(orderID)/refund", refund)
            #expect(refunded.status == .seeOther, "\(refunded.text)")
            try await browser.get("/admin/shop/orders/\(orderID)")
            #expect(try await browser.post("/admin/shop/orders/\(orderID)/refund", refund).status == .seeOther)
            let api = try await standIn.control("/_standin/api-requests")
            guard case let .array(calls) = api else { Issue.record("no API calls"); return }
            let refunds = calls.filter { $0["path"].string == "/refunds/\(pfPaymentID)" }
            #expect(refunds.count == 1, "one refund for one form: \(api)")
            #expect(refunds.first?["problems"] == .array([]), "headers, signature and body as PayFast takes them: \(api)")
            #expect(refunds.first?["status"].int == 200)
            let body = Dictionary((refunds.first.flatMap { r -> [(String, String)]? in
                guard case let .array(pairs) = r["form"] else { return nil }
                return pairs.compactMap { p in p[0].string.map { ($0, p[1].string ?? "") } }
            } ?? []), uniquingKeysWith: { a, _ in a })
            #expect(body == ["amount": "25000", "notify_buyer": "1", "reason": "Damaged copy"])
            #expect(try await shop.order(orderID)?.status == .partiallyRefunded)
            #expect(try await shop.product(id: "prd_book")?.donated == 1)
            try await ShopFixtures.expectConsistent(shop)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func anAdminRefundsAStripeOrderInPartThenInFullThroughTheStandIn(kind: DatabaseKind) async throws {
        let standIn = try await StripeStandInProcess(secretKey: "sk_test_shop", webhookSecret: ShopWebhooks.secret)
        defer { standIn.stop() }
        let stripe = StripeClient(configuration: StripeConfiguration(apiBase: standIn.base, secretKey: "sk_test_shop",
                                                                     webhookSecrets: [ShopWebhooks.secret], retryBackoff: .milliseconds(20)))
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, payments: [stripe], clock: ShopRouteTests.clock(time)) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            // Two copies given away for every one sold.
            var book = ShopFixtures.book(stock: 5, now: time.now)
            book.donation = Donation(partner: "Gift of the Givers", donated: 2, sold: 1)
            try await shop.create(book)
            _ = try await standIn.control("/_standin/deliver-to", ["origin": "http://127.0.0.1:\(try #require(browser.client.port))"])

            try await browser.get("/shop/maverickids-3")
            #expect(try await browser.post("/shop/cart/add", ["product": "prd_book", "quantity": "3"]).status == .seeOther)
            try await browser.get("/shop/checkout")
            let go = try await browser.post("/shop/checkout", ["email": "thandi@example.com", "name": "Thandi Nkosi", "shipping": "courier-za",
                                                               "country": "ZA", "line1": "1 Long Street", "city": "Cape Town", "postalCode": "8001"])
            let pay = try #require(go.headers[.location])
            #expect(pay.hasPrefix(standIn.base + "/c/pay/cs_test_"))
            // The reader pays on the stand-in's checkout page (its redirect back is not followed: the site's
            // configured address has no port here).
            let hosted = TestClient(host: "127.0.0.1", port: standIn.port, configuration: .init(timeout: .seconds(20)))
            hosted.connect()
            let paid = try await hosted.post(String(pay.dropFirst(standIn.base.count)), body: ByteBuffer())
            try await hosted.shutdown()
            #expect(paid.head.status == .seeOther)
            #expect(paid.head.headerFields[.location]?.hasPrefix("http://localhost/shop/orders/ord_") == true)
            let orderID = try #require(try await test.database.read { db in
                try await db.select().column("id").from("shop_orders").first()?.decode(column: "id", as: String.self)
            })
            try await ShopProviderSupport.eventually("the payment") { try await shop.order(orderID)?.status == .paid }
            #expect(try await shop.product(id: "prd_book")?.donated == 6)
            let row = try #require(try await shop.orderRow(orderID))
            #expect(row.paymentRef.hasPrefix("pi_"))

            // One copy back: Stripe's refund, then its charge.refunded; two donated copies fewer.
            try await ShopProviderSupport.admin(browser, mail, test)
            try await browser.get("/admin/shop/orders/\(orderID)")
            let one = ["r_prd_book": "1", "nonce": "s1", "reason": "Arrived damaged"]
            #expect(try await browser.post("/admin/shop/orders/\(orderID)/refund", one).status == .seeOther)
            try await ShopProviderSupport.eventually("charge.refunded") {
                try await ShopProviderSupport.ledgerCount(test, order: orderID, kind: "refund_reported") == 1
            }
            #expect(try await shop.order(orderID)?.status == .partiallyRefunded)
            #expect(try await shop.order(orderID)?.refundedMinor == 25_000)
            #expect(try await shop.product(id: "prd_book")?.donated == 4)
            try await ShopFixtures.expectConsistent(shop)

            // The same form again: the ledger has that refund already, so Stripe is not asked again. Asked again
            // with the same key and parameters (a retry after a lost answer), Stripe answers with the same refund
            // and sends no second notification.
            try await browser.get("/admin/shop/orders/\(orderID)")
            #expect(try await browser.post("/admin/shop/orders/\(orderID)/refund", one).status == .seeOther)
            try await stripe.refundOrder(orderID: orderID, paymentRef: row.paymentRef, amount: Money(minor: 25_000, currency: .zar),
                                         reason: "Arrived damaged", idempotencyKey: "refund:\(orderID):s1")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await ShopProviderSupport.ledgerCount(test, order: orderID, kind: "refund_reported") == 1)
            #expect(try await ShopProviderSupport.ledgerCount(test, order: orderID, kind: "copies_refunded") == 1)
            #expect(try await shop.product(id: "prd_book")?.donated == 4)
            // The same key with other parameters is Stripe's idempotency error.
            await #expect(throws: PaymentError.self) {
                try await stripe.refundOrder(orderID: orderID, paymentRef: row.paymentRef, amount: Money(minor: 100, currency: .zar),
                                             reason: "", idempotencyKey: "refund:\(orderID):s1")
            }
            let log = try JSONValue.parse(Array(try await AsyncHTTPTransport().send(OutgoingRequest(
                method: "GET", url: standIn.base + "/_standin/requests", headers: [], body: [])).body))
            guard case let .array(requests) = log else { Issue.record("no requests"); return }
            let refunds = requests.filter { $0["path"].string == "/v1/refunds" }
            #expect(refunds.map { $0["idempotency_key"].string } == ["refund:\(orderID):s1", "refund:\(orderID):s1"],
                    "the idempotency error is answered before the request is kept")
            #expect(refunds.map { $0["replayed"].bool } == [false, true])
            let form = Dictionary((refunds.first.flatMap { r -> [(String, String)]? in
                guard case let .array(pairs) = r["form"] else { return nil }
                return pairs.compactMap { p in p[0].string.map { ($0, p[1].string ?? "") } }
            } ?? []), uniquingKeysWith: { a, _ in a })
            #expect(form == ["payment_intent": row.paymentRef, "amount": "25000", "metadata[order_id]": orderID,
                             "metadata[reason]": "Arrived damaged"])

            // The rest, shipping included: refunded in full, nothing counted.
            try await browser.get("/admin/shop/orders/\(orderID)")
            #expect(try await browser.post("/admin/shop/orders/\(orderID)/refund", ["r_prd_book": "2", "shipping": "1", "nonce": "s2"]).status == .seeOther)
            try await ShopProviderSupport.eventually("the second charge.refunded") {
                try await ShopProviderSupport.ledgerCount(test, order: orderID, kind: "refund_reported") == 2
            }
            #expect(try await shop.order(orderID)?.status == .refunded)
            #expect(try await shop.order(orderID)?.refundedMinor == 81_000)
            #expect(try await shop.product(id: "prd_book")?.donated == 0)
            // Stripe's last notification delivered again: a duplicate.
            let raw = try #require(try await test.database.read { db in
                try await db.select().column("raw_payload").from("shop_ledger").where("order_id", .equal, SQLBind(orderID))
                    .where("kind", .equal, SQLBind("refund_reported")).orderBy("id", .descending).first()?
                    .decode(column: "raw_payload", as: String.self)
            })
            #expect(try await ShopWebhooks.deliver(browser, Array(raw.utf8), at: Date()).text == "duplicate")
            // Nothing is left to refund: the admin's form is refused before Stripe is asked.
            try await browser.get("/admin/shop/orders/\(orderID)")
            #expect(try await browser.post("/admin/shop/orders/\(orderID)/refund", ["r_prd_book": "1", "nonce": "s3"]).status != .seeOther)
            #expect(try await shop.product(id: "prd_book")?.donated == 0)
            try await ShopFixtures.expectConsistent(shop)
        }
    }
}
