import Foundation
@testable import MembershipEngine

/// 2026-01-01 00:00 UTC plus days (and hours).
func day(_ d: Double, hours: Double = 0) -> Date {
    CivilDate.date(year: 2026, month: 1, day: 1).addingTimeInterval(d * 86400 + hours * 3600)
}

func date(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0) -> Date { CivilDate.date(year: y, month: m, day: d, seconds: h * 3600) }

let zar = Currency.zar
func rand(_ units: Int64) -> Money { Money(units: units, .zar) }
let monthly150 = Pledge(amount: rand(150), interval: .month)

/// Builds events for one membership with increasing ids.
struct Script {
    var membershipID: String
    var provider = "stripe"
    var counter = 0

    init(_ id: String) { membershipID = id }

    mutating func event(_ kind: MembershipEvent.Kind, at time: Date, subscription: String? = nil) -> MembershipEvent {
        counter += 1
        return MembershipEvent(id: "\(provider):\(membershipID):\(counter)", provider: provider, occurredAt: time,
                               reference: Reference(membershipID: membershipID, subscriptionID: subscription),
                               kind: kind)
    }

    mutating func opened(_ pledge: Pledge = monthly150, at time: Date) -> MembershipEvent { event(.opened(pledge), at: time) }
    mutating func paid(_ amount: Money = rand(150), at time: Date, through end: Date) -> MembershipEvent {
        event(.paymentSucceeded(.init(amount: amount, periodEnd: end)), at: time)
    }
    mutating func failed(_ amount: Money = rand(150), at time: Date, period end: Date? = nil) -> MembershipEvent {
        event(.paymentFailed(.init(amount: amount, periodEnd: end)), at: time)
    }
}

/// SplitMix64: small, fast, seeded, the same on every machine.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Book {
    func status(_ id: String, at t: Date) -> Status? {
        memberships[id].map { engine.status(of: $0, at: t).status }
    }
}
