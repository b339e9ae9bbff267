import Foundation
import MembershipEngine

/// Stripe: Checkout Sessions for joining and giving, the customer portal for card changes, the subscription API
/// for amount changes and cancellation, signed webhooks in.
public struct StripeClient: PaymentProvider {
    public let name = "stripe"
    public let configuration: StripeConfiguration
    public var transport: any HTTPTransport
    let keys: StripeSignature.Keys

    public init(configuration: StripeConfiguration, transport: any HTTPTransport = AsyncHTTPTransport()) {
        self.configuration = configuration
        self.transport = transport
        self.keys = StripeSignature.Keys(configuration.webhookSecrets)
    }

    /// The form of `POST /v1/checkout/sessions`, in order.
    public static func checkoutForm(_ request: CheckoutRequest) -> [FormField] {
        var f: [FormField] = []
        let item = "line_items[0]"
        switch request.purpose {
        case let .membership(pledge):
            f.append(FormField("mode", "subscription"))
            f.append(FormField("\(item)[price_data][currency]", pledge.amount.currency.code.lowercased()))
            f.append(FormField("\(item)[price_data][unit_amount]", String(pledge.amount.minor)))
            f.append(FormField("\(item)[price_data][recurring][interval]", pledge.interval.rawValue))
            f.append(FormField("\(item)[price_data][product_data][name]", request.itemName))
            f.append(FormField("\(item)[quantity]", "1"))
            f.append(FormField("subscription_data[metadata][membership_id]", request.membershipID))
        case let .oneOff(amount):
            f.append(FormField("mode", "payment"))
            f.append(FormField("submit_type", "donate"))
            f.append(FormField("\(item)[price_data][currency]", amount.currency.code.lowercased()))
            f.append(FormField("\(item)[price_data][unit_amount]", String(amount.minor)))
            f.append(FormField("\(item)[price_data][product_data][name]", request.itemName))
            f.append(FormField("\(item)[quantity]", "1"))
            f.append(FormField("payment_intent_data[metadata][membership_id]", request.membershipID))
        }
        f.append(FormField("client_reference_id", request.membershipID))
        f.append(FormField("metadata[membership_id]", request.membershipID))
        if !request.email.isEmpty { f.append(FormField("customer_email", request.email)) }
        f.append(FormField("success_url", request.successURL))
        f.append(FormField("cancel_url", request.cancelURL))
        return f
    }

    public func checkout(_ request: CheckoutRequest) async throws -> CheckoutStart {
        let session = try await post("/v1/checkout/sessions", Self.checkoutForm(request), key: request.idempotencyKey)
        guard let id = session["id"].string else { throw PaymentError.missingField("id") }
        guard let url = session["url"].string.flatMap(URL.init(string:)) else { throw PaymentError.missingField("url") }
        return .redirect(url, sessionID: id)
    }

    public func receive(_ delivery: WebhookDelivery, context: ReceiveContext) async throws -> [MembershipEvent] {
        try StripeSignature.verify(header: delivery.headers["stripe-signature"], body: delivery.body, keys: keys,
                                   now: context.now, tolerance: configuration.tolerance)
        return [try StripeEvents.parse(delivery.body)]
    }

    public func paymentFixURL(customerID: String, returnURL: String, idempotencyKey: String) async throws -> URL? {
        let session = try await post("/v1/billing_portal/sessions",
                                     [FormField("customer", customerID), FormField("return_url", returnURL)],
                                     key: idempotencyKey)
        guard let url = session["url"].string.flatMap(URL.init(string:)) else { throw PaymentError.missingField("url") }
        return url
    }

    /// Reads the subscription's item and product, then prices the item anew from the next period (no proration).
    public func changeAmount(subscriptionID: String, to pledge: Pledge, idempotencyKey: String) async throws {
        let subscription = try await get("/v1/subscriptions/\(FormEncoding.escape(subscriptionID))")
        let item = subscription.at("items", "data", 0)
        guard let itemID = item["id"].string else { throw PaymentError.missingField("items.data[0].id") }
        let product = item.at("price", "product").string ?? item.at("price", "product", "id").string
        guard let product else { throw PaymentError.missingField("items.data[0].price.product") }
        _ = try await post("/v1/subscriptions/\(FormEncoding.escape(subscriptionID))", [
            FormField("items[0][id]", itemID),
            FormField("items[0][price_data][currency]", pledge.amount.currency.code.lowercased()),
            FormField("items[0][price_data][product]", product),
            FormField("items[0][price_data][unit_amount]", String(pledge.amount.minor)),
            FormField("items[0][price_data][recurring][interval]", pledge.interval.rawValue),
            FormField("proration_behavior", "none"),
        ], key: idempotencyKey)
    }

    public func cancelAtPeriodEnd(subscriptionID: String, idempotencyKey: String) async throws {
        _ = try await post("/v1/subscriptions/\(FormEncoding.escape(subscriptionID))",
                           [FormField("cancel_at_period_end", "true")], key: idempotencyKey)
    }

    public var revivesCancelledSubscriptions: Bool { true }

    /// `cancel_at_period_end=false` on the same subscription: Stripe keeps renewing it.
    public func withdrawCancellation(subscriptionID: String, idempotencyKey: String) async throws {
        _ = try await post("/v1/subscriptions/\(FormEncoding.escape(subscriptionID))",
                           [FormField("cancel_at_period_end", "false")], key: idempotencyKey)
    }

    public func pause(subscriptionID: String, until: Date?, months: Int, interval: Interval, idempotencyKey: String) async throws {
        try await pause(subscriptionID: subscriptionID, until: until, idempotencyKey: idempotencyKey)
    }

    /// Pauses collection until `until` (invoices in between are voided), or resumes when nil.
    public func pause(subscriptionID: String, until: Date?, idempotencyKey: String) async throws {
        let fields = until.map {
            [FormField("pause_collection[behavior]", "void"),
             FormField("pause_collection[resumes_at]", String(Int64($0.timeIntervalSince1970)))]
        } ?? [FormField("pause_collection", "")]
        _ = try await post("/v1/subscriptions/\(FormEncoding.escape(subscriptionID))", fields, key: idempotencyKey)
    }

    /// The subscription as Stripe has it now (to settle doubt about an event's order).
    public func subscription(_ id: String) async throws -> JSONValue {
        try await get("/v1/subscriptions/\(FormEncoding.escape(id))")
    }

    // MARK: wire

    func post(_ path: String, _ fields: [FormField], key: String) async throws -> JSONValue {
        let request = OutgoingRequest(method: "POST", url: configuration.apiBase + path, headers: [
            ("Authorization", "Bearer \(configuration.secretKey)"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Idempotency-Key", key),
            ("Accept", "application/json"),
        ], body: Array(FormEncoding.encode(fields).utf8))
        return try decode(try await transport.sendRetrying(request, attempts: configuration.attempts,
                                                           backoff: configuration.retryBackoff))
    }

    func get(_ path: String) async throws -> JSONValue {
        let request = OutgoingRequest(method: "GET", url: configuration.apiBase + path, headers: [
            ("Authorization", "Bearer \(configuration.secretKey)"), ("Accept", "application/json"),
        ])
        return try decode(try await transport.sendRetrying(request, attempts: configuration.attempts,
                                                           backoff: configuration.retryBackoff))
    }

    func decode(_ response: IncomingResponse) throws -> JSONValue {
        let json = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status) else {
            throw PaymentError.providerRejected(status: response.status,
                                                message: json?.at("error", "message").string ?? "no message")
        }
        guard let json else { throw PaymentError.malformedBody("the API answer is not JSON") }
        return json
    }
}

/// Printed by its configuration, which leaves out the secrets (never the signing keys it holds).
extension StripeClient: CustomStringConvertible {
    public var description: String { "StripeClient(\(configuration))" }
}
