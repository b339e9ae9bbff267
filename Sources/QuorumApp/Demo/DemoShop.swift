import Foundation
import QuorumStore
import Shop
import ShopEngine
import SQLKit

/// The demo's shop: a children's book on pre-order whose every copy sold gives one to Gift of The Givers, with
/// a few hundred copies already paid for (so the donated count is in the hundreds), promoted under the demo's
/// articles by an editor's product promotion that quotes the live count.
enum DemoShop {
    static let slug = "maverickids-vol-3"

    static func load(into database: Database, now: Date) async throws -> Int {
        let shop = ShopService(database: database, logger: .init(label: "quorum.demo"), now: { now })
        guard try await shop.product(slug: slug) == nil else { return 0 }
        let product = Product(
            id: "prd_maverickids3", slug: slug, title: "MavericKids vol 3",
            summary: "Stories that make children want to read, for ages 6 to 10.",
            descriptionMarkdown: """
            How can a child learn to read if they don't have a book? **MavericKids vol 3** collects twelve new stories \
            by South African writers and illustrators, printed in full colour on 96 pages.

            You can help by pre-ordering a copy. *For every copy sold we will donate a copy to Gift of The Givers* for \
            children in need of reading support.
            """,
            priceMinor: 25_000, currency: "ZAR", vatPercent: 15, state: .published,
            releaseAt: Calendar(identifier: .gregorian).date(byAdding: .day, value: 60, to: now), stock: 3_000, perOrderLimit: 10,
            donation: Donation(partner: "Gift of The Givers", link: "https://giftofthegivers.org", donated: 1, sold: 1), now: now)
        try await shop.create(product)
        // A fixed sequence, so every demo shows the same history: 80 orders of 3 to 6 copies (schools and
        // families) over six weeks, a few hundred copies in all; few orders keep the demo's first start quick.
        var seed: UInt64 = 20_261_201
        func next() -> UInt64 { seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return seed >> 33 }
        let past = (0..<80).map { i in
            ShopService.PastOrder(email: "reader\(i)@readers.demo.quorum.test", name: "Demo reader \(i)", quantity: Int(next() % 4) + 3,
                                  at: now.addingTimeInterval(-Double(next() % (42 * 86_400)) - 3_600))
        }.sorted { $0.at < $1.at }
        let n = try await shop.importPaidOrders(past, productID: product.id)
        // The editors' promotion under the articles, quoting the live count.
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO promotions (kind, name, kicker, heading, body, fallback, minimum_readers, link_text, link_url, audience,
                                        priority, on_articles, on_home, created_at, updated_at)
                VALUES ('product', 'MavericKids pre-order', 'From our shop', 'Pre-order MavericKids vol 3: a book for a child who has none',
                        \(bind: "{donated} copies donated to {partner} so far. For every copy you pre-order ({price}), we give one to a child in need of reading support."),
                        '', 0, 'Pre-order a copy', \(bind: "/shop/\(slug)"), 'everyone', 5, 1, 1, \(bind: Timestamp(now).milliseconds), \(bind: Timestamp(now).milliseconds))
                """).run()
        }
        return n
    }
}
