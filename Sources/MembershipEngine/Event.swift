import Foundation

/// Orders facts from different deliveries: by the time the provider says the thing happened, then by event id,
/// so that every machine, and every replay, breaks ties the same way.
public struct Stamp: Sendable, Hashable, Codable, Comparable {
    public var time: Date
    public var eventID: String

    public init(time: Date, eventID: String) {
        self.time = time
        self.eventID = eventID
    }

    public static func < (a: Stamp, b: Stamp) -> Bool {
        a.time != b.time ? a.time < b.time : a.eventID < b.eventID
    }
}

/// How a provider's event points at a membership. Any one that is known is enough.
public struct Reference: Sendable, Hashable, Codable {
    /// Quorum's own membership id, sent to the provider at checkout (Stripe metadata, PayFast m_payment_id).
    public var membershipID: String?
    /// Stripe subscription id, PayFast subscription token.
    public var subscriptionID: String?
    public var customerID: String?

    public init(membershipID: String? = nil, subscriptionID: String? = nil, customerID: String? = nil) {
        self.membershipID = membershipID
        self.subscriptionID = subscriptionID
        self.customerID = customerID
    }
}

/// Subscription statuses as providers report them (Stripe's list; PayFast maps onto it).
public enum ProviderStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active, pastDue = "past_due", unpaid, canceled, incomplete, incompleteExpired = "incomplete_expired",
         paused, trialing
}

/// One thing that happened to a membership, in provider-neutral terms. Providers' webhooks are parsed into these
/// (Payments), members' and admins' actions are written as these too, and every one is recorded in the ledger
/// before it is applied: replaying the ledger rebuilds every membership.
public struct MembershipEvent: Sendable, Hashable, Codable {
    /// Unique per provider ("stripe:evt_…", "payfast:123456:COMPLETE", "local:…"): the deduplication key.
    public var id: String
    public var provider: String
    /// When the provider says it happened (Stripe's `created`, PayFast's billing date): never when it arrived.
    public var occurredAt: Date
    public var reference: Reference
    public var kind: Kind

    public init(id: String, provider: String, occurredAt: Date, reference: Reference, kind: Kind) {
        self.id = id
        self.provider = provider
        self.occurredAt = occurredAt
        self.reference = reference
        self.kind = kind
    }

    public var stamp: Stamp { Stamp(time: occurredAt, eventID: id) }

    public enum Kind: Sendable, Hashable, Codable {
        /// A reader started checkout: the membership exists, pending, with the pledge they chose.
        case opened(Pledge)
        /// A reader started a one-off contribution: a record of its own, outside membership counts and MRR.
        case openedOneOff(Money)
        /// The provider's checkout finished; links the provider's subscription and customer to the membership.
        case checkoutCompleted(subscriptionID: String?, customerID: String?)
        /// A charge for a period went through.
        case paymentSucceeded(Payment)
        /// A charge failed (a renewal, usually).
        case paymentFailed(Failure)
        /// The provider's view of the subscription at `occurredAt`.
        case subscriptionChanged(Snapshot)
        /// The subscription ended at the provider (Stripe `customer.subscription.deleted`, PayFast CANCELLED).
        case subscriptionEnded
        /// Money went back to the member: `total` is everything refunded so far on that charge (providers report
        /// the running total, so the membership keeps the largest seen per charge).
        case refunded(chargeID: String, total: Money)
        /// A one-off gift: counted, but no membership period.
        case contribution(Money)
        /// A member or admin asked for these (the provider is told as well; its confirmations carry later stamps).
        case pauseRequested(until: Date)
        case resumeRequested
        case amountChangeRequested(Pledge)
        case cancelRequested
        case cancelWithdrawn
        /// A complimentary membership, optionally until a date; revoking ends it at once.
        case honoraryGranted(until: Date?)
        case honoraryRevoked
        /// A provider event Quorum does not act on; recorded, never applied.
        case unhandled(type: String)
    }

    public struct Payment: Sendable, Hashable, Codable {
        public var amount: Money
        /// The end of the period this payment pays for.
        public var periodEnd: Date
        public var invoiceID: String?

        public init(amount: Money, periodEnd: Date, invoiceID: String? = nil) {
            self.amount = amount
            self.periodEnd = periodEnd
            self.invoiceID = invoiceID
        }
    }

    public struct Failure: Sendable, Hashable, Codable {
        public var amount: Money
        /// The end of the period the failed charge was for, when the provider says (lets a failure for a period
        /// that has since been paid be recognised as stale).
        public var periodEnd: Date?
        public var invoiceID: String?

        public init(amount: Money, periodEnd: Date? = nil, invoiceID: String? = nil) {
            self.amount = amount
            self.periodEnd = periodEnd
            self.invoiceID = invoiceID
        }
    }

    public struct Snapshot: Sendable, Hashable, Codable {
        public var status: ProviderStatus
        public var cancelAtPeriodEnd: Bool
        /// Set while collection is paused until a date; nil when not paused.
        public var pausedUntil: Date?
        /// The amount now charged each interval, when the provider says.
        public var pledge: Pledge?

        public init(status: ProviderStatus, cancelAtPeriodEnd: Bool = false, pausedUntil: Date? = nil,
                    pledge: Pledge? = nil) {
            self.status = status
            self.cancelAtPeriodEnd = cancelAtPeriodEnd
            self.pausedUntil = pausedUntil
            self.pledge = pledge
        }
    }
}
