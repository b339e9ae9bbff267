import Foundation

/// One product and how many copies of it, at the unit price the server charged (minor units, VAT included).
public struct Line: Codable, Hashable, Sendable {
    public var productID: String
    public var quantity: Int
    public var unitMinor: Int64

    public init(productID: String, quantity: Int, unitMinor: Int64) {
        self.productID = productID
        self.quantity = quantity
        self.unitMinor = unitMinor
    }

    public var totalMinor: Int64 { Int64(quantity) * unitMinor }
}

/// The payment that bought an order, as the provider reported it.
public struct Payment: Codable, Hashable, Sendable {
    public var eventID: String
    public var at: Date
    public var amountMinor: Int64
    /// False when the payment arrived after the order had released its stock and the copies could not be
    /// reserved again: the order is then owed a full refund and its copies count for nothing.
    public var honoured: Bool

    public init(eventID: String, at: Date, amountMinor: Int64, honoured: Bool) {
        self.eventID = eventID
        self.at = at
        self.amountMinor = amountMinor
        self.honoured = honoured
    }
}

public struct Shipment: Codable, Hashable, Sendable {
    public var eventID: String
    public var at: Date
    public var carrier: String
    public var tracking: String

    public init(eventID: String, at: Date, carrier: String, tracking: String) {
        self.eventID = eventID
        self.at = at
        self.carrier = carrier
        self.tracking = tracking
    }
}

/// What an order is, derived from its facts (``Order/status``).
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    /// Opened at checkout, copies reserved, not paid yet.
    case pending
    /// Not paid in time: the reservation was released.
    case expired
    /// Cancelled before payment (by the buyer or an admin): the reservation was released.
    case cancelled
    /// Paid; the copies are the buyer's.
    case paid
    /// Paid and shipped (tracking known).
    case fulfilled
    /// Some copies (or some money) were refunded; the rest stand.
    case partiallyRefunded = "partially_refunded"
    /// Every copy and all the money were refunded.
    case refunded
    /// Paid after expiry when the stock was gone (the late-payment rule): the whole amount must be refunded.
    case refundDue = "refund_due"
}

/// One order as a set of facts. Each fact is a first/latest stamp, a maximum or a sum over distinct event ids,
/// and `seen` remembers every event applied, so a replayed or duplicated notification changes nothing.
public struct Order: Codable, Hashable, Sendable {
    public var id: String
    public var lines: [Line]
    public var shippingMinor: Int64
    public var currency: String
    public var createdAt: Date
    /// Unpaid at this instant, the order may be expired (the upkeep does it).
    public var expiresAt: Date

    public var seen: Set<String> = []
    /// The payment that counts (the earliest by the provider's time).
    public var payment: Payment?
    /// Further, distinct payments for an order already paid (a second checkout): each is owed back.
    public var extraPayments: [String: Int64] = [:]
    public var cancelledAt: Date?
    public var expiredAt: Date?
    /// The largest running refund total the provider reported for the order's charge.
    public var providerRefundedMinor: Int64 = 0
    /// Money refunded through the site's own refund actions (summed over their distinct ids).
    public var localRefundedMinor: Int64 = 0
    /// Copies refunded per product (summed over distinct refund actions, never more than were bought).
    public var refundedCopies: [String: Int] = [:]
    /// The latest shipment (by time, then event id).
    public var shipment: Shipment?

    public init(id: String, lines: [Line], shippingMinor: Int64, currency: String, createdAt: Date, expiresAt: Date) {
        self.id = id
        self.lines = lines
        self.shippingMinor = shippingMinor
        self.currency = currency
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    public var totalMinor: Int64 { lines.reduce(shippingMinor) { $0 + $1.totalMinor } }
    public var copies: Int { lines.reduce(0) { $0 + $1.quantity } }

    /// Copies bought per product (an order may name a product on several lines).
    public var quantities: [String: Int] {
        lines.reduce(into: [:]) { $0[$1.productID, default: 0] += $1.quantity }
    }

    public var refundedMinor: Int64 { max(providerRefundedMinor, localRefundedMinor) }

    public var status: OrderStatus {
        guard let payment else {
            if cancelledAt != nil { return .cancelled }
            if expiredAt != nil { return .expired }
            return .pending
        }
        if !payment.honoured { return refundedMinor >= payment.amountMinor ? .refunded : .refundDue }
        let refundedAll = refundedCopies.values.reduce(0, +) >= copies || refundedMinor >= payment.amountMinor
        if refundedAll { return .refunded }
        if refundedMinor > 0 || !refundedCopies.isEmpty { return .partiallyRefunded }
        return shipment == nil ? .paid : .fulfilled
    }

    /// Copies this order holds out of each product's stock: all of them while pending; none once expired or
    /// cancelled unpaid or paid too late; the unrefunded ones once paid (refunded copies go back to stock).
    public var held: [String: Int] {
        guard let payment else { return cancelledAt != nil || expiredAt != nil ? [:] : quantities }
        guard payment.honoured else { return [:] }
        if status == .refunded { return [:] }
        return unrefunded
    }

    /// Paid copies not refunded, per product: what donations are counted on.
    public var paidCopies: [String: Int] {
        guard let payment, payment.honoured, status != .refunded else { return [:] }
        return unrefunded
    }

    var unrefunded: [String: Int] {
        quantities.reduce(into: [:]) { out, item in
            let n = item.value - min(item.value, refundedCopies[item.key] ?? 0)
            if n > 0 { out[item.key] = n }
        }
    }
}
