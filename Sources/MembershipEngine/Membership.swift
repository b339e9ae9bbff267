import Foundation

/// A value that the latest stamped offer wins. Offers may arrive in any order: the result is the same.
public struct Register<Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public private(set) var value: Value
    public private(set) var stamp: Stamp

    public init(_ value: Value, at stamp: Stamp) {
        self.value = value
        self.stamp = stamp
    }

    /// Takes `value` if `stamp` is newer; says whether it did.
    @discardableResult
    public mutating func offer(_ value: Value, at stamp: Stamp) -> Bool {
        guard stamp > self.stamp else { return false }
        self.value = value
        self.stamp = stamp
        return true
    }
}

extension Optional {
    /// Register semantics for a register that may not exist yet.
    @discardableResult
    mutating func offer<V>(_ value: V, at stamp: Stamp) -> Bool where Wrapped == Register<V> {
        if self == nil {
            self = Register(value, at: stamp)
            return true
        }
        return self!.offer(value, at: stamp)
    }
}

/// Everything known about one membership: facts, each kept so that the order events arrive in cannot change it
/// (maxima, minima, latest-stamp registers, sums over deduplicated events). The status is not stored: it is
/// derived from these facts and a time by `Engine.status(of:at:)`.
public struct Membership: Sendable, Hashable, Codable {
    public var id: String
    public var provider: String
    public var openedAt: Date
    /// What the member pays, latest stamped change winning (checkout, member's change, provider's snapshot).
    public var pledge: Register<Pledge>

    public var subscriptionID: String?
    public var customerID: String?

    /// The end of the latest period paid for (the maximum over successful payments).
    public var paidThrough: Date?
    /// The first successful payment: when the reader became a paying member.
    public var firstPaidAt: Date?
    /// The newest successful payment.
    public var lastPaid: Stamp?
    /// Failed charges newer than every successful one (older failures are settled and dropped), oldest first.
    public var failures: [FailureRecord]

    public var providerStatus: Register<ProviderStatus>?
    public var cancelAtPeriodEnd: Register<Bool>?
    /// Paused until the date held; nil value: resumed.
    public var pause: Register<Date?>?
    /// The first report that the subscription ended.
    public var ended: Stamp?
    /// Complimentary membership: granted (until a date or open-ended) or revoked (nil value).
    public var honorary: Register<Honorary?>?

    /// A one-off contribution's record: never a membership, left out of counts and MRR.
    public var oneOff: Bool

    public var paidMinor: Int64
    /// Largest refunded total seen per charge.
    public var refunds: [String: Int64]
    public var contributedMinor: Int64

    public var refundedMinor: Int64 { refunds.values.reduce(0, +) }

    public struct FailureRecord: Sendable, Hashable, Codable {
        public var stamp: Stamp
        public var periodEnd: Date?
    }

    public struct Honorary: Sendable, Hashable, Codable {
        public var until: Date?
    }

    public init(id: String, provider: String, pledge: Pledge, openedAt: Date, openingEventID: String? = nil,
                oneOff: Bool = false) {
        self.oneOff = oneOff
        self.refunds = [:]
        self.id = id
        self.provider = provider
        self.openedAt = openedAt
        self.pledge = Register(pledge, at: Stamp(time: openedAt, eventID: openingEventID ?? "open:\(id)"))
        self.failures = []
        self.paidMinor = 0
        self.contributedMinor = 0
    }

    public var currency: Currency { pledge.value.amount.currency }
}
