import Foundation
import Testing
@testable import MembershipEngine

/// Withdrawing a cancellation: the transition, which memberships allow it and what it takes per provider.
@Suite struct WithdrawalTests {
    let engine = Engine(settings: Settings(graceDays: 14, accessDuringGrace: true))

    func cancelled(_ s: inout Script) -> [MembershipEvent] {
        [s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.event(.cancelRequested, at: day(5))]
    }

    @Test func aCancelledMemberInsideThePaidPeriodCanWithdrawThroughAProviderThatRevives() {
        var s = Script("m1")
        let b = Book.replay(cancelled(&s), engine: engine)
        let m = b.memberships["m1"]!
        #expect(engine.withdrawal(of: m, at: day(10), providerRevives: true, providerStartsLater: false) == .keepSubscription)
        // PayFast: the token is gone, so a new subscription whose paid time starts where this one's ends.
        #expect(engine.withdrawal(of: m, at: day(10), providerRevives: false, providerStartsLater: true)
                == .newSubscription(from: day(31), pledge: monthly150))
        if case .notPossible = engine.withdrawal(of: m, at: day(10), providerRevives: false, providerStartsLater: false) {} else {
            Issue.record("a provider that can do neither cannot withdraw")
        }
        var after = b
        after.receive(s.event(.cancelWithdrawn, at: day(10)))
        #expect(after.status("m1", at: day(11)) == .active)
        #expect(engine.transition(from: .cancelled, to: .active) == .cancellationWithdrawn)
        // And it renews as before: the next payment extends it, no expiry at day 31.
        after.receive(s.paid(at: day(31), through: day(59)))
        #expect(after.status("m1", at: day(40)) == .active)
    }

    @Test func afterThePeriodEndOrWithoutACancellationThereIsNothingToWithdraw() {
        var s = Script("m1")
        let m = Book.replay(cancelled(&s), engine: engine).memberships["m1"]!
        #expect(engine.withdrawal(of: m, at: day(31), providerRevives: true, providerStartsLater: true)
                == .notPossible("Your membership has ended; you can start a new one."))
        var t = Script("m2")
        let active = Book.replay([t.opened(at: day(0)), t.paid(at: day(0), through: day(31))], engine: engine).memberships["m2"]!
        #expect(engine.withdrawal(of: active, at: day(10), providerRevives: true, providerStartsLater: true)
                == .notPossible("Your membership is not cancelled."))
    }

    @Test func aSubscriptionEndedAtTheProviderNeedsANewOneEvenWhereTheProviderRevives() {
        var s = Script("m1")
        let m = Book.replay([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.event(.subscriptionEnded, at: day(5))],
                            engine: engine).memberships["m1"]!
        #expect(engine.withdrawal(of: m, at: day(6), providerRevives: true, providerStartsLater: true)
                == .newSubscription(from: day(31), pledge: monthly150))
        // Withdrawing on the ledger alone does not revive a subscription that ended at the provider.
        var b = Book.replay([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.event(.subscriptionEnded, at: day(5))], engine: engine)
        b.receive(s.event(.cancelWithdrawn, at: day(6)))
        #expect(b.status("m1", at: day(7)) == .cancelled && b.status("m1", at: day(32)) == .expired)
    }

    /// Property: for random sequences of cancellations and withdrawals (some delivered twice) in random arrival
    /// orders, the status follows the latest-stamped of them, and without a further payment the membership never
    /// outlives its paid period.
    @Test func theLaterOfCancelAndWithdrawWinsInAnyArrivalOrder() {
        var random = SeededRandom(seed: 0x57_1D_2A_77)
        for _ in 0..<2_000 {
            var s = Script("m1")
            var events = [s.opened(at: day(0)), s.paid(at: day(0), through: day(31))]
            var toggles: [(MembershipEvent, Bool)] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let at = day(Double(Int.random(in: 1...29, using: &random)), hours: Double(Int.random(in: 0...23, using: &random)))
                let cancel = Bool.random(using: &random)
                let event = s.event(cancel ? .cancelRequested : .cancelWithdrawn, at: at)
                events.append(event)
                if Bool.random(using: &random) { events.append(event) }  // delivered twice
                toggles.append((event, cancel))
            }
            let cancelledLast = toggles.max { $0.0.stamp < $1.0.stamp }!.1
            let expected = Book.replay(events, engine: engine)
            let shuffled = Book.replay(events.shuffled(using: &random), engine: engine)
            for t in [day(10), day(30), day(32), day(40)] {
                #expect(shuffled.status("m1", at: t) == expected.status("m1", at: t))
            }
            // Cancelled by the latest stamp: cancelled to day 31, then expired; withdrawn: active in the period.
            #expect(expected.status("m1", at: day(10)) == (cancelledLast ? .cancelled : .active))
            #expect(expected.status("m1", at: day(40)) == (cancelledLast ? .expired : .lapsed), "no payment after day 31")
        }
    }
}
