import Foundation
import MembershipEngine

/// Turns a verified Stripe event into provider-neutral events. Reads the fields of both older API versions and
/// the 2025 ones (invoice `parent.subscription_details`, subscription item periods).
public enum StripeEvents {
    /// The event types membership acts on; endpoints should be configured to send these.
    public static let handled: [String] = [
        "checkout.session.completed", "invoice.paid", "invoice.payment_failed", "customer.subscription.created",
        "customer.subscription.updated", "customer.subscription.deleted", "customer.subscription.paused",
        "customer.subscription.resumed", "charge.refunded",
    ]

    public static func parse(_ body: [UInt8]) throws -> MembershipEvent {
        let event: JSONValue
        do { event = try JSONValue.parse(body) } catch { throw PaymentError.malformedBody("not JSON") }
        guard let id = event["id"].string else { throw PaymentError.missingField("id") }
        guard let type = event["type"].string else { throw PaymentError.missingField("type") }
        guard let created = event["created"].date else { throw PaymentError.missingField("created") }
        let object = event.at("data", "object")
        guard case .object = object else { throw PaymentError.missingField("data.object") }

        func make(_ time: Date, _ reference: Reference, _ kind: MembershipEvent.Kind) -> MembershipEvent {
            MembershipEvent(id: "stripe:\(id)", provider: "stripe", occurredAt: time, reference: reference, kind: kind)
        }
        func money(_ minor: JSONValue, _ currency: JSONValue) throws -> Money {
            guard let m = minor.int else { throw PaymentError.missingField("amount") }
            guard let c = currency.string else { throw PaymentError.missingField("currency") }
            return Money(minor: m, currency: Currency(code: c))
        }

        switch type {
        case "checkout.session.completed":
            let reference = Reference(
                membershipID: object["client_reference_id"].string ?? object.at("metadata", "membership_id").string
                    ?? object.at("metadata", "order_id").string,
                subscriptionID: object["subscription"].string, customerID: object["customer"].string)
            if object["mode"].string == "payment" {
                guard object["payment_status"].string == "paid" else {
                    return make(created, reference, .unhandled(type: "\(type) (\(object["payment_status"].string ?? "unpaid"))"))
                }
                return make(created, reference, .contribution(try money(object["amount_total"], object["currency"])))
            }
            return make(created, reference, .checkoutCompleted(subscriptionID: reference.subscriptionID,
                                                               customerID: reference.customerID))

        case "invoice.paid", "invoice.payment_failed":
            let subscriptionDetails = object.at("parent", "subscription_details").isNull
                ? object["subscription_details"] : object.at("parent", "subscription_details")
            let reference = Reference(
                membershipID: subscriptionDetails.at("metadata", "membership_id").string
                    ?? object.at("metadata", "membership_id").string,
                subscriptionID: subscriptionDetails["subscription"].string ?? object["subscription"].string,
                customerID: object["customer"].string)
            // The line's period is the subscription period paid for (the invoice's own period_start/period_end
            // describe the previous period on renewals).
            let periodEnd = object.at("lines", "data", 0, "period", "end").date ?? object["period_end"].date
            if type == "invoice.paid" {
                guard let periodEnd else { throw PaymentError.missingField("lines.data[0].period.end") }
                let paidAt = object.at("status_transitions", "paid_at").date ?? created
                return make(paidAt, reference, .paymentSucceeded(.init(
                    amount: try money(object["amount_paid"], object["currency"]), periodEnd: periodEnd,
                    invoiceID: object["id"].string)))
            }
            return make(created, reference, .paymentFailed(.init(
                amount: try money(object["amount_due"], object["currency"]), periodEnd: periodEnd,
                invoiceID: object["id"].string)))

        case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.paused",
             "customer.subscription.resumed":
            let reference = Reference(membershipID: object.at("metadata", "membership_id").string,
                                      subscriptionID: object["id"].string, customerID: object["customer"].string)
            guard let raw = object["status"].string else { throw PaymentError.missingField("status") }
            let status = ProviderStatus(rawValue: raw) ?? .incomplete
            var pausedUntil: Date?
            if case .object = object["pause_collection"] {
                pausedUntil = object.at("pause_collection", "resumes_at").date ?? .distantFuture
            }
            var pledge: Pledge?
            let price = object.at("items", "data", 0, "price")
            if let amount = price["unit_amount"].int, let currency = price["currency"].string,
               let interval = price.at("recurring", "interval").string.flatMap(Interval.init(rawValue:)) {
                pledge = Pledge(amount: Money(minor: amount, currency: Currency(code: currency)), interval: interval)
            }
            return make(created, reference, .subscriptionChanged(.init(
                status: status, cancelAtPeriodEnd: object["cancel_at_period_end"].bool ?? false,
                pausedUntil: pausedUntil, pledge: pledge)))

        case "customer.subscription.deleted":
            let reference = Reference(membershipID: object.at("metadata", "membership_id").string,
                                      subscriptionID: object["id"].string, customerID: object["customer"].string)
            return make(object["ended_at"].date ?? created, reference, .subscriptionEnded)

        case "charge.refunded":
            // A shop order's charge names the order (its PaymentIntent's metadata).
            let reference = Reference(membershipID: object.at("metadata", "membership_id").string
                                          ?? object.at("metadata", "order_id").string,
                                      customerID: object["customer"].string)
            guard let charge = object["id"].string else { throw PaymentError.missingField("data.object.id") }
            return make(created, reference, .refunded(chargeID: charge,
                                                      total: try money(object["amount_refunded"], object["currency"])))

        default:
            return make(created, Reference(), .unhandled(type: type))
        }
    }
}
