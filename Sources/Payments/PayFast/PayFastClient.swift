import Crypto
import Foundation
import MembershipEngine

public struct PayFastConfiguration: Sendable {
    public var merchantID: String
    public var merchantKey: String
    /// Salt of every signature; never logged, never sent except hashed.
    public var passphrase: String
    /// "https://www.payfast.co.za" (live) or "https://sandbox.payfast.co.za"; loopback in tests.
    public var host: String
    /// Addresses notifications may come from; nil skips the check (PayFast publishes host names, which a site
    /// resolves and sets here; behind a proxy the proxy's forwarded address is what is compared).
    public var allowedSources: Set<String>?

    public static let liveHost = "https://www.payfast.co.za"
    public static let sandboxHost = "https://sandbox.payfast.co.za"

    public init(merchantID: String, merchantKey: String, passphrase: String, host: String = PayFastConfiguration.liveHost,
                allowedSources: Set<String>? = nil) {
        self.merchantID = merchantID
        self.merchantKey = merchantKey
        self.passphrase = passphrase
        self.host = host.hasSuffix("/") ? String(host.dropLast()) : host
        self.allowedSources = allowedSources
    }
}

/// Printed without the merchant key or the passphrase.
extension PayFastConfiguration: CustomStringConvertible {
    public var description: String {
        "PayFastConfiguration(merchantID: \(merchantID), merchantKey: <redacted>, passphrase: <redacted>, host: \(host))"
    }
}

/// PayFast (South Africa): a signed form posted by the browser to `{host}/eng/process`, and ITNs (server
/// notifications) back, each checked by signature, amount, and a confirmation call to `{host}/eng/query/validate`.
public struct PayFastClient: PaymentProvider {
    public let name = "payfast"
    public var configuration: PayFastConfiguration
    public var transport: any HTTPTransport

    public init(configuration: PayFastConfiguration, transport: any HTTPTransport = AsyncHTTPTransport()) {
        self.configuration = configuration
        self.transport = transport
    }

    // MARK: checkout

    /// The checkout fields in PayFast's documented order, without the signature.
    public func checkoutFields(_ request: CheckoutRequest) -> [FormField] {
        let amount: Money
        var subscription: [FormField] = []
        switch request.purpose {
        case let .membership(pledge):
            amount = pledge.amount
            subscription = [
                FormField("subscription_type", "1"),
                FormField("billing_date", CivilDate.dayString(request.today)),
                FormField("recurring_amount", pledge.amount.decimalString),
                FormField("frequency", pledge.interval == .month ? "3" : "6"),
                FormField("cycles", "0"),
            ]
        case let .oneOff(money):
            amount = money
        }
        return [
            FormField("merchant_id", configuration.merchantID),
            FormField("merchant_key", configuration.merchantKey),
            FormField("return_url", request.successURL),
            FormField("cancel_url", request.cancelURL),
            FormField("notify_url", request.notifyURL),
            FormField("name_first", request.firstName),
            FormField("name_last", request.lastName),
            FormField("email_address", request.email),
            FormField("m_payment_id", request.membershipID),
            FormField("amount", amount.decimalString),
            FormField("item_name", request.itemName),
            FormField("custom_str1", request.membershipID),
        ] + subscription
    }

    /// MD5 (lower-case hex) of `key=value` pairs in order joined by "&", values trimmed and form-escaped
    /// (upper-case %XX, "+" for spaces), empty values left out, then `passphrase=…` last when one is set.
    public static func checkoutSignature(_ fields: [FormField], passphrase: String) -> String {
        var signed = fields.filter { !FormEncoding.trimmed($0.value).isEmpty }
        let salt = FormEncoding.trimmed(passphrase)
        if !salt.isEmpty { signed.append(FormField("passphrase", salt)) }
        return md5(FormEncoding.pairs(signed, trimming: true))
    }

    public func checkout(_ request: CheckoutRequest) async throws -> CheckoutStart {
        let fields = checkoutFields(request)
        let signed = fields.filter { !FormEncoding.trimmed($0.value).isEmpty }
            + [FormField("signature", Self.checkoutSignature(fields, passphrase: configuration.passphrase))]
        guard let action = URL(string: configuration.host + "/eng/process") else {
            throw PaymentError.transport("the PayFast host setting is not a URL")
        }
        return .formPost(action: action, fields: signed)
    }

    // MARK: notifications

    /// The string an ITN is signed over and confirmed with: the posted fields in the order received, up to (not
    /// including) `signature`, empty values kept, values form-escaped.
    public static func notificationParameterString(_ fields: [FormField]) -> String {
        FormEncoding.pairs(fields.prefix { $0.name != "signature" }, trimming: true)
    }

    public static func notificationSignature(_ fields: [FormField], passphrase: String) -> String {
        var s = notificationParameterString(fields)
        let salt = FormEncoding.trimmed(passphrase)
        if !salt.isEmpty { s += "&passphrase=\(FormEncoding.escape(salt))" }
        return md5(s)
    }

    /// Checks, in this order: fields present, merchant, source address, signature, amount (within 0.01, for a
    /// completed payment of a known membership),
    /// then PayFast's own confirmation (VALID). Only then the ITN becomes an event.
    public func receive(_ delivery: WebhookDelivery, context: ReceiveContext) async throws -> [MembershipEvent] {
        guard let fields = FormEncoding.decode(delivery.body) else { throw PaymentError.malformedBody("not a form") }
        var values: [String: String] = [:]
        for f in fields where values[f.name] == nil { values[f.name] = f.value }
        for required in ["m_payment_id", "pf_payment_id", "payment_status", "amount_gross", "merchant_id", "signature"]
        where (values[required] ?? "").isEmpty {
            throw PaymentError.missingField(required)
        }
        guard values["merchant_id"] == configuration.merchantID else { throw PaymentError.wrongMerchant }
        if let allowed = configuration.allowedSources {
            let source = delivery.remoteAddress ?? "unknown"
            guard allowed.contains(source) else { throw PaymentError.sourceNotAllowed(source) }
        }
        let expectedSignature = Self.notificationSignature(fields, passphrase: configuration.passphrase)
        guard constantTimeEqual(Array(expectedSignature.utf8), Array((values["signature"] ?? "").lowercased().utf8)) else {
            throw PaymentError.signatureMismatch
        }
        let membershipID = values["m_payment_id"]!
        let expectation = await context.expectation(membershipID)
        let currency = expectation?.amount.currency ?? .zar
        guard let gross = Money.parseDecimal(values["amount_gross"]!, currency: currency) else {
            throw PaymentError.malformedBody("amount_gross is not an amount")
        }
        // Within 0.01 (one minor unit), for payments: a cancellation notice carries no charge to compare.
        if values["payment_status"]?.uppercased() == "COMPLETE", let expected = expectation?.amount,
           abs(gross.minor - expected.minor) > 1 {
            throw PaymentError.amountMismatch(expected: expected.decimalString, received: gross.decimalString)
        }
        try await confirm(fields)
        return [Self.event(values, gross: gross, interval: expectation?.interval, receivedAt: context.now)]
    }

    /// Posts the parameter string back; PayFast answers VALID for its own notifications.
    public func confirm(_ fields: [FormField]) async throws {
        let request = OutgoingRequest(method: "POST", url: configuration.host + "/eng/query/validate",
                                      headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                      body: Array(Self.notificationParameterString(fields).utf8))
        let response = try await transport.sendRetrying(request, attempts: 2, backoff: .milliseconds(200))
        let answer = String(decoding: response.body.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard response.status == 200, answer == "VALID" else {
            throw PaymentError.notConfirmed(response.status == 200 ? answer : "HTTP \(response.status)")
        }
    }

    /// The event for a verified ITN. Its time is the billing date PayFast reports (the object's own time, so a
    /// late notice sorts where it belongs), else when it arrived. The id is pf_payment_id with the status: one
    /// payment is notified once per outcome.
    static func event(_ v: [String: String], gross: Money, interval: Interval?, receivedAt: Date) -> MembershipEvent {
        let pfID = v["pf_payment_id"]!
        let status = v["payment_status"]!.uppercased()
        let billed = v["billing_date"].flatMap(CivilDate.parseDay) ?? receivedAt
        let token = v["token"].flatMap { $0.isEmpty ? nil : $0 }
        let reference = Reference(membershipID: v["m_payment_id"], subscriptionID: token)
        let kind: MembershipEvent.Kind
        switch status {
        case "COMPLETE":
            if let interval {
                kind = .paymentSucceeded(.init(amount: gross, periodEnd: CivilDate.adding(months: interval == .month ? 1 : 12, to: billed),
                                               invoiceID: pfID))
            } else {
                kind = .contribution(gross)
            }
        case "FAILED":
            kind = .paymentFailed(.init(amount: gross,
                                        periodEnd: interval.map { CivilDate.adding(months: $0 == .month ? 1 : 12, to: billed) },
                                        invoiceID: pfID))
        case "CANCELLED":
            kind = .subscriptionEnded
        default:
            kind = .unhandled(type: "payment_status \(status)")
        }
        return MembershipEvent(id: "payfast:\(pfID):\(status)", provider: "payfast", occurredAt: billed,
                               reference: reference, kind: kind)
    }

    // MARK: subscription changes

    /// PayFast has no hosted page for card changes: the member goes through a new checkout.
    public func paymentFixURL(customerID: String, returnURL: String, idempotencyKey: String) async throws -> URL? { nil }

    public func changeAmount(subscriptionID: String, to pledge: Pledge, idempotencyKey: String) async throws {
        try await subscriptionCall(token: subscriptionID, action: "update",
                                   body: [FormField("amount", String(pledge.amount.minor)),
                                          FormField("frequency", pledge.interval == .month ? "3" : "6")])
    }

    public func cancelAtPeriodEnd(subscriptionID: String, idempotencyKey: String) async throws {
        try await subscriptionCall(token: subscriptionID, action: "cancel", body: [])
    }

    /// PayFast pauses for a number of billing cycles (`pause` with `cycles`) and resumes with `unpause`.
    public func pause(subscriptionID: String, until: Date?, months: Int, interval: Interval, idempotencyKey: String) async throws {
        guard until != nil else { return try await subscriptionCall(token: subscriptionID, action: "unpause", body: []) }
        let cycles = interval == .month ? max(1, months) : max(1, (months + 11) / 12)
        try await subscriptionCall(token: subscriptionID, action: "pause", body: [FormField("cycles", String(cycles))])
    }

    /// PayFast's subscription API: PUT {api}/subscriptions/{token}/{action}, headers merchant-id, version,
    /// timestamp and a signature over all header and body values sorted by name, plus the passphrase.
    func subscriptionCall(token: String, action: String, body: [FormField]) async throws {
        let headers = Self.apiHeaders(merchantID: configuration.merchantID, passphrase: configuration.passphrase,
                                      timestamp: Self.isoTimestamp(Date()), body: body)
        let api = configuration.host.replacingOccurrences(of: "://www.", with: "://api.")
            .replacingOccurrences(of: "://sandbox.", with: "://api.")
        let testing = configuration.host.contains("sandbox") ? "?testing=true" : ""
        let request = OutgoingRequest(method: "PUT", url: "\(api)/subscriptions/\(FormEncoding.escape(token))/\(action)\(testing)",
                                      headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
                                      body: Array(FormEncoding.encode(body).utf8))
        let response = try await transport.sendRetrying(request, attempts: 2, backoff: .milliseconds(200))
        guard (200..<300).contains(response.status) else {
            throw PaymentError.providerRejected(status: response.status, message: "subscription \(action) refused")
        }
    }

    static func apiHeaders(merchantID: String, passphrase: String, timestamp: String, body: [FormField]) -> [(String, String)] {
        var all = [FormField("merchant-id", merchantID), FormField("version", "v1"), FormField("timestamp", timestamp)] + body
        if !passphrase.isEmpty { all.append(FormField("passphrase", passphrase)) }
        all.sort { $0.name < $1.name }
        let signature = md5(all.map { "\($0.name)=\(FormEncoding.escape($0.value))" }.joined(separator: "&"))
        return [("merchant-id", merchantID), ("version", "v1"), ("timestamp", timestamp), ("signature", signature)]
    }

    static func isoTimestamp(_ date: Date) -> String {
        let c = CivilDate.components(of: date)
        let s = Int(date.timeIntervalSince1970) % 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(c.year)-\(two(c.month))-\(two(c.day))T\(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))+00:00"
    }
}

func md5(_ s: String) -> String {
    hex(Insecure.MD5.hash(data: Array(s.utf8)))
}

/// Printed by its configuration, which leaves out the secrets.
extension PayFastClient: CustomStringConvertible {
    public var description: String { "PayFastClient(\(configuration))" }
}
