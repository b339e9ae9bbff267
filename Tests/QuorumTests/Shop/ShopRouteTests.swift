import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing
import MembershipEngine
import Payments
@testable import QuorumApp
@testable import QuorumStore
@testable import QuorumWeb
@testable import Shop
import ShopEngine

/// Stripe's API as far as the shop needs it, in process: a checkout session per request (the same one for a
/// repeated Idempotency-Key), refunds; keeps what was sent.
final class StripeRecorder: HTTPTransport, @unchecked Sendable {
    let sent = NIOLockedValueBox<[OutgoingRequest]>([])
    func send(_ request: OutgoingRequest) async throws -> IncomingResponse {
        let n = sent.withLockedValue { $0.append(request); return $0.count }
        if request.url.hasSuffix("/v1/refunds") {
            return IncomingResponse(status: 200, body: Array(#"{"id":"re_\#(n)","object":"refund","status":"succeeded"}"#.utf8))
        }
        return IncomingResponse(status: 200, body: Array(#"{"id":"cs_test_\#(n)","url":"https://checkout.stripe.test/c/pay/cs_test_\#(n)"}"#.utf8))
    }

    func form(_ i: Int) -> String { sent.withLockedValue { String(decoding: $0[i].body, as: UTF8.self) } }
    var count: Int { sent.withLockedValue { $0.count } }
}

enum ShopWebhooks {
    static let secret = "whsec_shop"

    static func stripe(_ recorder: StripeRecorder) -> StripeClient {
        StripeClient(configuration: StripeConfiguration(apiBase: "https://api.stripe.test", secretKey: "sk_test_shop",
                                                        webhookSecrets: [secret]), transport: recorder)
    }

    static func sessionCompleted(event: String, order: String, amount: Int64, at: Date) -> [UInt8] {
        let t = Int64(at.timeIntervalSince1970)
        return Array(#"""
        {"id":"\#(event)","object":"event","created":\#(t),"type":"checkout.session.completed","data":{"object":{"id":"cs_\#(event)","object":"checkout.session","mode":"payment","payment_status":"paid","client_reference_id":"\#(order)","metadata":{"order_id":"\#(order)"},"payment_intent":"pi_\#(event)","amount_total":\#(amount),"currency":"zar"}}}
        """#.utf8)
    }

    static func chargeRefunded(event: String, order: String, total: Int64, at: Date) -> [UInt8] {
        let t = Int64(at.timeIntervalSince1970)
        return Array(#"""
        {"id":"\#(event)","object":"event","created":\#(t),"type":"charge.refunded","data":{"object":{"id":"ch_\#(order)","object":"charge","metadata":{"order_id":"\#(order)"},"amount_refunded":\#(total),"currency":"zar"}}}
        """#.utf8)
    }

    static func deliver(_ browser: Browser, _ body: [UInt8], at: Date) async throws -> TestResponse {
        let header = StripeSignature.header(body: body, timestamp: Int64(at.timeIntervalSince1970), secret: secret)
        return try await browser.client.execute(uri: "/webhooks/stripe", method: .post,
                                                headers: [.contentType: "application/json", HTTPField.Name("Stripe-Signature")!: header],
                                                body: .init(bytes: body))
    }
}

@Suite struct ShopRouteTests {
    static func clock(_ c: ShopClock) -> SiteClock { SiteClock { Timestamp(c.now) } }

    @Test(arguments: TestDatabases.kinds)
    func aReaderPreOrdersTwoCopiesPaysAndTheDonatedCountRises(kind: DatabaseKind) async throws {
        let recorder = StripeRecorder()
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, payments: [ShopWebhooks.stripe(recorder)], clock: Self.clock(time)) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            try await shop.create(ShopFixtures.book(stock: 5, now: time.now))

            let list = try await browser.get("/shop")
            #expect(list.status == .ok)
            #expect(list.text.contains("MavericKids vol 3") && list.text.contains("Pre-order"))
            #expect(list.text.contains("<strong>0</strong> copies donated"))
            let page = try await browser.get("/shop/maverickids-3")
            #expect(page.status == .ok)
            #expect(page.text.contains("R250.00") && page.text.contains("incl. VAT (15%)"))
            #expect(page.text.contains("A book for <strong>every</strong> child."))
            #expect(page.text.contains("released on"))
            #expect(try await browser.get("/shop/no-such-book").status == .notFound)

            // Bad quantities: the product page again with the problem; nothing in the cart.
            for (bad, expected) in [("0", "at least 1"), ("-1", "at least 1"), ("999999999", "At most 5"), ("two", "not a number"), ("", "how many")] {
                let r = try await browser.post("/shop/cart/add", ["product": "prd_book", "quantity": bad])
                #expect(r.status == .unprocessableContent, "quantity \(bad)")
                #expect(r.text.contains(expected), "quantity \(bad): \(r.text.prefix(0))")
                #expect(browser.cookie("quorum_cart") == nil)
            }
            #expect(try await browser.post("/shop/cart/add", ["product": "prd_nope", "quantity": "1"]).status == .notFound)
            // Without the CSRF token: refused.
            #expect(try await browser.post("/shop/cart/add", ["product": "prd_book", "quantity": "1"], csrf: .some(nil)).status == .forbidden)

            let added = try await browser.post("/shop/cart/add", ["product": "prd_book", "quantity": "2"])
            #expect(added.status == .seeOther && added.headers[.location] == "/shop/cart")
            let cart = try await browser.get("/shop/cart")
            #expect(cart.text.contains("R500.00") && cart.text.contains(#"value="2""#))

            // Missing and malformed address fields: the checkout again, each field's problem shown, nothing reserved.
            try await browser.get("/shop/checkout")
            let missing = try await browser.post("/shop/checkout", ["email": "thandi@example.com", "name": "Thandi", "shipping": "courier-za",
                                                                    "country": "ZA", "line1": "", "city": "", "postalCode": "12"])
            #expect(missing.status == .unprocessableContent)
            #expect(missing.text.contains("Enter the street address.") && missing.text.contains("4 digits"))
            #expect(try await shop.product(id: "prd_book")?.stock == 5)
            #expect(recorder.count == 0)
            let noEmail = try await browser.post("/shop/checkout", ["email": "not-an-address", "name": "Thandi", "shipping": "collect"])
            #expect(noEmail.status == .unprocessableContent)

            // A tampered form (price, product, total) changes nothing: prices and products come from the server.
            let go = try await browser.post("/shop/checkout", [
                "email": "thandi@example.com", "name": "Thandi Nkosi", "shipping": "courier-za", "country": "ZA",
                "line1": "1 Long Street", "city": "Cape Town", "postalCode": "8001",
                "price": "1", "unit_amount": "1", "product": "prd_other", "total": "1",
            ])
            #expect(go.status == .seeOther)
            #expect(go.headers[.location]?.hasPrefix("https://checkout.stripe.test/c/pay/") == true)
            let form = recorder.form(0)
            #expect(form.contains("mode=payment") && form.contains("submit_type=pay"))
            #expect(form.contains("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=25000"))
            #expect(form.contains("line_items%5B0%5D%5Bquantity%5D=2"))
            #expect(form.contains("line_items%5B1%5D%5Bprice_data%5D%5Bunit_amount%5D=6000"))
            #expect(!form.contains("unit_amount%5D=1&"))
            let orderID = try #require(Browser.firstMatch(#"client_reference_id=(ord_[^&]+)"#, in: form))
            #expect(try await shop.product(id: "prd_book")?.stock == 3)
            #expect(browser.cookie("quorum_cart") == nil || browser.cookie("quorum_cart") == "", "the cart is emptied")

            // Stripe's notification, twice: applied once; the donated count rises by two.
            let paid = ShopWebhooks.sessionCompleted(event: "evt_pay_1", order: orderID, amount: 56_000, at: time.now)
            let first = try await ShopWebhooks.deliver(browser, paid, at: time.now)
            #expect(first.status == .ok && first.text == "applied")
            #expect(try await ShopWebhooks.deliver(browser, paid, at: time.now).text == "duplicate")
            #expect(try await browser.get("/shop/maverickids-3").text.contains("<strong>2</strong> copies donated"))
            // An underpayment for the order is rejected by the engine, not applied.
            #expect(try await shop.order(orderID)?.status == .paid)

            // The confirmation: order number, receipt, VAT; its link opens the order page without an account.
            let confirmation = try await mail.latest(to: "thandi@example.com", kind: "shop-confirmation")
            #expect(confirmation.subject.contains("Q-0000"))
            #expect(confirmation.text.contains("2 × MavericKids vol 3 at R250.00: R500.00"))
            #expect(confirmation.text.contains("Total paid: R560.00 (includes VAT at 15%: R73.04)"))
            let link = try #require(confirmation.linkPath)
            let status = try await browser.get(link)
            #expect(status.status == .ok && status.text.contains("Paid: we will send it"))
            #expect(try await browser.get("/shop/orders/\(orderID)?t=forged").status == .notFound)
            #expect(try await browser.get("/shop/orders/\(orderID)").status == .notFound)
            try await ShopFixtures.expectConsistent(shop)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func anOrderPaidAfterItExpiredIsHonouredWhileStockLastsAndSignedInReadersSeeTheirOrders(kind: DatabaseKind) async throws {
        let recorder = StripeRecorder()
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, payments: [ShopWebhooks.stripe(recorder)], clock: Self.clock(time)) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            try await shop.create(ShopFixtures.book(stock: 3, now: time.now))
            try await LiveServer.signIn(browser, mail, email: "reader@example.com", next: "/shop")
            try await browser.get("/shop/maverickids-3")
            #expect(try await browser.post("/shop/cart/add", ["product": "prd_book", "quantity": "3"]).status == .seeOther)
            try await browser.get("/shop/checkout")
            let go = try await browser.post("/shop/checkout", ["email": "reader@example.com", "name": "A Reader", "shipping": "collect"])
            #expect(go.status == .seeOther)
            let orderID = try #require(Browser.firstMatch(#"client_reference_id=(ord_[^&]+)"#, in: recorder.form(0)))
            #expect(try await shop.product(id: "prd_book")?.stock == 0)

            // Unpaid past its hold: expired, copies back.
            time.advance(31 * 60)
            #expect(try await shop.expireDue() == 1)
            #expect(try await shop.product(id: "prd_book")?.stock == 3)
            // Then the payment arrives: copies are free, so it is honoured.
            let late = try await ShopWebhooks.deliver(browser, ShopWebhooks.sessionCompleted(event: "evt_late", order: orderID, amount: 75_000, at: time.now), at: time.now)
            #expect(late.text == "applied")
            #expect(try await shop.order(orderID)?.status == .paid)
            #expect(try await shop.product(id: "prd_book")?.stock == 0)

            let account = try await browser.get("/account")
            #expect(account.text.contains("Your orders") && account.text.contains("Paid: we will send it"))
            #expect(account.text.contains("R750.00"))
            try await ShopFixtures.expectConsistent(shop)
        }
    }

    /// The demo's book and its promotion under the articles: the donated count is in the hundreds, and a paid
    /// pre-order of two raises it by two on the product page and in the promotion block of a cached article page.
    @Test(arguments: TestDatabases.kinds)
    func theDemoPromotionShowsTheLiveDonatedCount(kind: DatabaseKind) async throws {
        let recorder = StripeRecorder()
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, payments: [ShopWebhooks.stripe(recorder)], clock: Self.clock(time)) { browser, mail, test in
            var configuration = LiveServer.configuration(for: test)
            configuration.siteURL = "http://localhost"
            _ = try await DemoContent.load(into: test.database, configuration: configuration)
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            let book = try #require(try await shop.product(slug: DemoShop.slug))
            #expect(book.donated >= 200 && book.donated < 1_000, "in the hundreds: \(book.donated)")
            try await ShopFixtures.expectConsistent(shop, book.id)
            let before = ShopText.grouped(book.donated)
            let article = "/article/\(DemoContent.flagshipSlug)"
            let first = try await browser.get(article)
            #expect(first.text.contains("\(before) copies donated to Gift of The Givers so far"), "the promotion quotes the count")
            _ = try await browser.get(article)  // cached now

            let opened = try await shop.checkout([(book.id, 2)], buyer: ShopFixtures.buyer(), provider: "stripe")
            let paid = try await ShopWebhooks.deliver(browser, ShopWebhooks.sessionCompleted(event: "evt_demo", order: opened.order.id,
                                                                                              amount: opened.order.totalMinor, at: time.now), at: time.now)
            #expect(paid.text == "applied")
            let after = ShopText.grouped(book.donated + 2)
            #expect(try await browser.get("/shop/\(DemoShop.slug)").text.contains("<strong>\(after)</strong> copies donated"))
            #expect(try await browser.get(article).text.contains("\(after) copies donated to Gift of The Givers so far"))
        }
    }
}
