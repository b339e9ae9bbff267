import Foundation
import Testing
@testable import MembershipEngine

@Suite struct StateMachineTests {
    let engine = Engine(settings: Settings(graceDays: 14, accessDuringGrace: true))

    func book(_ events: [MembershipEvent]) -> Book { Book.replay(events, engine: engine) }

    @Test func pendingUntilTheFirstPaymentThenActiveUntilThePeriodEnds() {
        var s = Script("m1")
        let opened = s.opened(at: day(0))
        #expect(book([opened]).status("m1", at: day(1)) == .pending)
        let b = book([opened, s.paid(at: day(0, hours: 1), through: day(31))])
        #expect(b.status("m1", at: day(10)) == .active)
        #expect(engine.status(of: b.memberships["m1"]!, at: day(10)).hasAccess)
        // Renewal slack (3 days) for a late webhook, then lapsed with no report at all.
        #expect(b.status("m1", at: day(33)) == .active)
        #expect(b.status("m1", at: day(35)) == .lapsed)
        #expect(engine.status(of: b.memberships["m1"]!, at: day(35)).rule == .noRenewalReported)
    }

    @Test func failedRenewalPutsOnHoldThenRecoversOrLapsesAfterGrace() {
        var s = Script("m1")
        let base = [s.opened(at: day(0)), s.paid(at: day(0), through: day(31))]
        let failure = s.failed(at: day(31), period: day(59))
        let onHold = book(base + [failure])
        let report = engine.status(of: onHold.memberships["m1"]!, at: day(32))
        #expect(report.status == .onHold)
        #expect(report.onHoldSince == day(31))
        #expect(report.hasAccess)  // access continues during grace by this site's setting
        #expect(onHold.status("m1", at: day(45) - 1) == .onHold)
        #expect(onHold.status("m1", at: day(45)) == .lapsed)

        let recovered = book(base + [failure, s.paid(at: day(34), through: day(59))])
        #expect(recovered.status("m1", at: day(35)) == .active)
        #expect(engine.transition(from: .onHold, to: .active) == .recovered)
        // A payment after the grace period still brings the member back.
        let late = book(base + [failure, s.paid(at: day(50), through: day(78))])
        #expect(late.status("m1", at: day(51)) == .active)
        #expect(engine.transition(from: .lapsed, to: .active) == .recovered)
    }

    @Test func noAccessDuringGraceWhenTheSiteSaysSo() {
        let strict = Engine(settings: Settings(graceDays: 7, accessDuringGrace: false))
        var s = Script("m1")
        let b = Book.replay([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.failed(at: day(31))], engine: strict)
        let r = strict.status(of: b.memberships["m1"]!, at: day(32))
        #expect(r.status == .onHold && !r.hasAccess)
        #expect(strict.status(of: b.memberships["m1"]!, at: day(38)).status == .lapsed)
    }

    @Test func aLateFailureNeverOverridesANewerPayment() {
        var s = Script("m1")
        let opened = s.opened(at: day(0))
        let first = s.paid(at: day(0), through: day(31))
        let failure = s.failed(at: day(31), period: day(59))
        let retryPaid = s.paid(at: day(32), through: day(59))
        for order in [[opened, first, failure, retryPaid], [opened, retryPaid, first, failure], [opened, failure, retryPaid, first]] {
            var b = Book(engine: engine)
            var receipts: [Book.Receipt] = []
            for e in order { receipts.append(b.receive(e)) }
            #expect(b.status("m1", at: day(40)) == .active)
            #expect(b.memberships["m1"]!.failures.isEmpty)
        }
        // Told explicitly: the failure arriving after the payment is stale.
        var b = book([opened, first, retryPaid])
        let receipt = b.receive(failure)
        guard case let .noChange(_, reason) = receipt else { Issue.record("expected no change, got \(receipt)"); return }
        #expect(reason.contains("stale"))
    }

    @Test func duplicatesAreAppliedOnce() {
        var s = Script("m1")
        let paid = s.paid(at: day(0), through: day(31))
        var b = book([s.opened(at: day(0)), paid])
        #expect(b.receive(paid) == .duplicate)
        #expect(b.memberships["m1"]!.paidMinor == 15000)
    }

    @Test func cancelKeepsAccessToThePeriodEndThenExpires() {
        var s = Script("m1")
        let b = book([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.event(.cancelRequested, at: day(5))])
        #expect(b.status("m1", at: day(10)) == .cancelled)
        #expect(engine.status(of: b.memberships["m1"]!, at: day(10)).accessUntil == day(31))
        #expect(b.status("m1", at: day(31)) == .expired)
        // Withdrawn before the end: active again.
        var c = b
        c.receive(s.event(.cancelWithdrawn, at: day(6)))
        #expect(c.status("m1", at: day(10)) == .active)
        // Ended at the provider: same shape.
        let ended = book([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.event(.subscriptionEnded, at: day(7))])
        #expect(ended.status("m1", at: day(8)) == .cancelled)
        #expect(ended.status("m1", at: day(32)) == .expired)
    }

    @Test func pauseAndResume() {
        var s = Script("m1")
        let base = [s.opened(at: day(0)), s.paid(at: day(0), through: day(31))]
        let paused = book(base + [s.event(.pauseRequested(until: day(90)), at: day(20))])
        #expect(paused.status("m1", at: day(40)) == .paused)
        #expect(!engine.status(of: paused.memberships["m1"]!, at: day(40)).hasAccess)
        // After the pause the member counts as active until the next renewal can be reported.
        #expect(paused.status("m1", at: day(91)) == .active)
        #expect(paused.status("m1", at: day(94)) == .lapsed)
        var resumed = paused
        resumed.receive(s.event(.resumeRequested, at: day(25)))
        #expect(resumed.status("m1", at: day(26)) == .active)
    }

    @Test func honoraryOptionallyUntilADate() {
        var s = Script("h1")
        let b = book([s.opened(at: day(0)), s.event(.honoraryGranted(until: day(100)), at: day(1))])
        #expect(b.status("h1", at: day(50)) == .honorary)
        #expect(b.status("h1", at: day(100)) == .expired)
        var open = book([s.opened(at: day(0)), s.event(.honoraryGranted(until: nil), at: day(1))])
        #expect(open.status("h1", at: day(5000)) == .honorary)
        open.receive(s.event(.honoraryRevoked, at: day(200)))
        #expect(open.status("h1", at: day(201)) == .expired)
        #expect(engine.transition(from: .honorary, to: .expired) == .honoraryEnded)
    }

    @Test func providerStatusesMapOntoTheMachine() {
        func after(_ snapshot: MembershipEvent.Snapshot) -> Status? {
            var s = Script("m1")
            return book([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)),
                         s.event(.subscriptionChanged(snapshot), at: day(2))]).status("m1", at: day(3))
        }
        #expect(after(.init(status: .active)) == .active)
        #expect(after(.init(status: .pastDue)) == .onHold)
        #expect(after(.init(status: .unpaid)) == .onHold)
        #expect(after(.init(status: .canceled)) == .cancelled)
        #expect(after(.init(status: .paused)) == .paused)
        #expect(after(.init(status: .active, cancelAtPeriodEnd: true)) == .cancelled)
        #expect(after(.init(status: .active, pausedUntil: day(60))) == .paused)
        var s = Script("t1")
        #expect(book([s.opened(at: day(0)), s.event(.subscriptionChanged(.init(status: .trialing)), at: day(0))])
            .status("t1", at: day(1)) == .trialing)
        #expect(book([s.opened(at: day(0)), s.event(.subscriptionChanged(.init(status: .incompleteExpired)), at: day(1))])
            .status("t1", at: day(2)) == .expired)
    }

    @Test func paymentsInAnotherCurrencyAreRefused() {
        var s = Script("m1")
        var b = book([s.opened(at: day(0))])
        let r = b.receive(s.paid(Money(units: 150, .usd), at: day(0), through: day(31)))
        guard case .rejected = r else { Issue.record("expected rejection, got \(r)"); return }
        #expect(b.status("m1", at: day(1)) == .pending)
    }

    @Test func refundsKeepTheLargestRunningTotalPerCharge() {
        var s = Script("m1")
        var b = book([s.opened(at: day(0)), s.paid(at: day(0), through: day(31))])
        b.receive(s.event(.refunded(chargeID: "ch_1", total: rand(50)), at: day(2)))
        b.receive(s.event(.refunded(chargeID: "ch_1", total: rand(150)), at: day(3)))
        b.receive(s.event(.refunded(chargeID: "ch_1", total: rand(50)), at: day(4)))  // an older total, late
        #expect(b.memberships["m1"]!.refundedMinor == 15000)
        #expect(b.status("m1", at: day(5)) == .active)
    }

    @Test func eventsBeforeTheirLinkAreParkedThenApplied() {
        var s = Script("m1")
        let opened = s.opened(at: day(0))
        let byCustomerOnly = MembershipEvent(id: "stripe:r1", provider: "stripe", occurredAt: day(3),
                                             reference: Reference(customerID: "cus_1"),
                                             kind: .refunded(chargeID: "ch_1", total: rand(10)))
        var b = book([opened])
        #expect(b.receive(byCustomerOnly) == .parked)
        b.receive(MembershipEvent(id: "stripe:c1", provider: "stripe", occurredAt: day(0),
                                  reference: Reference(membershipID: "m1", subscriptionID: "sub_1", customerID: "cus_1"),
                                  kind: .checkoutCompleted(subscriptionID: "sub_1", customerID: "cus_1")))
        #expect(b.parked.isEmpty)
        #expect(b.memberships["m1"]!.refundedMinor == 1000)
        #expect(b.memberships["m1"]!.subscriptionID == "sub_1")
    }

    @Test func remindersOnDaysZeroThreeAndSevenOncePerHold() {
        var s = Script("m1")
        let b = book([s.opened(at: day(0)), s.paid(at: day(0), through: day(31)), s.failed(at: day(31))])
        let m = b.memberships["m1"]!
        #expect(engine.reminders(for: m, at: day(31), sent: []).map(\.day) == [0])
        let first = engine.reminders(for: m, at: day(31), sent: []).map(\.key)
        #expect(engine.reminders(for: m, at: day(34), sent: Set(first)).map(\.day) == [3])
        #expect(engine.reminders(for: m, at: day(38), sent: Set(first)).map(\.day) == [3, 7])
        #expect(engine.reminders(for: m, at: day(46), sent: []).isEmpty)  // lapsed: no more reminders
    }

    @Test func monthsAddLikeACalendar() {
        #expect(CivilDate.adding(months: 1, to: date(2026, 1, 31)) == date(2026, 2, 28))
        #expect(CivilDate.adding(months: 1, to: date(2028, 1, 31)) == date(2028, 2, 29))
        #expect(CivilDate.adding(months: 12, to: date(2026, 3, 15, 5)) == date(2027, 3, 15, 5))
        #expect(CivilDate.adding(months: -3, to: date(2026, 2, 10)) == date(2025, 11, 10))
        #expect(CivilDate.parseDay("2026-02-30") == nil)
        #expect(CivilDate.dayString(date(2026, 7, 4)) == "2026-07-04")
    }
}
