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

/// The admin's product editor (shipping options per product, the cover from the image store) and the order list's
/// keyset paging, over real HTTP on both databases.
@Suite struct ShopEditorTests {
    static func product(_ extra: [String: String]) -> [String: String] {
        ["title": "MavericKids vol 3", "price": "250.00", "stock": "100", "state": "published", "limit": "5",
         "collectLabel": "Collect from the newsroom"].merging(extra) { _, new in new }
    }

    @Test(arguments: TestDatabases.kinds)
    func shippingOptionsAreEditedValidatedStoredAndPriced(kind: DatabaseKind) async throws {
        let recorder = StripeRecorder()
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, payments: [ShopWebhooks.stripe(recorder)], clock: ShopRouteTests.clock(time)) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            try await ShopProviderSupport.admin(browser, mail, test)
            let blank = try await browser.get("/admin/shop/products/new")
            #expect(blank.text.contains(#"name="ship_rate_0" value="60.00""#), "a new product starts with the default rates")

            // Each problem named; nothing saved.
            let bad = try await browser.post("/admin/shop/products/new", Self.product([
                "ship_label_0": "Courier", "ship_rate_0": "sixty", "ship_countries_0": "ZA, XX",
                "ship_label_1": "", "ship_rate_1": "10.00", "ship_countries_1": "za",
            ]))
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("Courier rate 1: enter the rate with VAT"))
            #expect(bad.text.contains("Courier rate 1: XX is not a country the shop takes addresses for"))
            #expect(bad.text.contains("Courier rate 2: name it"))
            #expect(bad.text.contains("Courier rate 2: ZA already has a rate"))
            #expect(bad.text.contains(#"value="sixty""#), "the form comes back as typed")
            let none = try await browser.post("/admin/shop/products/new", Self.product([:]))
            #expect(none.status == .unprocessableContent && none.text.contains("Offer collection or at least one courier rate."))
            #expect(try await shop.product(slug: "maverickids-vol-3") == nil)

            // No collection; a national rate and one for the neighbours.
            let saved = try await browser.post("/admin/shop/products/new", Self.product([
                "ship_label_0": "Courier in South Africa", "ship_rate_0": "45", "ship_countries_0": "za",
                "ship_label_1": "Neighbours", "ship_rate_1": "120.50", "ship_countries_1": "NA BW",
            ]))
            #expect(saved.status == .seeOther)
            let p = try #require(try await shop.product(slug: "maverickids-vol-3"))
            #expect(p.shipping.map(\.label) == ["Courier in South Africa", "Neighbours"])
            #expect(p.shipping.map(\.minor) == [4_500, 12_050])
            #expect(p.shipping.map(\.countries) == [["ZA"], ["NA", "BW"]])
            #expect(!p.shipping.contains { $0.isCollection })
            let edit = try await browser.get("/admin/shop/products/\(p.id)")
            #expect(edit.text.contains(#"value="120.50""#) && edit.text.contains(#"value="NA, BW""#))
            #expect(!edit.text.contains(#"name="collect" value="1" checked"#))
            // Saved again unchanged: the options keep their ids (orders name them).
            let ids = p.shipping.map(\.id)
            var again = Self.product(["slug": "maverickids-vol-3"])
            for (k, v) in ShopAdmin.shippingValues(p.shipping) { again[k] = v }
            #expect(try await browser.post("/admin/shop/products/\(p.id)", again).status == .seeOther)
            #expect(try await shop.product(id: p.id)?.shipping.map(\.id) == ids)

            // The reader's checkout offers these, at these rates; collection is refused; the total is the server's.
            try await browser.get("/shop/maverickids-vol-3")
            #expect(try await browser.post("/shop/cart/add", ["product": p.id, "quantity": "2"]).status == .seeOther)
            let checkout = try await browser.get("/shop/checkout")
            #expect(checkout.text.contains("Courier in South Africa (R45.00)") && checkout.text.contains("Neighbours (R120.50)"))
            #expect(!checkout.text.contains("Collect"))
            let collect = try await browser.post("/shop/checkout", ["email": "thandi@example.com", "name": "Thandi", "shipping": "collect"])
            #expect(collect.status.code >= 400 && collect.status.code < 500)
            #expect(try await shop.product(id: p.id)?.stock == 100)
            let wrongCountry = try await browser.post("/shop/checkout", [
                "email": "thandi@example.com", "name": "Thandi", "shipping": ids[0], "country": "NA", "line1": "1 Sam Nujoma Ave",
                "city": "Windhoek", "postalCode": "10001",
            ])
            #expect(wrongCountry.status.code >= 400 && wrongCountry.status.code < 500, "the national rate does not deliver to Namibia")
            let go = try await browser.post("/shop/checkout", [
                "email": "thandi@example.com", "name": "Thandi", "shipping": ids[0], "country": "ZA", "line1": "1 Long Street",
                "city": "Cape Town", "postalCode": "8001", "shippingMinor": "0",
            ])
            #expect(go.status == .seeOther)
            let form = recorder.form(0)
            #expect(form.contains("line_items%5B1%5D%5Bprice_data%5D%5Bunit_amount%5D=4500"), "\(form)")
            let orderID = try #require(Browser.firstMatch(#"client_reference_id=(ord_[^&]+)"#, in: form))
            #expect(try await shop.order(orderID)?.totalMinor == 2 * 25_000 + 4_500)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theCoverIsUploadedToTheImageStoreOrChosenAmongItsImages(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger)
            try await shop.create(ShopFixtures.book(stock: 10, now: Date()))
            try await ShopProviderSupport.admin(browser, mail, test)
            let editor = try await browser.get("/admin/shop/products/prd_book")
            #expect(editor.text.contains("No images are stored yet") && editor.text.contains(#"action="/admin/shop/products/prd_book/cover""#))
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 200)
            func file(_ bytes: [UInt8]) -> Browser.Part { Browser.Part(name: "image", value: bytes, filename: "cover.png", contentType: "image/png") }

            #expect(try await browser.postMultipart("/admin/shop/products/prd_book/cover", [file(png)], csrf: .some(nil)).status == .forbidden)
            let notImage = try await browser.postMultipart("/admin/shop/products/prd_book/cover", [file(Array("<svg/>".utf8))])
            #expect(notImage.status == .unsupportedMediaType && notImage.text.contains("must be a JPEG, PNG or WebP"))
            #expect(try await browser.postMultipart("/admin/shop/products/prd_book/cover", [.field("alt", "x")]).status == .badRequest)
            let uploaded = try await browser.postMultipart("/admin/shop/products/prd_book/cover", [file(png), .field("alt", "A girl reading")])
            #expect(uploaded.status == .seeOther)
            let p = try #require(try await shop.product(id: "prd_book"))
            #expect(p.coverImage.hasSuffix(".png") && p.coverAlt == "A girl reading")
            #expect(try await browser.get("/images/\(p.coverImage)").status == .ok)
            #expect(try await browser.get("/shop/maverickids-3").text.contains("/images/\(p.coverImage)"))

            // The editor offers the stored image, chosen; the main form can drop it, refuse a name not stored, choose it again.
            let shown = try await browser.get("/admin/shop/products/prd_book")
            #expect(shown.text.contains(#"name="cover" value="\#(p.coverImage)" checked"#))
            var form = Self.product(["slug": "maverickids-3", "title": "MavericKids vol 3"])
            for (k, v) in ShopAdmin.shippingValues(p.shipping) { form[k] = v }
            form["cover"] = ""
            #expect(try await browser.post("/admin/shop/products/prd_book", form).status == .seeOther)
            #expect(try await shop.product(id: "prd_book")?.coverImage == "")
            try await browser.get("/admin/shop/products/prd_book")
            form["cover"] = "0123456789abcdef.png"
            let unknown = try await browser.post("/admin/shop/products/prd_book", form)
            #expect(unknown.status == .unprocessableContent && unknown.text.contains("Choose the cover among the images"))
            form["cover"] = p.coverImage
            #expect(try await browser.post("/admin/shop/products/prd_book", form).status == .seeOther)
            #expect(try await shop.product(id: "prd_book")?.coverImage == p.coverImage)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theOrderListPagesByOrderNumber(kind: DatabaseKind) async throws {
        let time = ShopClock()
        time.value.withLockedValue { $0 = Date() }
        try await LiveServer.withBrowser(kind, clock: ShopRouteTests.clock(time)) { browser, mail, test in
            let shop = ShopService(database: test.database, logger: TestDatabases.logger, now: { time.now })
            try await shop.create(ShopFixtures.book(stock: 200, now: time.now))
            var numbers: [Int64] = []
            for i in 0..<(ShopAdmin.ordersPageSize + 5) {
                numbers.append(try await shop.checkout([("prd_book", 1)], buyer: ShopFixtures.buyer(i), provider: "stripe").number)
            }
            try await ShopProviderSupport.admin(browser, mail, test)
            func shown(_ html: String) -> [String] {
                let regex = try! NSRegularExpression(pattern: #"<tr><td><a href="/admin/shop/orders/ord_[^"]+">([^<]+)</a>"#)
                return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { String(html[Range($0.range(at: 1), in: html)!]) }
            }
            let first = try await browser.get("/admin/shop/orders?status=pending")
            let page1 = shown(first.text)
            #expect(page1.count == ShopAdmin.ordersPageSize)
            #expect(page1.first == ShopText.number(numbers.last!), "newest first")
            let next = try #require(Browser.firstMatch(#"<a href="([^"]+)" rel="next">"#, in: first.text)).replacingOccurrences(of: "&amp;", with: "&")
            #expect(next.contains("status=pending") && next.contains("before="), "\(next)")
            // An order placed meanwhile does not shift the next page.
            _ = try await shop.checkout([("prd_book", 1)], buyer: ShopFixtures.buyer(99), provider: "stripe")
            let second = try await browser.get(next)
            let page2 = shown(second.text)
            #expect(page2 == numbers.prefix(5).reversed().map { ShopText.number($0) })
            #expect(Set(page1).isDisjoint(with: page2))
            #expect(Browser.firstMatch(#"<a href="([^"]+)" rel="next">"#, in: second.text) == nil, "the last page")
            #expect(second.text.contains("Newest orders"))
            #expect(shown(try await browser.get("/admin/shop/orders?before=abc").text).count == ShopAdmin.ordersPageSize, "a bad cursor is the first page")
            #expect(shown(try await browser.get("/admin/shop/orders?status=paid").text).isEmpty)
        }
    }
}
