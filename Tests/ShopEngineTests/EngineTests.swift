import Foundation
import Testing
@testable import ShopEngine

let t0 = Date(timeIntervalSince1970: 1_780_000_000)
func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }

@Suite struct EngineTests {
    let engine = Engine()

    func order(_ quantity: Int = 2) -> Order {
        engine.open(id: "ord_1", lines: [Line(productID: "book", quantity: quantity, unitMinor: 25_000)],
                    shippingMinor: 6_000, currency: "ZAR", at: t0, holdFor: 1800)
    }

    func event(_ id: String, _ minutes: Double, _ kind: OrderEvent.Kind) -> OrderEvent {
        OrderEvent(id: id, orderID: "ord_1", at: at(minutes), kind: kind)
    }

    @Test func pendingThenPaidThenFulfilled() {
        var o = order()
        #expect(o.status == .pending)
        #expect(o.totalMinor == 56_000)
        #expect(o.held == ["book": 2])
        let paid = engine.apply(event("stripe:evt_1", 3, .paid(amountMinor: 56_000)), to: o)
        #expect(paid.outcome == .applied)
        #expect(paid.to == .paid && paid.from == .pending)
        #expect(paid.stockDelta.isEmpty)          // the reservation becomes the sale
        #expect(paid.paidDelta == ["book": 2])
        o = paid.order
        let again = engine.apply(event("stripe:evt_1", 3, .paid(amountMinor: 56_000)), to: o)
        #expect(again.outcome == .noChange("already applied"))
        #expect(again.paidDelta.isEmpty)
        let shipped = engine.apply(event("local:ship:1", 60, .shipped(carrier: "Courier", tracking: "TRK1")), to: o)
        #expect(shipped.to == .fulfilled)
        #expect(shipped.order.shipment?.tracking == "TRK1")
    }

    @Test func shippingAnUnpaidOrderIsRejected() {
        let r = engine.apply(event("local:ship:1", 1, .shipped(carrier: "", tracking: "X")), to: order())
        #expect(r.outcome == .rejected("the order is not paid"))
        #expect(r.order == order())
    }

    @Test func underpaymentIsRejected() {
        let r = engine.apply(event("p", 1, .paid(amountMinor: 100)), to: order())
        guard case .rejected = r.outcome else { Issue.record("accepted an underpayment"); return }
        #expect(r.to == .pending)
    }

    @Test func expiryReleasesStockAndALatePaymentIsHonouredOnlyIfStockCanBeReservedAgain() {
        let expired = engine.apply(event("local:expire", 31, .expired), to: order())
        #expect(expired.to == .expired)
        #expect(expired.stockDelta == ["book": 2])
        let late = event("stripe:evt_late", 40, .paid(amountMinor: 56_000))
        #expect(engine.stockNeeded(for: late, on: expired.order) == ["book": 2])

        let honoured = engine.apply(late, to: expired.order, stockGranted: true)
        #expect(honoured.to == .paid)
        #expect(honoured.stockDelta == ["book": -2])
        #expect(honoured.paidDelta == ["book": 2])

        let refused = engine.apply(late, to: expired.order, stockGranted: false)
        #expect(refused.to == .refundDue)
        #expect(refused.stockDelta.isEmpty && refused.paidDelta.isEmpty)
        // Once the provider reports the refund, the order is refunded.
        let back = engine.apply(event("stripe:evt_refund", 50, .refundReported(totalMinor: 56_000)), to: refused.order)
        #expect(back.to == .refunded)
        // Expiring a paid order changes nothing.
        #expect(engine.apply(event("local:expire2", 60, .expired), to: honoured.order).outcome == .noChange("paid before it expired"))
    }

    @Test func partialRefundGivesCopiesBackAndFullRefundAll() {
        let paid = engine.apply(event("p", 1, .paid(amountMinor: 81_000)), to: order(3)).order
        #expect(paid.status == .paid)
        let one = engine.apply(event("local:refund:a", 5, .copiesRefunded(copies: ["book": 1], amountMinor: 25_000)), to: paid)
        #expect(one.to == .partiallyRefunded)
        #expect(one.stockDelta == ["book": 1])
        #expect(one.paidDelta == ["book": -1])
        // Stripe's report of the same money is a running total: it confirms, it does not add.
        let report = engine.apply(event("stripe:evt_r1", 6, .refundReported(totalMinor: 25_000)), to: one.order)
        #expect(report.paidDelta.isEmpty)
        #expect(report.order.refundedMinor == 25_000)
        let rest = engine.apply(event("local:refund:b", 7, .copiesRefunded(copies: ["book": 5], amountMinor: 56_000)), to: report.order)
        #expect(rest.to == .refunded)
        #expect(rest.order.refundedCopies == ["book": 3])   // never more than were bought
        #expect(rest.paidDelta == ["book": -2])
        #expect(rest.order.held.isEmpty)
    }

    @Test func aSecondPaymentIsOwedBackAndTheEarliestCounts() {
        let first = engine.apply(event("b", 10, .paid(amountMinor: 56_000)), to: order()).order
        let second = engine.apply(event("a", 5, .paid(amountMinor: 56_000)), to: first)
        #expect(second.order.payment?.eventID == "a")
        #expect(second.order.extraPayments == ["b": 56_000])
        #expect(second.paidDelta.isEmpty)
    }

    @Test func cancelOnlyBeforePayment() {
        let c = engine.apply(event("local:cancel", 2, .cancelled), to: order())
        #expect(c.to == .cancelled && c.stockDelta == ["book": 2])
        let paid = engine.apply(event("p", 1, .paid(amountMinor: 56_000)), to: order()).order
        #expect(engine.apply(event("local:cancel", 2, .cancelled), to: paid).outcome == .rejected("the order is paid: refund it instead"))
    }

    @Test func donationRatioAndCap() {
        #expect(Donation(partner: "Gift of the Givers").count(paidCopies: 1_243) == 1_243)
        #expect(Donation(partner: "p", donated: 1, sold: 2).count(paidCopies: 7) == 3)
        #expect(Donation(partner: "p", donated: 2, sold: 1, cap: 10).count(paidCopies: 7) == 10)
        #expect(Donation(partner: "p", donated: 1, sold: 0).sold == 1)  // never divides by zero
        #expect(Donation(partner: "p").count(paidCopies: -3) == 0)
    }

    @Test func vatInsideAnInclusivePrice() {
        let q = Quote(lines: [Line(productID: "b", quantity: 1, unitMinor: 11_500)], shipping: nil, currency: "ZAR")
        #expect(q.vatMinor(ratePercent: 15) == 1_500)
        #expect(q.vatMinor(ratePercent: 0) == 0)
    }
}

@Suite struct PricingTests {
    let book = ProductTerms(id: "book", title: "MavericKids", priceMinor: 25_000, currency: "ZAR", state: .published,
                            releaseAt: at(60 * 24 * 30), stock: 10, perOrderLimit: 5)
    var catalog: [String: ProductTerms] { ["book": book] }
    let courier = ShippingOption(id: "za", label: "Courier (South Africa)", minor: 6_000, countries: ["ZA"])

    @Test func serverPricesAndShipping() throws {
        let q = try Pricing.quote([("book", 2)], catalog: catalog, shipping: courier, country: "ZA", at: t0).get()
        #expect(q.totalMinor == 56_000)
        #expect(q.lines == [Line(productID: "book", quantity: 2, unitMinor: 25_000)])
    }

    @Test func badCarts() {
        func problem(_ items: [(String, Int)], country: String? = "ZA") -> CartProblem? {
            if case let .failure(p) = Pricing.quote(items.map { ($0.0, $0.1) }, catalog: catalog, shipping: courier,
                                                    country: country, at: t0) { return p }
            return nil
        }
        #expect(problem([]) == .empty)
        #expect(problem([("book", 0)]) == .badQuantity("MavericKids", 0))
        #expect(problem([("book", -1)]) == .badQuantity("MavericKids", -1))
        #expect(problem([("book", Int.max)]) == .overLimit("MavericKids", limit: 5))
        #expect(problem([("book", 3), ("book", 3)]) == .overLimit("MavericKids", limit: 5))
        #expect(problem([("nope", 1)]) == .unknownProduct("nope"))
        #expect(problem([("book", 1)], country: "US") == .shippingNotToCountry("Courier (South Africa)"))
    }

    @Test func availabilityFollowsStateReleaseAndStock() {
        var p = book
        #expect(p.availability(at: t0) == .preOrder)
        #expect(p.availability(at: at(60 * 24 * 31)) == .onSale)
        p.stock = 0
        #expect(p.availability(at: t0) == .soldOut)
        p.oversellPreOrders = true
        #expect(p.availability(at: t0) == .preOrder)
        #expect(p.mayOversell(at: t0))
        #expect(p.availability(at: at(60 * 24 * 31)) == .soldOut)
        p.state = .draft
        #expect(p.availability(at: t0) == .draft)
        p.state = .published
        p.publishAt = at(10)
        #expect(p.availability(at: t0) == .draft)
    }

    @Test func addressesPerCountry() {
        let good = Address(name: "Thandi", line1: "1 Long St", city: "Cape Town", postalCode: "8001", country: "ZA")
        #expect(AddressRules.problems(good, needsAddress: true).isEmpty)
        var bad = good
        bad.postalCode = "80012"
        #expect(AddressRules.problems(bad, needsAddress: true)["postalCode"] != nil)
        bad = Address(name: "", line1: "", city: "", postalCode: "", country: "ZA")
        #expect(Set(AddressRules.problems(bad, needsAddress: true).keys) == ["name", "line1", "city", "postalCode"])
        #expect(Set(AddressRules.problems(bad, needsAddress: false).keys) == ["name"])
        let us = Address(name: "A", line1: "1 Main", city: "X", postalCode: "12345", country: "US")
        #expect(AddressRules.problems(us, needsAddress: true) == ["region": "Enter the state."])
        let gb = Address(name: "A", line1: "1", city: "London", postalCode: "sw1a 1aa", country: "GB")
        #expect(AddressRules.problems(gb, needsAddress: true).isEmpty)
        #expect(AddressRules.problems(Address(name: "A", line1: "1", city: "X", postalCode: "1", country: "XX"), needsAddress: true)["country"] != nil)
    }
}

@Suite struct ShippingCommonTests {
    @Test func aCartIsSentWithWhatEveryProductOffersAtTheHighestRate() {
        let book = [ShippingOption(id: "collect", label: "Collect", minor: 0, countries: []),
                    ShippingOption(id: "courier-za", label: "Courier", minor: 6_000, countries: ["ZA"]),
                    ShippingOption(id: "courier-intl", label: "Abroad", minor: 35_000, countries: ["NA", "GB"])]
        let poster = [ShippingOption(id: "courier-za", label: "Courier", minor: 9_000, countries: ["ZA"]),
                      ShippingOption(id: "courier-intl", label: "Abroad", minor: 20_000, countries: ["GB", "US"])]
        let both = ShippingOption.common([book, poster])
        #expect(both.map(\.id) == ["courier-za", "courier-intl"], "collection only if every product may be collected")
        #expect(both.map(\.minor) == [9_000, 35_000])
        #expect(both[1].countries == ["GB"])
        #expect(ShippingOption.common([book]) == book)
        #expect(ShippingOption.common([]) == [])
        #expect(ShippingOption.common([book, [ShippingOption(id: "courier-intl", label: "x", minor: 1, countries: ["US"])]]) == [],
                "no country in common: nothing")
    }
}
