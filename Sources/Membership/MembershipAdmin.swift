import Foundation
import MembershipEngine
import QuorumStore
import QuorumWeb
import SQLKit

/// The publisher's and admins' use cases: the members list, a member's ledger and emails, honorary grants, the
/// dashboard's figures and the settings.
extension MembershipService {
    /// The provider name of memberships an admin grants (no payment provider is involved).
    public static let honoraryProvider = "admin"

    public func members(filter: MemberFilter, search: String, after: MemberCursor?, limit: Int = 50) async throws -> [MemberRow] {
        try await database.read { db in
            try await store.members(db, filter: filter, search: search, after: after, limit: limit)
        }
    }

    public func memberCounts() async throws -> [String: Int] {
        try await database.read { db in try await store.statusCounts(db) }
    }

    /// A membership with its owner, ledger and the membership emails sent to the owner.
    public struct MemberDetail: Sendable {
        public var membership: Membership
        public var report: StatusReport
        public var owner: User?
        public var ledger: [LedgerRow]
        public var mails: [SentMail]
    }

    public func memberDetail(_ id: String) async throws -> MemberDetail? {
        let at = now()
        return try await database.read { db in
            guard let m = try await store.load(db, id: id) else { return nil }
            let owner = try await store.owner(db, id: id)
            let user = try await owner.asyncMap { try await UserRows.find(where: "id", equals: $0, on: db) } ?? nil
            return MemberDetail(membership: m, report: engine.status(of: m, at: at), owner: user,
                                ledger: try await store.ledgerRows(db, membershipID: id),
                                mails: try await user.asyncMap { try await store.mails(db, to: $0.email) } ?? [])
        }
    }

    /// Grants a complimentary membership to a person, optionally until a date: a membership of its own (any paid
    /// one goes on as it is), written to the ledger like every other change.
    @discardableResult
    public func grantHonorary(userID: Int64, until: Date?, by admin: Int64?) async throws -> String {
        let id = "mem_" + Secrets.token(bytes: 12)
        let at = now()
        let pledge = Pledge(amount: Money(minor: 0, currency: configuration.plan.currency), interval: .month)
        _ = try await apply(MembershipEvent(id: "local:open:\(id)", provider: Self.honoraryProvider, occurredAt: at,
                                            reference: Reference(membershipID: id), kind: .opened(pledge)), raw: nil, userID: userID)
        _ = try await apply(MembershipEvent(id: "local:honorary:\(id)", provider: Self.honoraryProvider, occurredAt: at,
                                            reference: Reference(membershipID: id), kind: .honoraryGranted(until: until)), raw: nil, userID: userID)
        try await database.transaction { db in
            try await AuditLog.record(actor: admin, action: "membership.honorary_granted", subject: "user:\(userID)",
                                      details: "membership=\(id) until=\(until.map(CivilDate.dayString) ?? "open-ended")", on: db)
        }
        return id
    }

    /// Ends an honorary grant at once. False when the membership has none running. (The event's id sorts after
    /// the grant's, so a revocation at the same instant as the grant still counts as the later fact.)
    @discardableResult
    public func revokeHonorary(_ id: String, by admin: Int64?) async throws -> Bool {
        guard let m = try await membership(id), engine.status(of: m, at: now()).status == .honorary else { return false }
        _ = try await apply(MembershipEvent(id: "local:honorary:\(id):revoked:\(Secrets.token(bytes: 6))", provider: m.provider,
                                            occurredAt: now(), reference: Reference(membershipID: id), kind: .honoraryRevoked),
                            raw: nil, userID: nil)
        try await database.transaction { db in
            try await AuditLog.record(actor: admin, action: "membership.honorary_revoked", subject: "membership:\(id)", on: db)
        }
        return true
    }

    /// The dashboard's figures, by replaying the ledger (``Dashboard/compute``), cached per ledger high-water mark
    /// (`DashboardCache`: replayed again only when ledger rows were added, the settings changed, or time reached
    /// the next moment a figure could change by itself). `uniqueReaders` is the number of unique readers in the
    /// last 30 days, when readership is counted; nil leaves conversion out.
    public func dashboard(months: Int = 12, uniqueReaders: (@Sendable () async throws -> Int?)? = nil) async throws -> Dashboard {
        let readers = try await uniqueReaders?()
        let at = now(), engine = engine, currency = configuration.plan.currency
        let mark = try await database.read { db in try await DashboardCache.mark(db) }
        let key = DashboardCache.Key(mark: mark, settings: engine.settings, currency: currency.code, months: months, readers: readers)
        if let cached = dashboardCache.cached(key, at: at) { return cached }
        // The mark was read before the rows: a row added in between is in these figures but not in the mark, so the
        // next view replays again (never the other way round).
        let events = try await database.read { db in try await store.ledger(db) }
        let dashboard = Dashboard.compute(ledger: events, engine: engine, currency: currency, now: at, months: months, readersLast30Days: readers)
        dashboardCache.store(key, at: at, validUntil: Dashboard.validUntil(ledger: events, engine: engine, now: at), dashboard)
        return dashboard
    }

    /// Saves the settings and uses them at once on this instance (others read them within 30 seconds).
    public func saveSettings(policy: MembershipPolicy, providers: ProviderSettings, by admin: Int64?, changes: String) async throws {
        let policyJSON = try MembershipSettingsRows.encode(policy)
        let providersJSON = try MembershipSettingsRows.encode(providers)
        let at = Timestamp(now())
        try await database.transaction { db in
            try await SettingsStore.set(MembershipSettingsRows.policy, policyJSON, now: at, on: db)
            try await SettingsStore.set(MembershipSettingsRows.providers, providersJSON, now: at, on: db)
            try await AuditLog.record(actor: admin, action: "settings.membership", subject: "site", details: changes, now: at, on: db)
        }
        configuration.use(policy: policy, providers: providers)
    }

    /// Events brought in from elsewhere (the demo's history), each recorded and applied like a webhook's, owned by
    /// the given people, all in one transaction (one commit for a whole history). `appliedAt` is when each is taken
    /// to have arrived (its own time, for a history; now by default). Returns how many were applied.
    @discardableResult
    public func importHistory(_ events: [(MembershipEvent, owner: Int64?)],
                              appliedAt: (@Sendable (MembershipEvent) -> Date)? = nil) async throws -> Int {
        try await database.transaction { db in try await importHistory(db, events, appliedAt: appliedAt) }
    }

    /// The same in the caller's transaction.
    package func importHistory(_ db: any SQLDatabase, _ events: [(MembershipEvent, owner: Int64?)],
                               appliedAt: (@Sendable (MembershipEvent) -> Date)? = nil) async throws -> Int {
        var applied = 0
        for (event, owner) in events {
            let at = Timestamp(appliedAt?(event) ?? now())
            let recording = Recording(json: try MembershipStore.json(of: event), raw: nil)
            if case .applied = try await deliver(db, event, recording: recording, userID: owner, at: at, depth: 0) { applied += 1 }
        }
        return applied
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
