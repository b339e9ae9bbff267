import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import QuorumStore
@testable import Shop
import ShopEngine

/// A clock tests move by hand.
final class ShopClock: Sendable {
    let value = NIOLockedValueBox(Date(timeIntervalSince1970: 1_780_000_000))
    var now: Date { value.withLockedValue { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
}

enum ShopFixtures {
    static let address = Address(name: "Thandi Nkosi", line1: "1 Long Street", city: "Cape Town", postalCode: "8001", country: "ZA")

    static func book(stock: Int, releaseIn days: Double = 30, now: Date, oversell: Bool = false) -> Product {
        Product(id: "prd_book", slug: "maverickids-3", title: "MavericKids vol 3", summary: "Stories for young readers",
                descriptionMarkdown: "A book for **every** child.", priceMinor: 25_000, state: .published,
                releaseAt: now.addingTimeInterval(days * 86_400), stock: stock, oversell: oversell, perOrderLimit: 5,
                donation: Donation(partner: "Gift of the Givers", link: "https://giftofthegivers.org"), now: now)
    }

    static func buyer(_ n: Int = 0) -> ShopService.Buyer {
        ShopService.Buyer(email: "buyer\(n)@example.test", address: address, shippingID: "courier-za")
    }

    /// The checking query holds: free stock plus held copies is every copy added, and the paid counter is the
    /// sum of the lines' paid unrefunded copies.
    static func expectConsistent(_ shop: ShopService, _ productID: String = "prd_book") async throws {
        let c = try #require(try await shop.check(productID: productID))
        #expect(c.stock >= 0, "stock below zero: \(c)")
        #expect(c.stock + c.held == c.added, "stock + held ≠ added: \(c)")
        #expect(c.paid == c.linesPaid, "paid counter ≠ paid lines: \(c)")
    }
}

@Suite struct ShopStoreTests {
    func shop(_ db: Database, clock: ShopClock) -> ShopService {
        ShopService(database: db, logger: TestDatabases.logger, now: { clock.now })
    }

    @Test(arguments: TestDatabases.kinds)
    func checkoutReservesPaymentCountsExpiryReleases(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let clock = ShopClock()
            let shop = shop(test.database, clock: clock)
            try await shop.create(ShopFixtures.book(stock: 5, now: clock.now))
            let opened = try await shop.checkout([("prd_book", 2)], buyer: ShopFixtures.buyer(), provider: "stripe")
            #expect(opened.order.totalMinor == 2 * 25_000 + 6_000)
            #expect(opened.number > 0)
            #expect(try await shop.product(id: "prd_book")?.stock == 3)
            try await ShopFixtures.expectConsistent(shop)

            let pay = OrderEvent(id: "stripe:evt_1", orderID: opened.order.id, at: clock.now, kind: .paid(amountMinor: 56_000))
            #expect(try await shop.apply(pay, provider: "stripe") == .applied(.paid))
            #expect(try await shop.apply(pay, provider: "stripe") == .duplicate)
            let book = try #require(try await shop.product(id: "prd_book"))
            #expect(book.paidCopies == 2 && book.donated == 2 && book.stock == 3)
            try await ShopFixtures.expectConsistent(shop)

            // A second order left unpaid expires and gives its copies back.
            let unpaid = try await shop.checkout([("prd_book", 3)], buyer: ShopFixtures.buyer(1), provider: "stripe")
            #expect(try await shop.product(id: "prd_book")?.stock == 0)
            await #expect(throws: ShopError.self) {
                _ = try await shop.checkout([("prd_book", 1)], buyer: ShopFixtures.buyer(2), provider: "stripe")
            }
            clock.advance(31 * 60)
            #expect(try await shop.expireDue() == 1)
            #expect(try await shop.order(unpaid.order.id)?.status == .expired)
            #expect(try await shop.product(id: "prd_book")?.stock == 3)
            try await ShopFixtures.expectConsistent(shop)

            // Paid after expiry with stock left: honoured (the late-payment rule), copies taken again.
            let late = OrderEvent(id: "stripe:evt_late", orderID: unpaid.order.id, at: clock.now, kind: .paid(amountMinor: 81_000))
            #expect(try await shop.apply(late, provider: "stripe") == .applied(.paid))
            #expect(try await shop.product(id: "prd_book")?.stock == 0)
            #expect(try await shop.product(id: "prd_book")?.donated == 5)
            try await ShopFixtures.expectConsistent(shop)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aLatePaymentWithNoStockLeftIsOwedARefund(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let clock = ShopClock()
            let shop = shop(test.database, clock: clock)
            try await shop.create(ShopFixtures.book(stock: 2, now: clock.now))
            let first = try await shop.checkout([("prd_book", 2)], buyer: ShopFixtures.buyer(), provider: "stripe")
            clock.advance(31 * 60)
            try await shop.expireDue()
            let second = try await shop.checkout([("prd_book", 2)], buyer: ShopFixtures.buyer(1), provider: "stripe")
            _ = try await shop.apply(OrderEvent(id: "e2", orderID: second.order.id, at: clock.now, kind: .paid(amountMinor: 56_000)), provider: "stripe")
            let late = try await shop.apply(OrderEvent(id: "e1", orderID: first.order.id, at: clock.now, kind: .paid(amountMinor: 56_000)), provider: "stripe")
            #expect(late == .applied(.refundDue))
            let book = try #require(try await shop.product(id: "prd_book"))
            #expect(book.stock == 0 && book.paidCopies == 2)
            try await ShopFixtures.expectConsistent(shop)
        }
    }

    /// 50 buyers check out at once for the last 10 copies, then every opened order is paid (each notification
    /// twice, concurrently): at most 10 orders hold copies, exactly those are paid, stock never below zero.
    @Test(arguments: TestDatabases.kinds)
    func fiftySimultaneousCheckoutsForTheLastTenCopies(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let clock = ShopClock()
            let shop = shop(test.database, clock: clock)
            try await shop.create(ShopFixtures.book(stock: 10, now: clock.now))
            let results = await withTaskGroup(of: ShopService.Opened?.self) { group in
                for i in 0..<50 {
                    group.addTask { try? await shop.checkout([("prd_book", 1)], buyer: ShopFixtures.buyer(i), provider: "stripe") }
                }
                var out: [ShopService.Opened] = []
                for await r in group { if let r { out.append(r) } }
                return out
            }
            #expect(results.count == 10)
            #expect(try await shop.product(id: "prd_book")?.stock == 0)
            try await ShopFixtures.expectConsistent(shop)
            let receipts = await withTaskGroup(of: ShopService.Receipt?.self) { group in
                for opened in results {
                    for _ in 0..<2 {
                        group.addTask {
                            try? await shop.apply(OrderEvent(id: "stripe:evt_\(opened.order.id)", orderID: opened.order.id, at: clock.now,
                                                             kind: .paid(amountMinor: opened.order.totalMinor)), provider: "stripe")
                        }
                    }
                }
                var out: [ShopService.Receipt] = []
                for await r in group { if let r { out.append(r) } }
                return out
            }
            #expect(receipts.filter { $0 == .applied(.paid) }.count == 10)
            #expect(receipts.filter { $0 == .duplicate }.count == 10)
            let book = try #require(try await shop.product(id: "prd_book"))
            #expect(book.paidCopies == 10 && book.stock == 0 && book.donated == 10)
            try await ShopFixtures.expectConsistent(shop)
        }
    }
}
