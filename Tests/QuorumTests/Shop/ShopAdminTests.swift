import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Accounts
import MembershipEngine
import Payments
@testable import QuorumStore
@testable import QuorumWeb
@testable import Shop
import ShopEngine
import SQLKit

/// The admin's shop over real HTTP on both databases: who may see it, products, orders (filters, search, CSV),
/// shipping with the dispatch email, the packing slip, a refund through Stripe, the donation report.
@Suite struct ShopAdminTests {
    @Test(arguments: TestDatabases.kinds)
    func anAdminRunsTheShop(kind: DatabaseKind) async throws {
        let recorder = StripeRecorder()
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, payments: [ShopWebhooks.stripe(recorder)], clock: ShopRouteTests.clock(time)) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            #expect(try await browser.get("/admin/shop").headers[.location] == "/signin?next=/admin/shop")
            try await LiveServer.signIn(browser, mail, email: "reader@example.com")
            #expect(try await browser.get("/admin/shop/orders").status == .forbidden)
            _ = try await UserStore(database: test.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
            try await LiveServer.signIn(browser, mail, email: "chief@example.com")

            // A product: a bad price is refused with the reason; then created, published, with a partner.
            try await browser.get("/admin/shop/products/new")
            let bad = try await browser.post("/admin/shop/products/new", ["title": "MavericKids vol 3", "price": "two hundred", "stock": "10"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("Enter the price with VAT"))
            let release = ISO8601DateFormatter.string(from: time.now.addingTimeInterval(30 * 86_400), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            let created = try await browser.post("/admin/shop/products/new", [
                "title": "MavericKids vol 3", "price": "250.00", "stock": "10", "state": "published", "releaseAt": release,
                "description": "Stories for **young** readers.", "partner": "Gift of the Givers", "partnerURL": "https://giftofthegivers.org",
                "donatePer": "1", "soldPer": "1", "limit": "5",
            ])
            #expect(created.status == .seeOther)
            let product = try #require(try await shop.product(slug: "maverickids-vol-3"))
            #expect(product.priceMinor == 25_000 && product.donation?.partner == "Gift of the Givers")
            #expect(try await browser.get("/admin/shop/products/\(product.id)/preview").text.contains("Preview: readers do not see"))
            #expect(try await browser.get("/shop").text.contains("MavericKids vol 3"))

            // An order, paid through Stripe's notification.
            let buyer = ShopService.Buyer(email: "thandi@example.com", address: Address(name: "=HYPERLINK(\"x\")", line1: "1 Long Street",
                                                                                       city: "Cape Town", postalCode: "8001", country: "ZA"),
                                          shippingID: "courier-za")
            let opened = try await shop.checkout([(product.id, 3)], buyer: buyer, provider: "stripe")
            let paid = try await ShopWebhooks.deliver(browser, ShopWebhooks.sessionCompleted(event: "evt_a", order: opened.order.id, amount: 81_000, at: time.now), at: time.now)
            #expect(paid.text == "applied")
            let number = ShopText.number(opened.number)

            let list = try await browser.get("/admin/shop/orders?status=paid")
            #expect(list.text.contains(number))
            #expect(try await browser.get("/admin/shop/orders?q=thandi%40example").text.contains(number))
            #expect(!(try await browser.get("/admin/shop/orders?q=nobody").text.contains(number)))
            #expect(!(try await browser.get("/admin/shop/orders?q=%25").text.contains(number)), "% is taken literally")
            let csv = try await browser.get("/admin/shop/orders.csv")
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.contains("\(number),\(opened.order.id)"))
            #expect(csv.text.contains(#""'=HYPERLINK(""x"")""#), "a formula is written as text: \(csv.text)")

            // Shipping: the tracking number is required; then the buyer is emailed.
            try await browser.get("/admin/shop/orders/\(opened.order.id)")
            let noTracking = try await browser.post("/admin/shop/orders/\(opened.order.id)/ship", ["tracking": " ", "nonce": "n1"])
            #expect(noTracking.status == .conflict || noTracking.status == .unprocessableContent)
            let shipped = try await browser.post("/admin/shop/orders/\(opened.order.id)/ship", ["carrier": "The Courier Guy", "tracking": "TCG123", "nonce": "n2"])
            #expect(shipped.status == .seeOther)
            #expect(try await shop.order(opened.order.id)?.status == .fulfilled)
            let dispatch = try await mail.latest(to: "thandi@example.com", kind: "shop-dispatch")
            #expect(dispatch.text.contains("TCG123") && dispatch.text.contains("The Courier Guy") && dispatch.subject.contains(number))
            let slip = try await browser.get("/admin/shop/orders/\(opened.order.id)/slip")
            #expect(slip.status == .ok && slip.text.contains("1 Long Street") && slip.text.contains("packing slip"))

            // A refund of one copy goes through Stripe first, then the donated count drops by one.
            try await browser.get("/admin/shop/orders/\(opened.order.id)")
            let tooMany = try await browser.post("/admin/shop/orders/\(opened.order.id)/refund", ["r_\(product.id)": "9", "nonce": "r0"])
            #expect(tooMany.status == .unprocessableContent)
            let refunded = try await browser.post("/admin/shop/orders/\(opened.order.id)/refund", ["r_\(product.id)": "1", "nonce": "r1"])
            #expect(refunded.status == .seeOther)
            let refundCall = try #require(recorder.sent.withLockedValue { $0.last })
            #expect(refundCall.url.hasSuffix("/v1/refunds"))
            let refundForm = String(decoding: refundCall.body, as: UTF8.self)
            #expect(refundForm.contains("payment_intent=pi_evt_a") && refundForm.contains("amount=25000"))
            #expect(refundCall.headers.contains { $0.0 == "Idempotency-Key" && $0.1 == "refund:\(opened.order.id):r1" })
            #expect(try await shop.order(opened.order.id)?.status == .partiallyRefunded)
            #expect(try await shop.product(id: product.id)?.donated == 2)
            // Stripe's own report of the same refund confirms it; the count does not move again.
            let report = try await ShopWebhooks.deliver(browser, ShopWebhooks.chargeRefunded(event: "evt_r", order: opened.order.id, total: 25_000, at: time.now), at: time.now)
            #expect(report.status == .ok)
            #expect(try await shop.product(id: product.id)?.donated == 2)
            try await ShopFixtures.expectConsistent(shop, product.id)

            let donations = try await browser.get("/admin/shop/donations")
            #expect(donations.text.contains("Gift of the Givers") && donations.text.contains("<td>2</td><td>2</td>"))
            let partnerCSV = try await browser.get("/admin/shop/donations.csv")
            #expect(partnerCSV.text.contains("Gift of the Givers,MavericKids vol 3,2,2"))

            // Release day: the pre-order's release email, once.
            time.advance(31 * 86_400)
            let site = Site(configuration: LiveServer.configuration(for: test), database: test.database, theme: try Theme.load(overrides: nil),
                            logger: TestDatabases.logger)
            let mailing = ShopService(database: test.database, mail: ShopMail(site: site), logger: TestDatabases.logger, now: { time.now })
            #expect(try await mailing.sendReleaseEmails() == 1)
            #expect(try await mailing.sendReleaseEmails() == 0)
            let kinds = try await test.database.read { db in
                try await db.select().column("kind").from("outbox").where("to_address", .equal, SQLBind("thandi@example.com")).all()
                    .map { try $0.decode(column: "kind", as: String.self) }
            }
            #expect(kinds.filter { $0 == "shop-release" }.count == 1)
        }
    }
}
