import Foundation

/// What withdrawing a cancellation takes, decided from the facts, a time and what the provider can do.
public enum Withdrawal: Sendable, Hashable {
    /// The provider's subscription still stands and only stops at the period end (Stripe's
    /// `cancel_at_period_end`): tell the provider to keep renewing, then record `cancelWithdrawn`.
    case keepSubscription
    /// The provider's subscription is gone or cannot be revived (a cancelled PayFast token): a new subscription
    /// whose paid time starts at `from`, the end of the period already paid for, at the same pledge.
    case newSubscription(from: Date, pledge: Pledge)
    /// Nothing to withdraw (and why).
    case notPossible(String)
}

extension Engine {
    /// Whether and how the cancellation of `m` can be undone at `now`. Only a cancelled membership still inside
    /// its paid period can: after the period end it has expired, and joining again is a new checkout.
    /// `providerRevives`: the provider can undo a cancel-at-period-end on the same subscription (Stripe can;
    /// PayFast cannot: its cancel ends the token at once). `providerStartsLater`: the provider can start a new
    /// subscription whose first billing date lies ahead (PayFast's `billing_date`).
    public func withdrawal(of m: Membership, at now: Date, providerRevives: Bool, providerStartsLater: Bool) -> Withdrawal {
        let report = status(of: m, at: now)
        guard report.status == .cancelled, let through = m.paidThrough, now < through else {
            switch report.status {
            case .expired: return .notPossible("Your membership has ended; you can start a new one.")
            default: return .notPossible("Your membership is not cancelled.")
            }
        }
        if report.rule == .cancelAtPeriodEnd, providerRevives { return .keepSubscription }
        if providerStartsLater { return .newSubscription(from: through, pledge: m.pledge.value) }
        return .notPossible("The payment provider cannot undo this cancellation; you can start a new membership when this one ends.")
    }
}
