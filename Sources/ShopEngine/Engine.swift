import Foundation

/// The shop's decisions, in the order a server calls them:
///
/// 1. `Pricing.quote(_:catalog:shipping:)`: what a cart costs (server prices only) or why it cannot be bought.
/// 2. `Engine.open(...)`: a pending order holding its copies.
/// 3. `Engine.stockNeeded(for:on:)` then `Engine.apply(_:to:stockGranted:)` for every event; the result carries
///    the change to each product's stock and to its paid copies, which the store applies in the same transaction.
/// 4. `Donation.count(paidCopies:)`: copies given away for the copies paid and not refunded.
///
/// No HTTP, no SQL, no clock: every time is passed in.
public struct Engine: Sendable {
    public init() {}

    public struct Result: Sendable, Hashable {
        public enum Outcome: Sendable, Hashable {
            case applied
            /// A duplicate, or nothing to change; the reason says which.
            case noChange(String)
            /// Not allowed in the order's state (shipping an unpaid order); nothing changed.
            case rejected(String)
        }

        public var order: Order
        public var outcome: Outcome
        /// Added to each product's free stock (negative: taken).
        public var stockDelta: [String: Int]
        /// Added to each product's paid, unrefunded copies (what donations count).
        public var paidDelta: [String: Int]
        /// The order's status moved (emails follow transitions).
        public var from: OrderStatus
        public var to: OrderStatus
    }

    public func open(id: String, lines: [Line], shippingMinor: Int64, currency: String, at: Date,
                     holdFor: TimeInterval) -> Order {
        Order(id: id, lines: lines, shippingMinor: shippingMinor, currency: currency, createdAt: at,
              expiresAt: at.addingTimeInterval(holdFor))
    }

    /// Copies the event would take from stock again if it is applied: only a payment for an order whose
    /// reservation was released (expired or cancelled). The caller tries to reserve them and says whether it could.
    public func stockNeeded(for event: OrderEvent, on order: Order) -> [String: Int] {
        guard case .paid = event.kind, order.payment == nil, !order.seen.contains(event.id),
              order.cancelledAt != nil || order.expiredAt != nil else { return [:] }
        return order.quantities
    }

    /// Applies one event. `stockGranted` answers ``stockNeeded(for:on:)`` (ignored when nothing was needed).
    public func apply(_ event: OrderEvent, to order: Order, stockGranted: Bool = true) -> Result {
        let before = order
        func result(_ o: Order, _ outcome: Result.Outcome) -> Result {
            var stock: [String: Int] = [:]
            for (p, n) in before.held { stock[p, default: 0] += n }
            for (p, n) in o.held { stock[p, default: 0] -= n }
            var paid: [String: Int] = [:]
            for (p, n) in o.paidCopies { paid[p, default: 0] += n }
            for (p, n) in before.paidCopies { paid[p, default: 0] -= n }
            return Result(order: o, outcome: outcome, stockDelta: stock.filter { $0.value != 0 },
                          paidDelta: paid.filter { $0.value != 0 }, from: before.status, to: o.status)
        }
        guard event.orderID == order.id else { return result(order, .rejected("the event is for another order")) }
        if order.seen.contains(event.id) { return result(order, .noChange("already applied")) }
        var o = order
        switch event.kind {
        case let .paid(amount):
            guard amount >= order.totalMinor else {
                return result(order, .rejected("paid \(amount), the order costs \(order.totalMinor)"))
            }
            if let current = o.payment {
                // Two payments for one order: the earliest counts, the other is owed back.
                if event.at < current.at || (event.at == current.at && event.id < current.eventID) {
                    o.extraPayments[current.eventID] = current.amountMinor
                    o.payment = Payment(eventID: event.id, at: event.at, amountMinor: amount, honoured: current.honoured)
                } else {
                    o.extraPayments[event.id] = amount
                }
            } else {
                let released = o.cancelledAt != nil || o.expiredAt != nil
                o.payment = Payment(eventID: event.id, at: event.at, amountMinor: amount,
                                    honoured: !released || stockGranted)
            }
        case let .refundReported(total):
            guard total > o.providerRefundedMinor else {
                o.seen.insert(event.id)
                return result(o, .noChange("the refund total \(total) is not above \(o.providerRefundedMinor)"))
            }
            o.providerRefundedMinor = total
        case let .copiesRefunded(copies, amount):
            guard o.payment != nil else { return result(order, .rejected("nothing was paid")) }
            for (product, n) in copies where n > 0 {
                let bought = o.quantities[product] ?? 0
                o.refundedCopies[product] = min(bought, (o.refundedCopies[product] ?? 0) + n)
            }
            o.refundedCopies = o.refundedCopies.filter { $0.value > 0 }
            o.localRefundedMinor += amount
        case let .shipped(carrier, tracking):
            guard let payment = o.payment, payment.honoured else { return result(order, .rejected("the order is not paid")) }
            guard o.status != .refunded else { return result(order, .rejected("the order was refunded")) }
            let s = Shipment(eventID: event.id, at: event.at, carrier: carrier, tracking: tracking)
            if let current = o.shipment, (current.at, current.eventID) > (s.at, s.eventID) {
                o.seen.insert(event.id)
                return result(o, .noChange("a later shipment is recorded"))
            }
            o.shipment = s
        case .cancelled:
            guard o.payment == nil else { return result(order, .rejected("the order is paid: refund it instead")) }
            if o.cancelledAt != nil || o.expiredAt != nil {
                o.seen.insert(event.id)
                return result(o, .noChange("already released"))
            }
            o.cancelledAt = event.at
        case .expired:
            guard o.payment == nil else {
                o.seen.insert(event.id)
                return result(o, .noChange("paid before it expired"))
            }
            if o.cancelledAt != nil || o.expiredAt != nil {
                o.seen.insert(event.id)
                return result(o, .noChange("already released"))
            }
            o.expiredAt = event.at
        }
        o.seen.insert(event.id)
        return result(o, .applied)
    }
}
