import Foundation
import MembershipEngine
import Payments
import ShopEngine

/// The shop's side of the providers' webhooks (``OrderPayments``): a verified event for an `ord_` id becomes an
/// `OrderEvent` with the provider's own id (so a replay is a duplicate in the shop's ledger) and time.
public struct ShopPayments: OrderPayments {
    public let shop: ShopService

    public init(shop: ShopService) { self.shop = shop }

    public func expectation(forOrder id: String) async -> Expectation? {
        guard let order = try? await shop.order(id) else { return nil }
        return Expectation(amount: Money(minor: order.totalMinor, currency: Currency(code: order.currency)), interval: nil)
    }

    public func receive(_ event: MembershipEvent, raw: [UInt8]) async throws -> Book.Receipt {
        guard let orderID = event.reference.membershipID else { return .ignored("no order id") }
        let kind: OrderEvent.Kind
        switch event.kind {
        case let .contribution(money): kind = .paid(amountMinor: money.minor)
        case let .refunded(_, total): kind = .refundReported(totalMinor: total.minor)
        case let .unhandled(type): return .ignored(type)
        default: return .ignored("not an order payment")
        }
        if case .paid = kind, let ref = Self.paymentRef(event, raw: raw) {
            try await shop.setPaymentRef(orderID: orderID, ref)
        }
        let receipt = try await shop.apply(OrderEvent(id: event.id, orderID: orderID, at: event.occurredAt, kind: kind),
                                           provider: event.provider, raw: String(decoding: raw, as: UTF8.self))
        switch receipt {
        case let .applied(status): return .applied(membershipID: orderID, note: "order \(status.rawValue)")
        case let .noChange(why): return .noChange(membershipID: orderID, reason: why)
        case let .rejected(why): return .rejected(membershipID: orderID, reason: why)
        case .duplicate: return .duplicate
        case .unknownOrder: return .ignored("unknown order")
        }
    }

    /// What a refund names the payment by: Stripe's PaymentIntent, PayFast's pf_payment_id.
    static func paymentRef(_ event: MembershipEvent, raw: [UInt8]) -> String? {
        switch event.provider {
        case "stripe": return (try? JSONValue.parse(raw))?.at("data", "object", "payment_intent").string
        case "payfast": return event.id.split(separator: ":").dropFirst().first.map(String.init)
        default: return nil
        }
    }
}
