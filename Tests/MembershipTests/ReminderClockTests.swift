import Foundation
import MembershipEngine
import Testing

@Suite struct ReminderClockTests {
    /// Providers stamp events with their own clock; a failure stamped a few seconds after the server's now is
    /// still a hold that begins now, and its first email is due at once (not at the next upkeep pass).
    @Test func aHoldReportedSlightlyAheadOfOurClockIsEmailedAtOnce() {
        let engine = Engine()
        let start = CivilDate.date(year: 2026, month: 3, day: 1)
        let zar = Money(units: 200, .zar)
        var m = engine.open(id: "mem_clock", provider: "stripe", pledge: Pledge(amount: zar, interval: .month), at: start)
        m = engine.apply(MembershipEvent(id: "stripe:paid", provider: "stripe", occurredAt: start, reference: Reference(membershipID: m.id),
                                         kind: .paymentSucceeded(.init(amount: zar, periodEnd: CivilDate.adding(months: 1, to: start)))), to: m).membership
        let renewal = CivilDate.adding(months: 1, to: start)
        m = engine.apply(MembershipEvent(id: "stripe:failed", provider: "stripe", occurredAt: renewal.addingTimeInterval(3),
                                         reference: Reference(membershipID: m.id),
                                         kind: .paymentFailed(.init(amount: zar, periodEnd: CivilDate.adding(months: 2, to: start)))), to: m).membership
        #expect(engine.status(of: m, at: renewal).status == .onHold)
        let due = engine.reminders(for: m, at: renewal, sent: [])
        #expect(due.map(\.day) == [0])
        #expect(engine.reminders(for: m, at: renewal, sent: Set(due.map(\.key))).isEmpty)
        #expect(engine.reminders(for: m, at: renewal.addingTimeInterval(3 * 86400 + 3), sent: Set(due.map(\.key))).map(\.day) == [3])
    }
}
