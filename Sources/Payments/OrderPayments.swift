import Foundation
import MembershipEngine

/// Payments for the shop's orders arrive through the same webhook endpoints as membership's. The id Quorum gave
/// the provider (Stripe's `client_reference_id` and metadata, PayFast's `m_payment_id`) says whose a payment is:
/// ids starting `ord_` are orders, and the membership service hands their events to the shop through this.
public protocol OrderPayments: Sendable {
    /// What an order is expected to pay (PayFast's amount check); nil when the order is unknown.
    func expectation(forOrder id: String) async -> Expectation?
    /// Applies a verified event for an order, once whatever is replayed. `raw` is the provider's body.
    func receive(_ event: MembershipEvent, raw: [UInt8]) async throws -> Book.Receipt
}

public enum OrderReference {
    public static let prefix = "ord_"

    /// Whether an id Quorum gave a provider names an order.
    public static func isOrder(_ id: String?) -> Bool { id?.hasPrefix(prefix) ?? false }
}

/// One line of an order as the provider shows it.
public struct OrderLineItem: Sendable, Hashable {
    public var name: String
    public var unitAmount: Money
    public var quantity: Int

    public init(name: String, unitAmount: Money, quantity: Int) {
        self.name = name
        self.unitAmount = unitAmount
        self.quantity = quantity
    }
}

/// Checkout for an order, by providers that take a basket (Stripe). Providers without this take the order's total
/// as a once-off payment (`CheckoutRequest.Purpose.oneOff`, PayFast).
public protocol OrderCheckout: Sendable {
    func checkoutOrder(id: String, items: [OrderLineItem], email: String, successURL: String, cancelURL: String,
                       idempotencyKey: String) async throws -> CheckoutStart
}

/// Refunds of an order's payment through the provider's API (Stripe, PayFast).
public protocol OrderRefunds: Sendable {
    /// Refunds `amount` of the order's payment. `paymentRef` is what the payment's notification named it by
    /// (Stripe's PaymentIntent, PayFast's pf_payment_id); `idempotencyKey` stays the same when the admin's form is
    /// sent again. Throws `PaymentError` when the provider did not make the refund.
    func refundOrder(orderID: String, paymentRef: String, amount: Money, reason: String, idempotencyKey: String) async throws
    /// Whether `paymentRef` is a reference this provider's refunds take.
    func refundable(paymentRef: String) -> Bool
}

extension StripeClient: OrderCheckout, OrderRefunds {
    /// `POST /v1/checkout/sessions` in payment mode with one line per product (and shipping), the order id as
    /// `client_reference_id` and in the session's and the PaymentIntent's metadata (refunds name it).
    public static func orderCheckoutForm(id: String, items: [OrderLineItem], email: String, successURL: String,
                                         cancelURL: String) -> [FormField] {
        var f = [FormField("mode", "payment"), FormField("submit_type", "pay")]
        for (i, item) in items.enumerated() {
            let line = "line_items[\(i)]"
            f.append(FormField("\(line)[price_data][currency]", item.unitAmount.currency.code.lowercased()))
            f.append(FormField("\(line)[price_data][unit_amount]", String(item.unitAmount.minor)))
            f.append(FormField("\(line)[price_data][product_data][name]", item.name))
            f.append(FormField("\(line)[quantity]", String(item.quantity)))
        }
        f.append(FormField("client_reference_id", id))
        f.append(FormField("metadata[order_id]", id))
        f.append(FormField("payment_intent_data[metadata][order_id]", id))
        if !email.isEmpty { f.append(FormField("customer_email", email)) }
        f.append(FormField("success_url", successURL))
        f.append(FormField("cancel_url", cancelURL))
        return f
    }

    public func checkoutOrder(id: String, items: [OrderLineItem], email: String, successURL: String, cancelURL: String,
                              idempotencyKey: String) async throws -> CheckoutStart {
        let session = try await post("/v1/checkout/sessions", Self.orderCheckoutForm(
            id: id, items: items, email: email, successURL: successURL, cancelURL: cancelURL), key: idempotencyKey)
        guard let sid = session["id"].string else { throw PaymentError.missingField("id") }
        guard let url = session["url"].string.flatMap(URL.init(string:)) else { throw PaymentError.missingField("url") }
        return .redirect(url, sessionID: sid)
    }

    /// The refund's form: the PaymentIntent, the amount in minor units (always given, so the amount is the
    /// server's), the order id in the refund's metadata. Stripe's `reason` is one of its own words, so the
    /// admin's reason is kept in the metadata too.
    public static func orderRefundForm(orderID: String, paymentRef: String, amount: Money, reason: String) -> [FormField] {
        var f = [FormField("payment_intent", paymentRef), FormField("amount", String(amount.minor)),
                 FormField("metadata[order_id]", orderID)]
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if !reason.isEmpty { f.append(FormField("metadata[reason]", String(reason.prefix(400)))) }
        return f
    }

    /// `POST /v1/refunds`, keyed by the admin's form: a retry with the same key and amount is Stripe's same
    /// refund, never a second one.
    public func refundOrder(orderID: String, paymentRef: String, amount: Money, reason: String, idempotencyKey: String) async throws {
        let refund = try await post("/v1/refunds", Self.orderRefundForm(orderID: orderID, paymentRef: paymentRef, amount: amount,
                                                                        reason: reason), key: idempotencyKey)
        guard let status = refund["status"].string else { throw PaymentError.missingField("status") }
        guard status == "succeeded" || status == "pending" else {
            throw PaymentError.providerRejected(status: 200, message: "the refund is \(status)")
        }
    }

    public func refundable(paymentRef: String) -> Bool { paymentRef.hasPrefix("pi_") }
}
