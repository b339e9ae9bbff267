import Foundation

/// The membership policy. An `Engine` is a value holding the site's `Settings`; each function takes a
/// `Membership` (facts) and returns new values. Nothing is remembered between calls and nothing reads a clock:
/// the server records every event in the ledger, persists the `Membership`, and passes `now`.
///
/// The calls, in the order a membership meets them:
/// 1. `open(id:provider:pledge:at:eventID:)` when a reader who chose an amount is sent to checkout: pending.
/// 2. `apply(_:to:at:)` for every event (provider webhook, member or admin action) after it is recorded in the
///    ledger and deduplicated (`Book` does both for a set of memberships). Each fact is kept so that the order
///    events arrive in cannot change the result: a late `payment_failed` never overrides a newer payment.
/// 3. `status(of:at:)` whenever the status matters (role, pages, emails), with the rule that decided it.
/// 4. `transition(from:to:)` to tell what an event or the passing of time did (on hold, recovered, lapsed…),
///    and `reminders(for:at:sent:)` for the on-hold emails due.
/// 5. `Dashboard` over a replayed ledger for the admin figures.
public struct Engine: Sendable {
    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }
}

/// A site's membership policy.
public struct Settings: Sendable, Hashable, Codable {
    /// How long a member stays on hold after a failed renewal before the membership lapses.
    public var graceDays: Int
    /// Whether an on-hold member keeps member access during the grace period.
    public var accessDuringGrace: Bool
    /// Days after going on hold on which the member is emailed (0 = at once).
    public var reminderDays: [Int]
    /// How long past the end of a paid period a renewal may take to be reported before the membership counts as
    /// lapsed without any failure report (webhooks can be late; providers retry).
    public var renewalSlack: TimeInterval

    public init(graceDays: Int = 14, accessDuringGrace: Bool = true, reminderDays: [Int] = [0, 3, 7],
                renewalSlack: TimeInterval = 3 * 86400) {
        self.graceDays = graceDays
        self.accessDuringGrace = accessDuringGrace
        self.reminderDays = reminderDays
        self.renewalSlack = renewalSlack
    }

    public var grace: TimeInterval { TimeInterval(graceDays) * 86400 }
}

/// UTC calendar arithmetic without Calendar (deterministic, cheap, no locale).
public enum CivilDate {
    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func components(ofDay z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func date(year: Int, month: Int, day: Int, seconds: Int = 0) -> Date {
        Date(timeIntervalSince1970: TimeInterval(days(year: year, month: month, day: day) * 86400 + seconds))
    }

    public static func components(of date: Date) -> (year: Int, month: Int, day: Int) {
        components(ofDay: Int((date.timeIntervalSince1970 / 86400).rounded(.down)))
    }

    /// The same time of day `months` calendar months later, the day clamped to the month's length
    /// (31 January + 1 month = 28 or 29 February).
    public static func adding(months: Int, to date: Date) -> Date {
        let t = date.timeIntervalSince1970
        let dayNumber = Int((t / 86400).rounded(.down))
        let secondsOfDay = t - TimeInterval(dayNumber) * 86400
        let c = components(ofDay: dayNumber)
        let total = c.year * 12 + (c.month - 1) + months
        let year = total >= 0 ? total / 12 : (total - 11) / 12
        let month = total - year * 12 + 1
        let day = min(c.day, daysIn(year: year, month: month))
        return Date(timeIntervalSince1970: TimeInterval(days(year: year, month: month, day: day) * 86400) + secondsOfDay)
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        let next = month == 12 ? days(year: year + 1, month: 1, day: 1) : days(year: year, month: month + 1, day: 1)
        return next - days(year: year, month: month, day: 1)
    }

    /// "2026-03-01".
    public static func dayString(_ date: Date) -> String {
        let c = components(of: date)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(c.year)-\(two(c.month))-\(two(c.day))"
    }

    /// Reads "2026-03-01" (PayFast's billing_date) as midnight UTC.
    public static func parseDay(_ text: String) -> Date? {
        let parts = text.trimmingCharacters(in: .whitespaces).prefix(10).split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= daysIn(year: y, month: m) else { return nil }
        return date(year: y, month: m, day: d)
    }
}
