import Foundation

/// Where a membership stands at a moment.
public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
    /// Checkout started, nothing paid yet.
    case pending
    /// Paid up.
    case active
    /// On a provider's trial: access, no revenue yet.
    case trialing
    /// A renewal failed; the provider retries and the member is asked to fix the payment.
    case onHold = "on_hold"
    /// The grace period after a failed renewal ran out, or a period ended with no payment reported.
    case lapsed
    /// Collection paused by the member (or the provider) for a while.
    case paused
    /// Cancelled: access continues to the end of the paid period.
    case cancelled
    /// Cancelled and past the end of the paid period, or an honorary membership that ended.
    case expired
    /// Complimentary, granted by an admin.
    case honorary

    /// Counted as a standing membership for churn: someone who has not left (yet).
    public var isSubscribed: Bool {
        switch self {
        case .active, .trialing, .onHold, .paused, .cancelled: true
        case .pending, .lapsed, .expired, .honorary: false
        }
    }
}

/// Which rule of `Engine.status(of:at:)` decided, in the order they are tried.
public enum StatusRule: String, Sendable, Hashable, Codable {
    case oneOffContribution, honoraryGrant, endedAtProvider, pausedCollection, neverPaid, honoraryOver, cancelAtPeriodEnd,
         failedRenewal, providerPastDue, paidPeriod, noRenewalReported
}

/// A status with the rule that produced it and the dates that matter to the member.
public struct StatusReport: Sendable, Hashable, Codable {
    public var status: Status
    public var rule: StatusRule
    /// One line a member or admin can read: "On hold since 2026-03-01: the renewal failed; lapses on 2026-03-15".
    public var summary: String
    /// Access (paid, honorary or grace) ends then, if known.
    public var accessUntil: Date?
    /// Set while on hold or lapsed after a failed renewal.
    public var onHoldSince: Date?
    /// Member access (the role) right now.
    public var hasAccess: Bool
}

extension Engine {
    /// The status at `now`, decided by the first rule that applies:
    /// 1. an honorary grant still running → honorary;
    /// 2. the provider ended the subscription → cancelled until the paid period ends, then expired;
    /// 3. collection paused (member's pause, or the provider's `paused`) → paused;
    /// 4. nothing ever paid → pending (trialing on a provider trial; expired once an honorary grant is over);
    /// 5. cancel at period end → cancelled until the paid period ends, then expired;
    /// 6. a renewal failed after the last payment (or the provider says past due / unpaid) → on hold for
    ///    `graceDays`, then lapsed; the next successful payment clears it (recovered);
    /// 7. inside a paid period (plus `renewalSlack`, and any pause that has ended) → active;
    /// 8. otherwise no renewal was reported → lapsed.
    public func status(of m: Membership, at now: Date) -> StatusReport {
        func report(_ s: Status, _ rule: StatusRule, _ summary: String, until: Date? = nil,
                    holdSince: Date? = nil) -> StatusReport {
            let access: Bool
            switch s {
            case .active, .trialing, .cancelled, .honorary: access = true
            case .onHold: access = settings.accessDuringGrace
            case .pending, .lapsed, .paused, .expired: access = false
            }
            return StatusReport(status: s, rule: rule, summary: summary, accessUntil: until, onHoldSince: holdSince,
                                hasAccess: access)
        }
        let day = CivilDate.dayString
        if m.oneOff {
            return m.contributedMinor > 0
                ? report(.expired, .oneOffContribution, "One-off contribution of \(Money(minor: m.contributedMinor, currency: m.currency).formatted()) received")
                : report(.pending, .oneOffContribution, "Waiting for the contribution to be confirmed")
        }

        if let grant = m.honorary?.value, grant.until.map({ now < $0 }) ?? true {
            return report(.honorary, .honoraryGrant,
                          grant.until.map { "Honorary membership until \(day($0))" } ?? "Honorary membership",
                          until: grant.until)
        }
        if m.ended != nil || m.providerStatus?.value == .canceled || m.providerStatus?.value == .incompleteExpired {
            if let through = m.paidThrough, now < through {
                return report(.cancelled, .endedAtProvider, "Cancelled; access until \(day(through))", until: through)
            }
            return report(.expired, .endedAtProvider,
                          m.paidThrough.map { "Ended; the last paid period ran to \(day($0))" } ?? "Ended before any payment")
        }
        if let until = m.pause?.value ?? nil, now < until {
            return report(.paused, .pausedCollection, "Paused until \(day(until))")
        }
        if m.providerStatus?.value == .paused {
            return report(.paused, .pausedCollection, "Paused at the payment provider")
        }
        guard m.lastPaid != nil else {
            if m.honorary != nil {
                return report(.expired, .honoraryOver, "The honorary membership has ended")
            }
            if m.providerStatus?.value == .trialing {
                return report(.trialing, .neverPaid, "On a trial")
            }
            return report(.pending, .neverPaid, "Waiting for the first payment to be confirmed")
        }
        let through = m.paidThrough ?? m.openedAt
        if m.cancelAtPeriodEnd?.value == true {
            if now < through {
                return report(.cancelled, .cancelAtPeriodEnd, "Cancelled; access until \(day(through))", until: through)
            }
            return report(.expired, .cancelAtPeriodEnd, "Cancelled; the paid period ended on \(day(through))")
        }
        if let since = holdSince(m) {
            let lapses = since.addingTimeInterval(settings.grace)
            let rule: StatusRule = m.failures.isEmpty ? .providerPastDue : .failedRenewal
            if now < lapses {
                return report(.onHold, rule,
                              "On hold since \(day(since)): the renewal failed; lapses on \(day(lapses)) unless the payment is fixed",
                              until: settings.accessDuringGrace ? lapses : nil, holdSince: since)
            }
            return report(.lapsed, rule, "Lapsed on \(day(lapses)): the renewal failed on \(day(since)) and was not fixed",
                          holdSince: since)
        }
        var coveredUntil = through
        if let resumed = m.pause?.value ?? nil, resumed > coveredUntil { coveredUntil = resumed }
        if now < coveredUntil.addingTimeInterval(settings.renewalSlack) {
            return report(.active, .paidPeriod, "Active; paid through \(day(through))", until: coveredUntil)
        }
        return report(.lapsed, .noRenewalReported, "Lapsed: no renewal reported after \(day(through))")
    }

    /// When the current hold began: the oldest failure newer than every payment, or the provider's own past-due /
    /// unpaid report if that is newer than the last payment. Nil when not on hold.
    func holdSince(_ m: Membership) -> Date? {
        var since = m.failures.first?.stamp.time
        if let s = m.providerStatus, s.value == .pastDue || s.value == .unpaid, m.lastPaid.map({ s.stamp > $0 }) ?? true {
            since = min(since ?? s.stamp.time, s.stamp.time)
        }
        return since
    }
}
