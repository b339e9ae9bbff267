import Foundation

/// Something that happened to an order, provider-neutral. `id` is the deduplication key (`stripe:evt_…`,
/// `payfast:<pf_payment_id>:COMPLETE`, `local:ship:<nonce>` for admins' actions); `at` is the provider's time for
/// provider events and the action's time for local ones, never the time of arrival.
public struct OrderEvent: Codable, Hashable, Sendable {
    public enum Kind: Codable, Hashable, Sendable {
        /// The buyer paid this much (minor units).
        case paid(amountMinor: Int64)
        /// The provider's running total refunded on the order's charge.
        case refundReported(totalMinor: Int64)
        /// An admin refunded these copies and this money (sent to the provider first).
        case copiesRefunded(copies: [String: Int], amountMinor: Int64)
        case shipped(carrier: String, tracking: String)
        /// Cancelled before payment.
        case cancelled
        /// Not paid by `expiresAt`: the upkeep releases the reservation.
        case expired
    }

    public var id: String
    public var orderID: String
    public var at: Date
    public var kind: Kind

    public init(id: String, orderID: String, at: Date, kind: Kind) {
        self.id = id
        self.orderID = orderID
        self.at = at
        self.kind = kind
    }
}
