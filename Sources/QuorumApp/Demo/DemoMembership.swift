import Accounts
import Foundation
import Logging
import Membership
import MembershipEngine
import QuorumStore
import QuorumWeb

/// A year of membership history for the demo, so the admin's dashboard and members list show real-looking
/// numbers: members joining through the year at amounts readers choose (mostly monthly, some yearly), renewals,
/// failed renewals that were fixed and some that were not (lapsed, and a few on hold now), cancellations, pauses
/// and two honorary memberships. Every change is an event in the ledger, applied as a provider's would be, so
/// the figures come from the same replay as on a real site. Deterministic (a fixed seed); loading again is a no-op.
public enum DemoMembership {
    /// The provider name on demo history (no payment provider is involved in it).
    public static let provider = "demo"
    static let emailDomain = "members.demo.quorum.test"

    static let first = ["Thandi", "Pieter", "Ayesha", "Sipho", "Marie", "Johan", "Lerato", "David", "Naledi", "Willem", "Fatima",
                        "Kagiso", "Anika", "Bongani", "Refilwe", "Jacques", "Zanele", "Imran", "Palesa", "Ruan", "Nomsa", "Tariq"]
    static let last = ["Mokoena", "van Wyk", "Khan", "Dlamini", "Louw", "Botha", "Ndlovu", "Roberts", "Nkosi", "Pretorius",
                       "Adams", "Molefe", "Jacobs", "Zulu", "Naidoo", "Steyn", "Mahlangu", "Peters"]

    /// SplitMix64: small, fast and the same on every machine.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
        mutating func pick<T>(_ list: [T]) -> T { list[Int(next() % UInt64(list.count))] }
    }

    /// The history: per member, an email, a name and the events, for `count` members who joined in the year to `now`.
    static func history(now: Date, count: Int = 160, seed: UInt64 = 2026) -> [(email: String, name: String, events: [MembershipEvent])] {
        var rng = Seeded(state: seed)
        let zar = Currency.zar
        var members: [(String, String, [MembershipEvent])] = []
        for i in 0..<count {
            let id = "mem_demo\(String(format: "%03d", i))"
            let name = "\(rng.pick(first)) \(rng.pick(last))"
            let email = "member\(String(format: "%03d", i))@\(emailDomain)"
            // Joins spread over the year, more of them recently (the offer is being promoted).
            let fraction = pow(Double(rng.next() % 10_000) / 10_000, 1.3)
            let joined = now.addingTimeInterval(-fraction * 360 * 86400 - 3600)
            let yearly = rng.chance(0.2)
            let amount = yearly ? rng.pick([900, 1800, 1800, 1800, 2400, 3600]) : rng.pick([75, 75, 100, 150, 150, 150, 150, 200, 200, 300, 500])
            let pledge = Pledge(amount: Money(units: Int64(amount), zar), interval: yearly ? .year : .month)
            var events: [MembershipEvent] = []
            var n = 0
            func add(_ at: Date, _ kind: MembershipEvent.Kind) {
                events.append(MembershipEvent(id: "demo:\(id):\(n)", provider: provider, occurredAt: at,
                                              reference: Reference(membershipID: id, subscriptionID: "sub_\(id)", customerID: "cus_\(id)"), kind: kind))
                n += 1
            }
            add(joined.addingTimeInterval(-120), .opened(pledge))
            if i < 2 {
                // Two honorary members: a columnist and a board member.
                add(joined, .honoraryGranted(until: i == 0 ? nil : CivilDate.adding(months: 6, to: now)))
                members.append((email, name, events))
                continue
            }
            add(joined.addingTimeInterval(-60), .checkoutCompleted(subscriptionID: "sub_\(id)", customerID: "cus_\(id)"))
            let months = yearly ? 12 : 1
            var start = joined
            var k = 0
            while start <= now {
                let next = CivilDate.adding(months: months, to: start)
                let payment = MembershipEvent.Payment(amount: pledge.amount, periodEnd: next, invoiceID: "in_\(id)_\(k)")
                if k == 0 {
                    add(start, .paymentSucceeded(payment))
                } else if rng.chance(0.05) {
                    // The renewal failed; most are fixed within days, some never.
                    add(start, .paymentFailed(.init(amount: pledge.amount, periodEnd: next, invoiceID: "in_\(id)_\(k)")))
                    let fixedAfter = Double(1 + rng.next() % 6) * 86400
                    guard rng.chance(0.6), start.addingTimeInterval(fixedAfter) < now else { break }
                    add(start.addingTimeInterval(fixedAfter), .paymentSucceeded(payment))
                } else {
                    add(start, .paymentSucceeded(payment))
                }
                // Some cancel during the period (access to its end); a few pause for a month or two.
                let during = start.addingTimeInterval(Double(2 + rng.next() % 20) * 86400)
                if during < now, rng.chance(yearly ? 0.06 : 0.035) {
                    add(during, .cancelRequested)
                    break
                }
                if during < now, next > now, rng.chance(0.03) {
                    add(during, .pauseRequested(until: CivilDate.adding(months: 1 + Int(rng.next() % 2), to: next)))
                    break
                }
                start = next
                k += 1
            }
            members.append((email, name, events))
        }
        // A few whose renewal failed in the last days: on hold now, so the dashboard and the filter show them.
        for j in 0..<5 {
            let i = count + j
            let id = "mem_demo\(String(format: "%03d", i))"
            let pledge = Pledge(amount: Money(units: Int64(rng.pick([100, 150, 200])), zar), interval: .month)
            let failedAt = now.addingTimeInterval(-Double(1 + j * 2) * 86400)
            let joined = CivilDate.adding(months: -(3 + j), to: failedAt)
            var events: [MembershipEvent] = []
            func add(_ n: Int, _ at: Date, _ kind: MembershipEvent.Kind) {
                events.append(MembershipEvent(id: "demo:\(id):\(n)", provider: provider, occurredAt: at,
                                              reference: Reference(membershipID: id, subscriptionID: "sub_\(id)", customerID: "cus_\(id)"), kind: kind))
            }
            add(0, joined.addingTimeInterval(-120), .opened(pledge))
            var start = joined
            var n = 1
            while CivilDate.adding(months: 1, to: start) <= failedAt {
                add(n, start, .paymentSucceeded(.init(amount: pledge.amount, periodEnd: CivilDate.adding(months: 1, to: start))))
                start = CivilDate.adding(months: 1, to: start)
                n += 1
            }
            add(n, failedAt, .paymentFailed(.init(amount: pledge.amount, periodEnd: CivilDate.adding(months: 1, to: failedAt))))
            members.append(("member\(String(format: "%03d", i))@\(emailDomain)", "\(rng.pick(first)) \(rng.pick(last))", events))
        }
        return members
    }

    /// Creates the demo members and applies their history; nothing when they are there already. Returns how many
    /// memberships were loaded.
    public static func load(into database: Database, configuration: QuorumConfiguration, now: Date = Date()) async throws -> Int {
        let users = UserStore(database: database)
        let history = history(now: now)
        guard let firstEmail = history.first?.email, try await users.find(email: firstEmail) == nil else { return 0 }
        var logger = Logger(label: "quorum.demo")
        logger.logLevel = .warning
        let service = MembershipService(database: database, configuration: MembershipConfiguration(providers: []),
                                        roles: UserRoleGrants(), siteURL: configuration.siteURL, logger: logger, now: { now })
        // One transaction (one commit) for the people and every event; each event is applied at its own time, as
        // it would have been when it arrived (so the emails of the past are dated then). The upkeep pass then
        // stores every status as of now.
        try await database.transaction { db in
            for member in history {
                let user = try await UserStore.create(email: member.email, displayName: member.name, roles: [], now: Timestamp(now), on: db)
                _ = try await service.importHistory(db, member.events.map { ($0, owner: user.id) }, appliedAt: { $0.occurredAt })
            }
        }
        try await service.upkeep(rawPayloadRetention: 90 * 86400)
        return history.count
    }
}
