import Foundation
import Testing
@testable import ShopEngine

/// A seeded generator, so a failing history can be run again.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A small shop the way the server runs it: the stock and paid-copy counters are changed only by the engine's
/// deltas, reservations are conditional on free stock, and local actions (expiry, shipping, refunds, cancelling)
/// are only issued when the server would issue them. Provider notifications arrive duplicated and reordered.
struct World {
    let engine = Engine()
    var initial: [String: Int]
    var stock: [String: Int]
    var paid: [String: Int] = [:]
    var orders: [String: Order] = [:]
    let donation = Donation(partner: "Gift of the Givers", donated: 1, sold: 1, cap: 40)

    init(stock: [String: Int]) {
        initial = stock
        self.stock = stock
    }

    /// Opens an order if its copies can be reserved (as the store's conditional update does).
    mutating func open(_ id: String, _ quantities: [String: Int], at: Date) -> Bool {
        guard quantities.allSatisfy({ stock[$0.key, default: 0] >= $0.value }) else { return false }
        for (p, n) in quantities { stock[p, default: 0] -= n }
        let lines = quantities.sorted { $0.key < $1.key }.map { Line(productID: $0.key, quantity: $0.value, unitMinor: 10_000) }
        orders[id] = engine.open(id: id, lines: lines, shippingMinor: 0, currency: "ZAR", at: at, holdFor: 1800)
        return true
    }

    @discardableResult
    mutating func deliver(_ event: OrderEvent) -> Engine.Result? {
        guard let order = orders[event.orderID] else { return nil }
        let need = engine.stockNeeded(for: event, on: order)
        let granted = need.allSatisfy { stock[$0.key, default: 0] >= $0.value }
        let result = engine.apply(event, to: order, stockGranted: granted)
        for (p, n) in result.stockDelta { stock[p, default: 0] += n }
        for (p, n) in result.paidDelta { paid[p, default: 0] += n }
        orders[event.orderID] = result.order
        return result
    }

    /// The checking query: what the counters must equal, recomputed from every order.
    func check() {
        for product in initial.keys {
            let held = orders.values.reduce(0) { $0 + ($1.held[product] ?? 0) }
            let paidCopies = orders.values.reduce(0) { $0 + ($1.paidCopies[product] ?? 0) }
            #expect(stock[product, default: 0] >= 0, "stock of \(product) below zero")
            #expect(stock[product, default: 0] + held == initial[product], "stock + held ≠ initial for \(product)")
            #expect(paid[product, default: 0] == paidCopies, "paid counter ≠ paid unrefunded copies for \(product)")
            #expect(donation.count(paidCopies: paid[product, default: 0]) == min(40, paidCopies))
        }
        for o in orders.values {
            switch o.status {
            case .pending: #expect(o.held == o.quantities)
            case .expired, .cancelled, .refundDue, .refunded: #expect(o.paidCopies.isEmpty && o.held.isEmpty)
            case .paid, .fulfilled: #expect(o.paidCopies == o.quantities)
            case .partiallyRefunded: #expect(o.payment != nil)
            }
        }
    }
}

@Suite struct ReplayPropertyTests {
    /// One history: orders opened, paid (some after expiry), some refunded in part or full, shipped; every
    /// provider notification delivered one to three times, in a shuffled order, interleaved with local actions.
    func history(seed: UInt64, stock: Int) -> (World, duplicatesFree: World) {
        var rng = SplitMix(state: seed)
        var world = World(stock: ["book": stock, "annual": stock])
        var provider: [OrderEvent] = []
        for i in 0..<Int.random(in: 3...12, using: &rng) {
            let id = "ord_\(i)"
            var q: [String: Int] = ["book": Int.random(in: 1...3, using: &rng)]
            if Bool.random(using: &rng) { q["annual"] = Int.random(in: 1...2, using: &rng) }
            guard world.open(id, q, at: at(Double(i))) else { continue }
            let total = world.orders[id]!.totalMinor
            if Int.random(in: 0..<5, using: &rng) > 0 {
                provider.append(OrderEvent(id: "stripe:evt_pay_\(i)", orderID: id, at: at(Double(i) + 5), kind: .paid(amountMinor: total)))
                if Int.random(in: 0..<4, using: &rng) == 0 {  // a second checkout paid too
                    provider.append(OrderEvent(id: "stripe:evt_pay2_\(i)", orderID: id, at: at(Double(i) + 6), kind: .paid(amountMinor: total)))
                }
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    let part = Int64.random(in: 1...total, using: &rng)
                    provider.append(OrderEvent(id: "stripe:evt_ref_\(i)_a", orderID: id, at: at(Double(i) + 20), kind: .refundReported(totalMinor: part)))
                    provider.append(OrderEvent(id: "stripe:evt_ref_\(i)_b", orderID: id, at: at(Double(i) + 21), kind: .refundReported(totalMinor: min(total, part + 5_000))))
                }
            }
        }
        var deliveries: [OrderEvent] = []
        for e in provider { for _ in 0..<Int.random(in: 1...3, using: &rng) { deliveries.append(e) } }
        deliveries.shuffle(using: &rng)

        var clean = world
        var seen: Set<String> = []
        var n = 0
        for e in deliveries {
            // Local actions between notifications, as the server would take them.
            n += 1
            let ids = world.orders.keys.sorted()
            if let id = ids.randomElement(using: &rng) {
                let order = world.orders[id]!
                let action: OrderEvent.Kind? = switch (order.status, Int.random(in: 0..<6, using: &rng)) {
                case (.pending, 0): .expired
                case (.pending, 1): .cancelled
                case (.paid, 2): .shipped(carrier: "Courier", tracking: "T\(n)")
                case (.paid, 3), (.fulfilled, 3), (.partiallyRefunded, 3):
                    .copiesRefunded(copies: ["book": 1], amountMinor: 10_000)
                default: nil
                }
                if let action {
                    let local = OrderEvent(id: "local:\(n)", orderID: id, at: at(Double(100 + n)), kind: action)
                    world.deliver(local)
                    clean.deliver(local)
                    world.check()
                }
            }
            world.deliver(e)
            world.check()
            if seen.insert(e.id).inserted { clean.deliver(e) }
        }
        return (world, clean)
    }

    @Test func replayedDuplicatedAndReorderedNotificationsKeepEveryCountExact() {
        for seed in 0..<3_000 as Range<UInt64> {
            let (world, clean) = history(seed: seed, stock: seed % 2 == 0 ? 6 : 40)
            world.check()
            // Duplicates change nothing: the same history with each notification delivered once ends the same.
            #expect(world.orders == clean.orders, "seed \(seed)")
            #expect(world.stock == clean.stock && world.paid == clean.paid, "seed \(seed)")
        }
    }

    /// With stock to spare, provider notifications commute: any order of arrival gives every order the same
    /// status, paid copies and refund, and the same counters.
    @Test func theOrderOfProviderNotificationsDoesNotMatterWhenStockSuffices() {
        for seed in 0..<1_000 as Range<UInt64> {
            var rng = SplitMix(state: seed &* 7 &+ 1)
            var base = World(stock: ["book": 1_000, "annual": 1_000])
            var events: [OrderEvent] = []
            for i in 0..<6 {
                let id = "ord_\(i)"
                _ = base.open(id, ["book": i % 3 + 1], at: at(Double(i)))
                let total = base.orders[id]!.totalMinor
                if i % 2 == 0 { events.append(OrderEvent(id: "local:expire:\(i)", orderID: id, at: at(40), kind: .expired)) }
                events.append(OrderEvent(id: "p\(i)", orderID: id, at: at(Double(i) + 3), kind: .paid(amountMinor: total)))
                events.append(OrderEvent(id: "q\(i)", orderID: id, at: at(Double(i) + 4), kind: .paid(amountMinor: total)))
                events.append(OrderEvent(id: "r\(i)", orderID: id, at: at(50), kind: .refundReported(totalMinor: Int64(i) * 1_000)))
            }
            func run(_ list: [OrderEvent]) -> World {
                var w = base
                for e in list { w.deliver(e); w.check() }
                return w
            }
            let a = run(events)
            let b = run(events.shuffled(using: &rng))
            for (id, o) in a.orders {
                let other = b.orders[id]!
                #expect(o.status == other.status, "seed \(seed) \(id)")
                #expect(o.paidCopies == other.paidCopies && o.payment?.eventID == other.payment?.eventID)
                #expect(o.refundedMinor == other.refundedMinor && o.extraPayments == other.extraPayments)
            }
            #expect(a.stock == b.stock && a.paid == b.paid)
        }
    }
}
