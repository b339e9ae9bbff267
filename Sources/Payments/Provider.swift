import Foundation
import MembershipEngine

/// One payment provider as the membership service sees it. Implementations speak the provider's wire format;
/// what comes back is provider-neutral (`MembershipEvent`).
public protocol PaymentProvider: Sendable {
    /// "stripe", "payfast": the prefix of event ids and the value stored with each membership.
    var name: String { get }

    /// Starts paying: where to send the reader.
    func checkout(_ request: CheckoutRequest) async throws -> CheckoutStart

    /// Verifies one delivery (signature, freshness, and whatever else the provider asks for) and turns it into
    /// events. Throws `PaymentError` for anything that must not be applied.
    func receive(_ delivery: WebhookDelivery, context: ReceiveContext) async throws -> [MembershipEvent]

    /// A page where the member fixes their card, if the provider has one (Stripe's portal). Nil: start a new
    /// checkout instead (PayFast).
    func paymentFixURL(customerID: String, returnURL: String, idempotencyKey: String) async throws -> URL?

    /// Charges `pledge` from the next period on.
    func changeAmount(subscriptionID: String, to pledge: Pledge, idempotencyKey: String) async throws

    /// Stops renewing; access continues to the end of the paid period.
    func cancelAtPeriodEnd(subscriptionID: String, idempotencyKey: String) async throws

    /// Stops collecting until `until` (nil: resumes now). `months` is the length the member chose, for providers
    /// that count a pause in billing cycles (PayFast).
    func pause(subscriptionID: String, until: Date?, months: Int, interval: Interval, idempotencyKey: String) async throws

    /// Undoes `cancelAtPeriodEnd` on the same subscription, so renewals go on (Stripe). Only called when
    /// `revivesCancelledSubscriptions`.
    func withdrawCancellation(subscriptionID: String, idempotencyKey: String) async throws

    /// Whether a cancellation can be undone on the same subscription (Stripe: yes; PayFast: no, its cancel ends
    /// the token at once).
    var revivesCancelledSubscriptions: Bool { get }

    /// Whether a new subscription can start paying from a later date (`CheckoutRequest.periodStart`; PayFast's
    /// `billing_date`).
    var startsSubscriptionsLater: Bool { get }
}

extension PaymentProvider {
    public var revivesCancelledSubscriptions: Bool { false }
    public var startsSubscriptionsLater: Bool { false }
    public func withdrawCancellation(subscriptionID: String, idempotencyKey: String) async throws {
        throw PaymentError.providerRejected(status: 501, message: "\(name) cannot undo a cancellation")
    }
}

/// What a reader is about to pay for.
public struct CheckoutRequest: Sendable, Hashable {
    public enum Purpose: Sendable, Hashable {
        case membership(Pledge)
        case oneOff(Money)
    }

    public var membershipID: String
    public var purpose: Purpose
    public var email: String
    public var firstName: String
    public var lastName: String
    /// Shown on the provider's page and the statement: "Daily Example membership".
    public var itemName: String
    public var successURL: String
    public var cancelURL: String
    /// Where the provider posts notifications, for providers that take it per payment (PayFast).
    public var notifyURL: String
    /// The first charge's date (PayFast's billing_date): today, passed in so nothing here reads a clock.
    public var today: Date
    /// Stays the same when the same checkout is retried (a double click, a timeout).
    public var idempotencyKey: String
    /// When the paid time of a new subscription starts, if later than today: a withdrawn cancellation whose old
    /// subscription cannot be revived starts where the period already paid for ends (providers that
    /// `startsSubscriptionsLater`).
    public var periodStart: Date?

    public init(membershipID: String, purpose: Purpose, email: String, firstName: String = "", lastName: String = "",
                itemName: String, successURL: String, cancelURL: String, notifyURL: String, today: Date,
                idempotencyKey: String, periodStart: Date? = nil) {
        self.membershipID = membershipID
        self.purpose = purpose
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.itemName = itemName
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.notifyURL = notifyURL
        self.today = today
        self.idempotencyKey = idempotencyKey
        self.periodStart = periodStart
    }
}

/// One field of a form, in order (PayFast signs fields in their order).
public struct FormField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Where checkout continues.
public enum CheckoutStart: Sendable, Hashable {
    /// Redirect the browser (Stripe Checkout).
    case redirect(URL, sessionID: String)
    /// Post this form from the browser (PayFast): an auto-submitting page, with a button for readers without JS.
    case formPost(action: URL, fields: [FormField])
}

/// A webhook or ITN exactly as it arrived.
public struct WebhookDelivery: Sendable {
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The peer's address, for providers whose deliveries come from known hosts.
    public var remoteAddress: String?

    public init(headers: [String: String], body: [UInt8], remoteAddress: String? = nil) {
        var lower: [String: String] = [:]
        for (k, v) in headers { lower[k.lowercased()] = v }
        self.headers = lower
        self.body = body
        self.remoteAddress = remoteAddress
    }
}

/// What the site knows that a provider's check needs.
public struct ReceiveContext: Sendable {
    public var now: Date
    /// The amount and interval Quorum expects for a membership id (PayFast's amount check); nil when unknown.
    public var expectation: @Sendable (String) async -> Expectation?

    public init(now: Date, expectation: @escaping @Sendable (String) async -> Expectation? = { _ in nil }) {
        self.now = now
        self.expectation = expectation
    }
}

public struct Expectation: Sendable, Hashable {
    public var amount: Money
    /// Nil for a one-off contribution.
    public var interval: Interval?

    public init(amount: Money, interval: Interval?) {
        self.amount = amount
        self.interval = interval
    }
}

/// Why a delivery or a call was refused. `description` never contains a secret.
public enum PaymentError: Error, Sendable, Hashable, CustomStringConvertible {
    case signatureMissing
    case signatureMalformed
    case signatureMismatch
    /// The signed timestamp is further from now than the tolerance (a replay, or a clock far off).
    case signatureStale(ageSeconds: Int)
    case malformedBody(String)
    case missingField(String)
    case wrongMerchant
    case sourceNotAllowed(String)
    case amountMismatch(expected: String, received: String)
    /// The provider's server said the notification is not one of its own.
    case notConfirmed(String)
    case providerRejected(status: Int, message: String)
    case transport(String)

    public var description: String {
        switch self {
        case .signatureMissing: "no signature"
        case .signatureMalformed: "the signature header cannot be read"
        case .signatureMismatch: "the signature does not match"
        case let .signatureStale(age): "the signature is \(age) s old (the tolerance is exceeded)"
        case let .malformedBody(why): "the body cannot be read: \(why)"
        case let .missingField(name): "the field \(name) is missing"
        case .wrongMerchant: "the notification is for another merchant"
        case let .sourceNotAllowed(address): "the notification came from \(address), not a provider host"
        case let .amountMismatch(expected, received): "the amount \(received) does not match the expected \(expected)"
        case let .notConfirmed(answer): "the provider did not confirm the notification (it answered \(answer))"
        case let .providerRejected(status, message): "the provider answered \(status): \(message)"
        case let .transport(why): "the provider could not be reached: \(why)"
        }
    }

    /// Whether the same delivery could succeed later (the provider should retry): a 5xx rather than a 4xx.
    public var isTemporary: Bool {
        switch self {
        case .transport: true
        case let .providerRejected(status, _): status >= 500
        default: false
        }
    }
}

/// Byte-wise comparison whose time does not depend on where the inputs differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            var difference: UInt8 = 0
            for i in 0..<x.count { difference |= x[i] ^ y[i] }
            return difference == 0
        }
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
