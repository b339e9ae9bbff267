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
    /// The time the API's `timestamp` header carries.
    public var clock: @Sendable () -> Date

    public init(configuration: PayFastConfiguration, transport: any HTTPTransport = AsyncHTTPTransport(),
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.transport = transport
        self.clock = clock
    }

    // MARK: checkout

    /// The checkout fields in PayFast's documented order, without the signature.
    public func checkoutFields(_ request: CheckoutRequest) -> [FormField] {
        let amount: Money
        var subscription: [FormField] = []
        switch request.purpose {
        case let .membership(pledge):
            amount = pledge.amount
            // PayFast takes `amount` at checkout and bills `recurring_amount` from `billing_date` on. A subscription
            // whose paid time starts later (a withdrawn cancellation) has its first amount pay the period from
            // `periodStart`, so its first billing date is one interval after that: never two charges for one period.
            let billing = request.periodStart.map { CivilDate.adding(months: pledge.interval == .month ? 1 : 12, to: $0) } ?? request.today
            subscription = [
                FormField("subscription_type", "1"),
                FormField("billing_date", CivilDate.dayString(billing)),
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
        // A billing date more than a day ahead of the notice: the first amount, taken at checkout, of a
        // subscription whose billing starts later; it pays up to that first billing date.
        let startsLater = billed > receivedAt.addingTimeInterval(86400)
        let token = v["token"].flatMap { $0.isEmpty ? nil : $0 }
        let reference = Reference(membershipID: v["m_payment_id"], subscriptionID: token)
        let kind: MembershipEvent.Kind
        switch status {
        case "COMPLETE":
            if let interval {
                let periodEnd = startsLater ? billed : CivilDate.adding(months: interval == .month ? 1 : 12, to: billed)
                kind = .paymentSucceeded(.init(amount: gross, periodEnd: periodEnd, invoiceID: pfID))
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
        return MembershipEvent(id: "payfast:\(pfID):\(status)", provider: "payfast", occurredAt: startsLater ? receivedAt : billed,
                               reference: reference, kind: kind)
    }

    // MARK: subscription changes

    /// A cancelled PayFast subscription (token) cannot be revived; a new one can start billing later.
    public var startsSubscriptionsLater: Bool { true }

    /// PayFast has no hosted page for card changes: the member goes through a new checkout.
    public func paymentFixURL(customerID: String, returnURL: String, idempotencyKey: String) async throws -> URL? { nil }

    /// `PATCH /subscriptions/{token}/update` with the amount in cents and the frequency, from the next run on.
    public func changeAmount(subscriptionID: String, to pledge: Pledge, idempotencyKey: String) async throws {
        _ = try await subscriptionCall(method: "PATCH", token: subscriptionID, action: "update",
                                       body: [FormField("amount", String(pledge.amount.minor)),
                                              FormField("frequency", pledge.interval == .month ? "3" : "6")])
    }

    /// `PUT /subscriptions/{token}/cancel`: for good. PayFast cannot revive a cancelled token
    /// (`revivesCancelledSubscriptions` is false): access runs to the end of the paid period all the same.
    public func cancelAtPeriodEnd(subscriptionID: String, idempotencyKey: String) async throws {
        _ = try await subscriptionCall(method: "PUT", token: subscriptionID, action: "cancel", body: [])
    }

    /// PayFast pauses for a number of billing cycles (`pause` with `cycles`) and resumes with `unpause`.
    public func pause(subscriptionID: String, until: Date?, months: Int, interval: Interval, idempotencyKey: String) async throws {
        guard until != nil else {
            _ = try await subscriptionCall(method: "PUT", token: subscriptionID, action: "unpause", body: [])
            return
        }
        let cycles = interval == .month ? max(1, months) : max(1, (months + 11) / 12)
        _ = try await subscriptionCall(method: "PUT", token: subscriptionID, action: "pause", body: [FormField("cycles", String(cycles))])
    }

    /// A subscription as PayFast reports it (`GET /subscriptions/{token}/fetch`).
    public struct Subscription: Sendable, Hashable {
        public var token: String
        /// The recurring amount, in cents.
        public var amountMinor: Int64
        /// 3 monthly, 4 quarterly, 5 biannually, 6 annually.
        public var frequency: Int
        /// The next billing run, "YYYY-MM-DD".
        public var runDate: String
        /// 0 means until cancelled.
        public var cycles: Int
        public var cyclesComplete: Int
        /// "ACTIVE", "PAUSED", "CANCELLED" (upper-cased).
        public var statusText: String

        /// The same in the engine's terms: paused and cancelled map onto the provider statuses.
        public var snapshot: MembershipEvent.Snapshot {
            let status: ProviderStatus = switch statusText {
            case "PAUSED": .paused
            case "CANCELLED": .canceled
            default: .active
            }
            let interval: Interval? = frequency == 3 ? .month : frequency == 6 ? .year : nil
            return MembershipEvent.Snapshot(status: status, pledge: interval.map { Pledge(amount: Money(minor: amountMinor, currency: .zar), interval: $0) })
        }
    }

    /// Reads a subscription: its amount, frequency, next run and status.
    public func subscription(_ token: String) async throws -> Subscription {
        let json = try await subscriptionCall(method: "GET", token: token, action: "fetch", body: [])
        let r = json.at("data", "response")
        func int(_ v: JSONValue) -> Int64? { v.int ?? v.string.flatMap { Int64($0) } }
        guard let amount = int(r["amount"]) else { throw PaymentError.missingField("data.response.amount") }
        guard let frequency = int(r["frequency"]) else { throw PaymentError.missingField("data.response.frequency") }
        return Subscription(token: r["token"].string ?? token, amountMinor: amount, frequency: Int(frequency),
                            runDate: r["run_date"].string ?? "", cycles: Int(int(r["cycles"]) ?? 0),
                            cyclesComplete: Int(int(r["cycles_complete"]) ?? 0),
                            statusText: (r["status_text"].string ?? "").uppercased())
    }

    /// PayFast's API base: api.payfast.co.za for both live and sandbox (the sandbox adds `?testing=true`); any
    /// other host (a stand-in on loopback) serves the API itself.
    var apiBase: String {
        configuration.host.replacingOccurrences(of: "://www.", with: "://api.")
            .replacingOccurrences(of: "://sandbox.", with: "://api.")
    }

    /// PayFast's subscription API: {method} {api}/subscriptions/{token}/{action}, headers merchant-id, version,
    /// timestamp and a signature over all header and body values sorted by name, plus the passphrase. Success is
    /// a 2xx answer whose JSON says `"status":"success"`.
    func subscriptionCall(method: String, token: String, action: String, body: [FormField]) async throws -> JSONValue {
        let headers = Self.apiHeaders(merchantID: configuration.merchantID, passphrase: configuration.passphrase,
                                      timestamp: Self.isoTimestamp(clock()), body: body)
        let testing = configuration.host.contains("sandbox") ? "?testing=true" : ""
        let request = OutgoingRequest(method: method, url: "\(apiBase)/subscriptions/\(FormEncoding.escape(token))/\(action)\(testing)",
                                      headers: headers + (body.isEmpty ? [] : [("Content-Type", "application/x-www-form-urlencoded")]),
                                      body: Array(FormEncoding.encode(body).utf8))
        let response = try await transport.sendRetrying(request, attempts: 2, backoff: .milliseconds(200))
        let json = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status), json?["status"].string == "success" else {
            let said = json?.at("data", "response").string.map { String($0.prefix(200)) }
            throw PaymentError.providerRejected(status: response.status, message: said ?? "subscription \(action) refused")
        }
        return json!
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

// MARK: refunds

extension PayFastClient: OrderRefunds {
    /// The body of a refund as PayFast's own SDK sends it: JSON with the amount in cents, the reason and
    /// `notify_buyer` (PayFast emails the buyer). Signed like every API call: headers and these fields, sorted.
    static func refundBody(amount: Money, reason: String) -> [FormField] {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return [FormField("amount", String(amount.minor)), FormField("notify_buyer", "1")]
            + (reason.isEmpty ? [] : [FormField("reason", String(reason.prefix(255)))])
    }

    /// `POST {api}/refunds/{pf_payment_id}`. PayFast takes no idempotency key, so the call is made once and not
    /// retried (a retry after a lost answer could refund twice); the caller keeps one refund per admin's form.
    /// PayFast's sandbox has no refunds.
    public func refundOrder(orderID: String, paymentRef: String, amount: Money, reason: String, idempotencyKey: String) async throws {
        guard !configuration.host.contains("sandbox") else {
            throw PaymentError.providerRejected(status: 400, message: "PayFast's sandbox does not make refunds")
        }
        let fields = Self.refundBody(amount: amount, reason: reason)
        let headers = Self.apiHeaders(merchantID: configuration.merchantID, passphrase: configuration.passphrase,
                                      timestamp: Self.isoTimestamp(clock()), body: fields)
        var json: [String: Any] = [:]
        for f in fields { json[f.name] = f.name == "reason" ? f.value : Int(f.value)! }
        let body = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        let request = OutgoingRequest(method: "POST", url: "\(apiBase)/refunds/\(FormEncoding.escape(paymentRef))",
                                      headers: headers + [("Content-Type", "application/json")], body: Array(body))
        let response = try await transport.send(request)
        let answer = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status), answer?["status"].string == "success" else {
            let said = answer?.at("data", "response").string.map { String($0.prefix(200)) }
            throw PaymentError.providerRejected(status: response.status, message: said ?? "refund refused")
        }
    }

    /// pf_payment_id is a number.
    public func refundable(paymentRef: String) -> Bool { !paymentRef.isEmpty && paymentRef.allSatisfy(\.isNumber) }
}

func md5(_ s: String) -> String {
    hex(Insecure.MD5.hash(data: Array(s.utf8)))
}

/// Printed by its configuration, which leaves out the secrets.
extension PayFastClient: CustomStringConvertible {
    public var description: String { "PayFastClient(\(configuration))" }
}
