import Foundation

/// An exact ratio; `value` for display only.
public struct Fraction: Sendable, Hashable, Codable {
    public var numerator: Int
    public var denominator: Int
    public var value: Double? { denominator == 0 ? nil : Double(numerator) / Double(denominator) }

    /// "12.5%", or "–" when undefined (nothing to divide by).
    public var percentText: String {
        guard let v = value else { return "–" }
        let tenths = Int((v * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}

/// Monthly recurring revenue, exact: `twelfths` is twelve times the monthly figure in minor units, so that yearly
/// amounts ÷ 12 lose nothing; `money` rounds half up to a whole minor unit for display.
public struct MRR: Sendable, Hashable, Codable {
    public var twelfths: Int64
    public var currency: Currency
    public var money: Money { Money(minor: (twelfths + 6) / 12, currency: currency) }
}

/// One calendar month (UTC) of the dashboard.
public struct MonthFigures: Sendable, Hashable, Codable {
    public var year: Int
    public var month: Int
    /// Standing memberships at the first instant of the month (`Status.isSubscribed`).
    public var subscribedAtStart: Int
    /// Memberships whose first payment fell in the month.
    public var new: Int
    /// Standing at the start of the month, not standing at its end (lapsed or expired): a member who lapsed and
    /// recovered within the month did not churn.
    public var churned: Int
    /// churned ÷ subscribed at the start of the month.
    public var churnRate: Fraction { Fraction(numerator: churned, denominator: subscribedAtStart) }
    /// MRR at the end of the month (or now, for the current month).
    public var mrrAtEnd: MRR
}

/// The admin's figures, all computed from the ledger by replay.
///
/// Definitions (also in docs/membership.md):
/// - **Active**: status `active` now. On hold, paused, cancelled (still in the paid period), trialing and
///   honorary are counted separately.
/// - **MRR** = Σ monthly amounts + (Σ yearly amounts) ÷ 12 over memberships that are `active` or `on hold` (the
///   subscription stands and the provider is retrying). Excluded: paused, trialing, cancelled at period end,
///   honorary, pending, lapsed, expired. One-off contributions are not recurring revenue.
/// - **New** in a month: first successful payment in that month.
/// - **Churned** in a month: standing at its start, not standing at its end.
/// - **Churn rate** = churned ÷ standing at the start of the month.
/// - **Conversion** = new members in the last 30 days ÷ unique readers in the last 30 days.
public struct Dashboard: Sendable, Hashable, Codable {
    public var counts: [Status: Int]
    public var mrr: MRR
    /// Oldest first, the current month last.
    public var months: [MonthFigures]
    public var newLast30Days: Int
    public var conversion: Fraction?

    public var active: Int { counts[.active] ?? 0 }
    public var onHold: Int { counts[.onHold] ?? 0 }

    /// Statuses counted in MRR.
    public static let revenueStatuses: Set<Status> = [.active, .onHold]

    public static func compute(ledger: [MembershipEvent], engine: Engine, currency: Currency, now: Date,
                               months monthCount: Int = 12, readersLast30Days: Int? = nil) -> Dashboard {
        let events = ledger.sorted { $0.stamp < $1.stamp }
        func book(at t: Date) -> Book {
            Book.replay(events.prefix { $0.occurredAt <= t }, engine: engine)
        }
        func statuses(_ b: Book, at t: Date) -> [String: Status] {
            b.memberships.filter { !$0.value.oneOff }.mapValues { engine.status(of: $0, at: t).status }
        }
        func mrr(_ b: Book, at t: Date) -> MRR {
            var total: Int64 = 0
            for m in b.memberships.values where !m.oneOff && revenueStatuses.contains(engine.status(of: m, at: t).status) {
                total += m.pledge.value.monthlyTwelfths
            }
            return MRR(twelfths: total, currency: currency)
        }

        let final = book(at: now)
        let nowStatuses = statuses(final, at: now)
        var counts: [Status: Int] = [:]
        for s in nowStatuses.values { counts[s, default: 0] += 1 }

        let c = CivilDate.components(of: now)
        var figures: [MonthFigures] = []
        for back in stride(from: monthCount - 1, through: 0, by: -1) {
            let total = c.year * 12 + (c.month - 1) - back
            let year = total / 12, month = total % 12 + 1
            let start = CivilDate.date(year: year, month: month, day: 1)
            let next = month == 12 ? CivilDate.date(year: year + 1, month: 1, day: 1)
                                   : CivilDate.date(year: year, month: month + 1, day: 1)
            let end = min(next, now)
            // The instant before the month starts and the instant before it ends (or now).
            let before = book(at: start.addingTimeInterval(-0.001))
            let after = end == now ? final : book(at: end.addingTimeInterval(-0.001))
            let atStart = statuses(before, at: start.addingTimeInterval(-0.001))
            let atEnd = statuses(after, at: end == now ? now : end.addingTimeInterval(-0.001))
            let standing = atStart.filter { $0.value.isSubscribed }.map(\.key)
            let churned = standing.filter { !(atEnd[$0]?.isSubscribed ?? false) }.count
            let new = after.memberships.values.filter { m in
                !m.oneOff && m.firstPaidAt.map { $0 >= start && $0 < next } ?? false
            }.count
            figures.append(MonthFigures(year: year, month: month, subscribedAtStart: standing.count, new: new,
                                        churned: churned,
                                        mrrAtEnd: end == now ? mrr(final, at: now) : mrr(after, at: end.addingTimeInterval(-0.001))))
        }
        let monthAgo = now.addingTimeInterval(-30 * 86400)
        let new30 = final.memberships.values.filter { m in !m.oneOff && m.firstPaidAt.map { $0 > monthAgo && $0 <= now } ?? false }.count
        return Dashboard(counts: counts, mrr: mrr(final, at: now), months: figures, newLast30Days: new30,
                         conversion: readersLast30Days.map { Fraction(numerator: new30, denominator: $0) })
    }
}
