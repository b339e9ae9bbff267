import Foundation
import Testing
@testable import MembershipEngine

/// Nine memberships whose figures were worked out by hand (the working is in the comments).
@Suite struct DashboardTests {
    let engine = Engine(settings: Settings(graceDays: 14, accessDuringGrace: true))
    let now = date(2026, 4, 12, 12)

    func ledger() -> [MembershipEvent] {
        var events: [MembershipEvent] = []
        func member(_ id: String, _ pledge: Pledge, opened: Date, _ steps: (inout Script) -> [MembershipEvent]) {
            var s = Script(id)
            events.append(s.opened(pledge, at: opened))
            events += steps(&s)
        }
        let m150 = Pledge(amount: rand(150), interval: .month)
        // A: R150 a month from 5 January, renewed every month: active.
        member("A", m150, opened: date(2026, 1, 4)) { s in
            [s.paid(at: date(2026, 1, 5), through: date(2026, 2, 5)), s.paid(at: date(2026, 2, 5), through: date(2026, 3, 5)),
             s.paid(at: date(2026, 3, 5), through: date(2026, 4, 5)), s.paid(at: date(2026, 4, 5), through: date(2026, 5, 5))]
        }
        // B: R1,800 a year from 20 January: active, R150 of MRR.
        member("B", Pledge(amount: rand(1800), interval: .year), opened: date(2026, 1, 19)) { s in
            [s.paid(rand(1800), at: date(2026, 1, 20), through: date(2027, 1, 20))]
        }
        // C: R200 a month since December; the February renewal failed and was never fixed: lapsed on 24 February.
        member("C", Pledge(amount: rand(200), interval: .month), opened: date(2025, 12, 9)) { s in
            [s.paid(rand(200), at: date(2025, 12, 10), through: date(2026, 1, 10)),
             s.paid(rand(200), at: date(2026, 1, 10), through: date(2026, 2, 10)),
             s.failed(rand(200), at: date(2026, 2, 10), period: date(2026, 3, 10))]
        }
        // D: R75 a month from 1 February, cancelled on the 15th: access to 1 March, then expired.
        member("D", Pledge(amount: rand(75), interval: .month), opened: date(2026, 1, 31)) { s in
            [s.paid(rand(75), at: date(2026, 2, 1), through: date(2026, 3, 1)), s.event(.cancelRequested, at: date(2026, 2, 15))]
        }
        // E: R100 a month from 1 March; the April renewal failed: on hold since 1 April (in MRR).
        member("E", Pledge(amount: rand(100), interval: .month), opened: date(2026, 2, 28)) { s in
            [s.paid(rand(100), at: date(2026, 3, 1), through: date(2026, 4, 1)),
             s.failed(rand(100), at: date(2026, 4, 1), period: date(2026, 5, 1))]
        }
        // F: R300 a month from 14 March, paused on the 20th until 12 June: paused, not in MRR.
        member("F", Pledge(amount: rand(300), interval: .month), opened: date(2026, 3, 13)) { s in
            [s.paid(rand(300), at: date(2026, 3, 14), through: date(2026, 4, 14)),
             s.event(.pauseRequested(until: date(2026, 6, 12)), at: date(2026, 3, 20))]
        }
        // G: honorary since 1 January, open-ended.
        member("G", m150, opened: date(2026, 1, 1)) { s in [s.event(.honoraryGranted(until: nil), at: date(2026, 1, 1))] }
        // H: on a trial since 1 April.
        member("H", m150, opened: date(2026, 4, 1)) { s in
            [s.event(.subscriptionChanged(.init(status: .trialing)), at: date(2026, 4, 1))]
        }
        // I: R1,200 a year since 1 November 2025, cancelled on 3 March: cancelled until November, not in MRR.
        member("I", Pledge(amount: rand(1200), interval: .year), opened: date(2025, 10, 31)) { s in
            [s.paid(rand(1200), at: date(2025, 11, 1), through: date(2026, 11, 1)), s.event(.cancelRequested, at: date(2026, 3, 3))]
        }
        // A one-off gift: never counted.
        events.append(MembershipEvent(id: "gift:1", provider: "stripe", occurredAt: date(2026, 4, 2),
                                      reference: Reference(membershipID: "gift"), kind: .openedOneOff(rand(500))))
        events.append(MembershipEvent(id: "gift:2", provider: "stripe", occurredAt: date(2026, 4, 2, 1),
                                      reference: Reference(membershipID: "gift"), kind: .contribution(rand(500))))
        return events
    }

    @Test func figuresEqualTheHandComputedFixture() {
        // Shuffled: the dashboard replays in time order, whatever order the ledger was written in.
        var rng = SeededRandom(seed: 7)
        let d = Dashboard.compute(ledger: ledger().shuffled(using: &rng), engine: engine, currency: .zar, now: now,
                                  months: 4, readersLast30Days: 50)
        #expect(d.counts == [.active: 2, .onHold: 1, .lapsed: 1, .expired: 1, .paused: 1, .honorary: 1, .trialing: 1,
                             .cancelled: 1])
        #expect(d.active == 2 && d.onHold == 1)
        // MRR = A 150 + B 1800/12 + E 100 (on hold) = R400; F paused, H trialing, I cancelled, G honorary excluded.
        #expect(d.mrr.twelfths == 480_000)
        #expect(d.mrr.money == rand(400))

        #expect(d.months.map { "\($0.year)-\($0.month)" } == ["2026-1", "2026-2", "2026-3", "2026-4"])
        // Standing at the start: Jan C, I; Feb A, B, C, I; Mar A, B, D (to 1 March), I; Apr A, B, E, F, I.
        #expect(d.months.map(\.subscribedAtStart) == [2, 4, 4, 5])
        // New: Jan A, B; Feb D; Mar E, F; Apr none.
        #expect(d.months.map(\.new) == [2, 1, 2, 0])
        // Churned: Feb C (lapsed 24 Feb); Mar D (expired 1 Mar).
        #expect(d.months.map(\.churned) == [0, 1, 1, 0])
        #expect(d.months[1].churnRate == Fraction(numerator: 1, denominator: 4))
        #expect(d.months[1].churnRate.percentText == "25.0%")
        // MRR at month ends: Jan A+B+C+I = 150+150+200+100 = R600; Feb A+B+I = R400; Mar A+B+E = R400; Apr R400.
        #expect(d.months.map(\.mrrAtEnd.money) == [rand(600), rand(400), rand(400), rand(400)])
        // Conversion: F is the only first payment in the last 30 days; 1 of 50 readers.
        #expect(d.newLast30Days == 1)
        #expect(d.conversion == Fraction(numerator: 1, denominator: 50))
        #expect(d.conversion?.percentText == "2.0%")
    }

    @Test func yearlyTwelfthsStayExact() {
        let odd = Pledge(amount: Money(minor: 100_001, currency: .zar), interval: .year)
        let mrr = MRR(twelfths: odd.monthlyTwelfths * 3, currency: .zar)
        #expect(mrr.twelfths == 300_003)
        #expect(mrr.money.minor == 25_000)  // 300,003 / 12 = 25,000.25 → 25,000
    }
}
