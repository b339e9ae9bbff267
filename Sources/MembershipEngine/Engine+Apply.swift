import Foundation

/// What applying one event did.
public struct Applied: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The event changed the facts.
        case applied
        /// Recorded, nothing changed (and why).
        case noChange(String)
        /// Refused: never to be applied (and why).
        case rejected(String)
    }

    public var membership: Membership
    public var outcome: Outcome
    /// One line for the member's ledger in the admin: what the event meant.
    public var note: String
}

extension Engine {
    /// A new pending membership for a reader who chose `pledge` and is about to pay through `provider`.
    public func open(id: String, provider: String, pledge: Pledge, at time: Date, eventID: String? = nil) -> Membership {
        Membership(id: id, provider: provider, pledge: pledge, openedAt: time, openingEventID: eventID)
    }

    /// A record for a one-off contribution (it is never a membership: `Status` stays pending until paid, then
    /// expired, and `Dashboard` leaves it out).
    public func openOneOff(id: String, provider: String, amount: Money, at time: Date, eventID: String? = nil) -> Membership {
        Membership(id: id, provider: provider, pledge: Pledge(amount: amount, interval: .month), openedAt: time,
                   openingEventID: eventID, oneOff: true)
    }

    /// Folds one event into a membership's facts. Every fact is a maximum, a minimum, a latest-stamp register
    /// or a sum, so events give the same membership in whatever order they come (sums need each event once:
    /// deduplicate by event id first, as `Book` and the ledger's unique key do).
    public func apply(_ event: MembershipEvent, to membership: Membership) -> Applied {
        var m = membership
        let stamp = event.stamp
        let day = CivilDate.dayString
        func done(_ changed: Bool, _ note: String, unchanged: String? = nil) -> Applied {
            Applied(membership: m, outcome: changed ? .applied : .noChange(unchanged ?? "already known"), note: note)
        }
        func sameCurrency(_ money: Money) -> Bool { money.currency.code == m.currency.code }

        // The first event that names both this membership and provider ids links them (for the admin's links).
        if event.reference.membershipID == m.id {
            if m.subscriptionID == nil { m.subscriptionID = event.reference.subscriptionID }
            if m.customerID == nil { m.customerID = event.reference.customerID }
        }
        switch event.kind {
        case let .opened(pledge):
            let changed = m.pledge.offer(pledge, at: stamp)
            return done(changed, "Opened at \(pledge.amount.formatted()) \(pledge.interval.perWord)")
        case let .openedOneOff(money):
            return done(false, "One-off contribution of \(money.formatted()) started", unchanged: "opening")

        case let .checkoutCompleted(subscriptionID, customerID):
            var changed = false
            if m.subscriptionID == nil, let s = subscriptionID { m.subscriptionID = s; changed = true }
            if m.customerID == nil, let c = customerID { m.customerID = c; changed = true }
            return done(changed, "Checkout completed")

        case let .paymentSucceeded(payment):
            guard sameCurrency(payment.amount) else {
                return Applied(membership: membership, outcome: .rejected(
                    "paid in \(payment.amount.currency.code), the membership is in \(m.currency.code)"), note: "Payment in another currency")
            }
            m.paidMinor += payment.amount.minor
            if m.firstPaidAt.map({ event.occurredAt < $0 }) ?? true { m.firstPaidAt = event.occurredAt }
            if m.lastPaid.map({ stamp > $0 }) ?? true { m.lastPaid = stamp }
            if m.paidThrough.map({ payment.periodEnd > $0 }) ?? true { m.paidThrough = payment.periodEnd }
            let settled = m
            m.failures.removeAll { !Engine.failureStillOpen($0, in: settled) }
            return done(true, "Paid \(payment.amount.formatted()) for the period to \(day(payment.periodEnd))")

        case let .paymentFailed(failure):
            let record = Membership.FailureRecord(stamp: stamp, periodEnd: failure.periodEnd)
            guard Engine.failureStillOpen(record, in: m) else {
                let why = m.lastPaid.map { "a payment on \(day($0.time)) is newer" } ?? "that period is already paid"
                return done(false, "Renewal of \(failure.amount.formatted()) failed", unchanged: "stale: \(why)")
            }
            guard !m.failures.contains(where: { $0.stamp == stamp }) else { return done(false, "Renewal failed") }
            m.failures.append(record)
            m.failures.sort { $0.stamp < $1.stamp }
            return done(true, "Renewal of \(failure.amount.formatted()) failed")

        case let .subscriptionChanged(snapshot):
            var changed = m.providerStatus.offer(snapshot.status, at: stamp)
            changed = m.cancelAtPeriodEnd.offer(snapshot.cancelAtPeriodEnd, at: stamp) || changed
            changed = m.pause.offer(snapshot.pausedUntil, at: stamp) || changed
            if let pledge = snapshot.pledge, sameCurrency(pledge.amount) {
                changed = m.pledge.offer(pledge, at: stamp) || changed
            }
            return done(changed, "Subscription \(snapshot.status.rawValue)"
                        + (snapshot.cancelAtPeriodEnd ? ", cancelling at period end" : "")
                        + (snapshot.pausedUntil.map { ", paused until \(day($0))" } ?? ""),
                        unchanged: "older than what is known")

        case .subscriptionEnded:
            let changed = m.ended.map { stamp < $0 } ?? true
            if changed { m.ended = stamp }
            return done(changed, "Subscription ended at the provider")

        case let .refunded(chargeID, total):
            guard sameCurrency(total) else {
                return Applied(membership: membership, outcome: .rejected("refund in another currency"), note: "Refund")
            }
            let changed = total.minor > (m.refunds[chargeID] ?? 0)
            if changed { m.refunds[chargeID] = total.minor }
            return done(changed, "Refunded \(total.formatted()) in all on charge \(chargeID); access is unchanged")

        case let .contribution(money):
            guard sameCurrency(money) else {
                return Applied(membership: membership, outcome: .rejected("gift in another currency"), note: "Gift")
            }
            m.contributedMinor += money.minor
            return done(true, "One-off contribution of \(money.formatted())")

        case let .pauseRequested(until):
            return done(m.pause.offer(until, at: stamp), "Pause requested until \(day(until))", unchanged: "older than what is known")
        case .resumeRequested:
            return done(m.pause.offer(nil, at: stamp), "Resume requested", unchanged: "older than what is known")
        case let .amountChangeRequested(pledge):
            guard sameCurrency(pledge.amount) else {
                return Applied(membership: membership, outcome: .rejected("amount in another currency"), note: "Amount change")
            }
            return done(m.pledge.offer(pledge, at: stamp),
                        "Amount changed to \(pledge.amount.formatted()) \(pledge.interval.perWord) from the next period",
                        unchanged: "older than what is known")
        case .cancelRequested:
            return done(m.cancelAtPeriodEnd.offer(true, at: stamp), "Cancellation requested (at the end of the paid period)",
                        unchanged: "older than what is known")
        case .cancelWithdrawn:
            return done(m.cancelAtPeriodEnd.offer(false, at: stamp), "Cancellation withdrawn", unchanged: "older than what is known")
        case let .honoraryGranted(until):
            return done(m.honorary.offer(Membership.Honorary(until: until), at: stamp),
                        "Honorary membership granted" + (until.map { " until \(day($0))" } ?? ""),
                        unchanged: "older than what is known")
        case .honoraryRevoked:
            return done(m.honorary.offer(nil, at: stamp), "Honorary membership revoked", unchanged: "older than what is known")
        case let .unhandled(type):
            return Applied(membership: membership, outcome: .noChange("not an event membership acts on"), note: "Provider event \(type)")
        }
    }

    /// A failure still counts when it is newer than every payment and its period (if known) is not yet paid.
    static func failureStillOpen(_ f: Membership.FailureRecord, in m: Membership) -> Bool {
        if let paid = m.lastPaid, f.stamp <= paid { return false }
        if let period = f.periodEnd, let through = m.paidThrough, period <= through { return false }
        return true
    }
}
