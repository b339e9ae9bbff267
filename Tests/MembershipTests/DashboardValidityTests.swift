import Foundation
import Testing
@testable import MembershipEngine

/// The dashboard's validity window: for every time inside it, the figures are those computed at its start, so a
/// dashboard cached for it equals a full replay.
@Suite struct DashboardValidityTests {
    let engine = Engine(settings: Settings(graceDays: 14, accessDuringGrace: true))

    /// Random ledgers of a few memberships (payments, failures, cancellations, pauses, honorary grants).
    func ledger(_ random: inout SeededRandom) -> [MembershipEvent] {
        var events: [MembershipEvent] = []
        for n in 0..<Int.random(in: 1...5, using: &random) {
            var s = Script("m\(n)")
            let start = Double(Int.random(in: 0...200, using: &random))
            events.append(s.opened(at: day(start)))
            var t = start
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let step = Double(Int.random(in: 1...40, using: &random))
                switch Int.random(in: 0..<7, using: &random) {
                case 0, 1, 2: events.append(s.paid(at: day(t), through: day(t + 30)))
                case 3: events.append(s.failed(at: day(t + 30), period: day(t + 60)))
                case 4: events.append(s.event(.cancelRequested, at: day(t + 2)))
                case 5: events.append(s.event(.pauseRequested(until: day(t + 45)), at: day(t + 3)))
                default: events.append(s.event(.honoraryGranted(until: day(t + 20)), at: day(t + 1)))
                }
                t += step
            }
        }
        return events
    }

    @Test func theFiguresStayTheSameUntilTheValidityEnds() {
        var random = SeededRandom(seed: 0xDA5B_0A2D)
        var checked = 0
        for _ in 0..<60 {
            let events = ledger(&random)
            let now = day(Double(Int.random(in: 0...300, using: &random)), hours: Double(Int.random(in: 0...23, using: &random)))
            let until = Dashboard.validUntil(ledger: events, engine: engine, now: now)
            #expect(until > now)
            let base = Dashboard.compute(ledger: events, engine: engine, currency: .zar, now: now, months: 3)
            let span = min(until.timeIntervalSince(now), 400 * 86400)
            for fraction in [0.25, 0.5, 0.999] {
                let t = now.addingTimeInterval(span * fraction)
                guard t < until else { continue }
                #expect(Dashboard.compute(ledger: events, engine: engine, currency: .zar, now: t, months: 3) == base,
                        "figures changed at \(t) before \(until)")
                checked += 1
            }
        }
        #expect(checked > 100)
    }

    @Test func theNextStatusChangeIsWhereTheStatusChanges() {
        var s = Script("m1")
        let b = Book.replay([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.failed(at: day(31), period: day(59))], engine: engine)
        let m = b.memberships["m1"]!
        // On hold from day 31; lapses after 14 days of grace.
        #expect(engine.nextStatusChange(of: m, after: day(32)) == day(34), "the renewal slack, conservatively")
        #expect(engine.nextStatusChange(of: m, after: day(35)) == day(45))
        #expect(engine.status(of: m, at: day(45) - 1).status == .onHold && engine.status(of: m, at: day(45)).status == .lapsed)
        #expect(engine.nextStatusChange(of: m, after: day(46)) == nil)
    }
}
