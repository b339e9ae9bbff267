import Foundation

extension Engine {
    /// The first instant after `now` at which the status of `m` could change with time alone (no new event): the
    /// end of an honorary grant, of the paid period (and its renewal slack), of a pause (and its slack), of the
    /// grace after a failed renewal. Conservative: a change may not happen then, but none happens before. Nil
    /// when nothing is due.
    public func nextStatusChange(of m: Membership, after now: Date) -> Date? {
        var candidates: [Date] = []
        if let until = m.honorary?.value?.until { candidates.append(until) }
        if let through = m.paidThrough { candidates += [through, through.addingTimeInterval(settings.renewalSlack)] }
        if let until = m.pause?.value ?? nil { candidates += [until, until.addingTimeInterval(settings.renewalSlack)] }
        if let since = holdSince(m) { candidates.append(since.addingTimeInterval(settings.grace)) }
        return candidates.filter { $0 > now }.min()
    }
}

extension Dashboard {
    /// Until when `compute(ledger:…, now:)` gives the same figures for every later `now` (with the same ledger):
    /// the next month's start, the next status change of any membership, the next event stamped in the future,
    /// and the day a new member drops out of "the last 30 days". A cached dashboard is good until then.
    public static func validUntil(ledger: [MembershipEvent], engine: Engine, now: Date) -> Date {
        let c = CivilDate.components(of: now)
        var until = c.month == 12 ? CivilDate.date(year: c.year + 1, month: 1, day: 1) : CivilDate.date(year: c.year, month: c.month + 1, day: 1)
        for e in ledger where e.occurredAt > now { until = min(until, e.occurredAt) }
        let book = Book.replay(ledger.filter { $0.occurredAt <= now }.sorted { $0.stamp < $1.stamp }, engine: engine)
        for m in book.memberships.values where !m.oneOff {
            if let next = engine.nextStatusChange(of: m, after: now) { until = min(until, next) }
            if let first = m.firstPaidAt {
                let leaves = first.addingTimeInterval(30 * 86400)
                if leaves > now { until = min(until, leaves) }
            }
        }
        return until
    }
}
