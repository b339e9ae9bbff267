import Foundation
import Payments
import SQLKit
import Testing
@testable import Accounts
@testable import QuorumApp
@testable import QuorumStore
@testable import QuorumWeb
@testable import Shop
import ShopEngine

@Suite(
    "Browser: pre-ordering from the shop", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver); scripts/test installs them and sets QUORUM_REQUIRE_BROWSER=1")
)
struct BrowserShopTests {
    /// Two copies pre-ordered without an account, paid through the Stripe stand-in's checkout: the donated count
    /// rises by two on the product page and in the promotion under the article, the confirmation reaches the SMTP
    /// server, the admin marks the order shipped and the buyer is emailed the tracking number.
    @Test func aReaderPreOrdersTwoCopiesAndTheAdminShipsThem() async throws {
        let shots = try Screenshots("shop")
        let stripe = try await StripeStandInProcess(secretKey: "sk_test_shop", webhookSecret: "whsec_shop_browser")
        defer { stripe.stop() }
        let start = Date()
        try await BrowserSite.with(environment: [
            "QUORUM_STRIPE_SECRET_KEY": "sk_test_shop", "QUORUM_STRIPE_WEBHOOK_SECRETS": "whsec_shop_browser",
            "QUORUM_STRIPE_API_BASE": stripe.base,
        ], prepare: { f in
            let shop = ShopService(database: f.site.database, logger: TestDatabases.logger)
            var book = ShopFixtures.book(stock: 100, now: start)
            book.slug = "maverickids-3"
            try await shop.create(book)
            _ = try await shop.importPaidOrders((0..<5).map { ShopService.PastOrder(email: "past\($0)@example.com", name: "Past", quantity: 3,
                                                                                     at: start.addingTimeInterval(-86_400)) }, productID: book.id)
            _ = try await UserStore(database: f.site.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
            try await f.site.database.transaction { db in
                try await db.raw("""
                    INSERT INTO promotions (kind, name, kicker, heading, body, fallback, minimum_readers, link_text, link_url, audience,
                                            priority, on_articles, on_home, created_at, updated_at)
                    VALUES ('product', 'Book', 'From our shop', 'Pre-order MavericKids vol 3', \(bind: "{donated} copies donated to {partner} so far."),
                            '', 0, 'Pre-order a copy', '/shop/maverickids-3', 'everyone', 50, 1, 1, 0, 0)
                    """).run()
            }
        }) { site in
            let email = "lindiwe@example.com"
            try await ChromeDriver.with { driver in
                try await driver.withSession { e in
                    try await e.navigate(site.url + "/article/\(site.articleSlug)")
                    try await e.wait(for: "the promotion") { try await e.bodyText.contains("15 copies donated to Gift of the Givers so far.") }

                    try await e.navigate(site.url + "/shop")
                    try await e.waitForPath("^/shop$")
                    try await e.shootBothSizes(shots, "1-shop")
                    try await e.click(".shop-card-link")
                    try await e.waitForPath("^/shop/maverickids-3$")
                    #expect(try await e.text("#donated") == "15 copies donated so far")
                    #expect(try await e.bodyText.contains("R250.00 incl. VAT (15%)"))
                    try await e.shootBothSizes(shots, "2-product")
                    try await e.clear("#quantity")
                    try await e.type("2", into: "#quantity")
                    try await e.click(".shop-add button[type=submit]")
                    try await e.waitForPath("^/shop/cart$")
                    #expect(try await e.bodyText.contains("R500.00"))
                    try await e.shootBothSizes(shots, "3-cart")
                    try await e.click("a.button.primary")
                    try await e.waitForPath("^/shop/checkout$")
                    try await e.type(email, into: "#email")
                    try await e.type("Lindiwe Dlamini", into: "#name")
                    try await e.type("12 Main Road", into: "#line1")
                    try await e.type("Durban", into: "#city")
                    try await e.type("4001", into: "#postalCode")
                    try await e.shootBothSizes(shots, "4-checkout")
                    try await e.click(".shop-checkout button[type=submit]")
                    try await e.waitForPath("^/c/pay/cs_test_")
                    try await shots.save(e, "5-standin-checkout")
                    try await e.click("#standin-pay")
                    try await e.waitForPath("^/shop/orders/ord_")
                    try await e.wait(for: "the payment to be confirmed", timeout: 30) {
                        try await e.navigate(try await e.currentURL)
                        return try await e.bodyText.contains("Paid: we will send it")
                    }
                    let orderURL = try await e.currentURL
                    try await e.shootBothSizes(shots, "6-order-status")

                    try await e.navigate(site.url + "/shop/maverickids-3")
                    #expect(try await e.text("#donated") == "17 copies donated so far")
                    // A new address each time: Chromium keeps the article itself for its max-age of 60 s.
                    var attempt = 0
                    try await e.wait(for: "the promotion's new count") {
                        attempt += 1
                        try await e.navigate(site.url + "/article/\(site.articleSlug)?r=\(attempt)")
                        return try await e.bodyText.contains("17 copies donated to Gift of the Givers so far.")
                    }
                    try await e.shootBothSizes(shots, "6b-article-promotion", scrollTo: ".promotion")

                    try await e.wait(for: "the confirmation email", timeout: 30) {
                        try site.sink.messages().contains { $0.rcpt_tos.contains(email) && ($0.subject ?? "").contains("thank you")
                            && ($0.text ?? "").contains("Total paid: R560.00") }
                    }

                    // The admin marks it shipped; the buyer is emailed the tracking number.
                    let orderID = try #require(Browser.firstMatch(#"/shop/orders/(ord_[A-Za-z0-9_-]+)"#, in: orderURL))
                    try await site.signIn(e, email: "chief@example.com", next: "/admin/shop/orders/\(orderID)")
                    try await e.type("The Courier Guy", into: "#carrier")
                    try await e.type("TCG-778812", into: "#tracking")
                    try await e.click("form[action$='/ship'] button[type=submit]")
                    try await e.wait(for: "shipped") {
                        let body = try await e.bodyText
                        return body.contains("TCG-778812") && body.contains("Sent")
                    }
                    try await e.shootBothSizes(shots, "7-admin-order")
                    try await e.wait(for: "the dispatch email", timeout: 30) {
                        try site.sink.messages().contains { $0.rcpt_tos.contains(email) && ($0.text ?? "").contains("TCG-778812") }
                    }
                    try await e.navigate(orderURL)
                    #expect(try await e.bodyText.contains("Tracking number: TCG-778812"))
                    try await e.shootBothSizes(shots, "8-order-sent")
                }
            }
        }
    }
}
