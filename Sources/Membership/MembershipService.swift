import Foundation
import Logging
import MembershipEngine
import Payments
import QuorumMail
import QuorumStore
import QuorumWeb
import SQLKit

/// The membership use cases: opening a membership at checkout and taking in provider events. Each event is
/// recorded in the ledger and applied in one transaction, so a delivery that was acknowledged is durable and a
/// duplicate (the same event id, from a retry or another instance) is applied once.
public struct MembershipService: Sendable {
    public let database: Database
    /// The site's providers and policy, from its settings (``MembershipConfiguration``).
    public let configuration: MembershipConfiguration
    public var providers: [String: any PaymentProvider] { configuration.providers }
    public var engine: Engine { configuration.engine }
    /// Where the member role is kept (Accounts); nil leaves roles alone.
    public let roles: (any RoleGrants)?
    /// The site's address, for links in emails ("https://news.example").
    public let siteURL: String
    /// The shop's side of the webhooks: events for ids starting `ord_` are the shop's orders (``OrderPayments``).
    public var orders: (any OrderPayments)?
    let store = MembershipStore()
    /// The admin's dashboard, kept per ledger high-water mark.
    let dashboardCache = DashboardCache()
    let now: @Sendable () -> Date
    let logger: Logger

    public init(database: Database, providers: [any PaymentProvider], engine: Engine = Engine(),
                roles: (any RoleGrants)? = nil, siteURL: String = "", logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.roles = roles
        self.siteURL = siteURL.hasSuffix("/") ? String(siteURL.dropLast()) : siteURL
        self.database = database
        self.configuration = MembershipConfiguration(providers: providers, policy: MembershipPolicy(
            graceDays: engine.settings.graceDays, accessDuringGrace: engine.settings.accessDuringGrace))
        self.logger = logger
        self.now = now
    }

    /// A pending membership for a reader about to pay; its opening is the first ledger entry.
    @discardableResult
    public func open(id: String = "mem_" + Secrets.token(bytes: 12), userID: Int64?, provider: String,
                     pledge: Pledge) async throws -> String {
        let event = MembershipEvent(id: "local:open:\(id)", provider: provider, occurredAt: now(),
                                    reference: Reference(membershipID: id), kind: .opened(pledge))
        let userID = userID
        _ = try await apply(event, raw: nil, userID: userID)
        return id
    }

    /// Verifies a delivery with the named provider and applies what it says. Throws `MembershipError` for
    /// anything refused (nothing is recorded then).
    public func receive(provider name: String, delivery: WebhookDelivery) async throws -> [Book.Receipt] {
        guard let provider = providers[name] else { throw MembershipError.unknownProvider(name) }
        let events: [MembershipEvent]
        do {
            events = try await provider.receive(delivery, context: ReceiveContext(now: now(), expectation: { [orders] id in
                if OrderReference.isOrder(id) { return await orders?.expectation(forOrder: id) }
                return await expectation(for: id)
            }))
        } catch let error as PaymentError {
            // The reason, never the payload or a secret.
            logger.warning("webhook refused", metadata: ["provider": "\(name)", "reason": "\(error)"])
            throw MembershipError.refused(error)
        }
        let raw = String(decoding: delivery.body, as: UTF8.self)
        var receipts: [Book.Receipt] = []
        for event in events {
            if let orders, OrderReference.isOrder(event.reference.membershipID) {
                receipts.append(try await orders.receive(event, raw: delivery.body))
                continue
            }
            receipts.append(try await apply(event, raw: raw, userID: nil))
        }
        return receipts
    }

    /// What Quorum expects a membership to pay (PayFast's amount check).
    func expectation(for membershipID: String) async -> Expectation? {
        guard let m = try? await database.read({ db in try await store.load(db, id: membershipID) }) else { return nil }
        return Expectation(amount: m.pledge.value.amount, interval: m.oneOff ? nil : m.pledge.value.interval)
    }

    /// Records, routes and applies one event in a single transaction.
    func apply(_ event: MembershipEvent, raw: String?, userID: Int64?) async throws -> Book.Receipt {
        let at = Timestamp(now())
        let recording = Recording(json: try MembershipStore.json(of: event), raw: raw)
        return try await database.transaction { db in
            try await deliver(db, event, recording: recording, userID: userID, at: at, depth: 0)
        }
    }

    /// A new event's ledger row, written by ``deliver`` once the event's outcome is known. Without one, the event
    /// already has its row (a parked event delivered again) and only its outcome is settled.
    struct Recording: Sendable {
        let json: String
        let raw: String?
    }

    /// Routes and applies an event and writes what became of it. The reads come first and the ledger row is the
    /// first write, so a duplicate (its id already recorded) returns before anything else is written.
    func deliver(_ db: any SQLDatabase, _ event: MembershipEvent, recording: Recording?, userID: Int64?, at: Timestamp,
                 depth: Int) async throws -> Book.Receipt {
        /// The ledger row with its outcome; false for a duplicate.
        func conclude(_ membershipID: String?, _ outcome: String, _ note: String) async throws -> Bool {
            guard let recording else {
                try await store.settle(db, eventID: event.id, membershipID: membershipID, outcome: outcome, note: note)
                return true
            }
            return try await store.record(db, event, json: recording.json, raw: recording.raw, at: at,
                                          membershipID: membershipID, outcome: outcome, note: note)
        }
        let opening: Membership? = {
            guard let id = event.reference.membershipID else { return nil }
            switch event.kind {
            case let .opened(pledge): return engine.open(id: id, provider: event.provider, pledge: pledge, at: event.occurredAt, eventID: event.id)
            case let .openedOneOff(money): return engine.openOneOff(id: id, provider: event.provider, amount: money, at: event.occurredAt, eventID: event.id)
            default: return nil
            }
        }()
        let located = try await store.locate(db, event)
        guard let id = located?.id ?? opening?.id, let current = located?.membership ?? opening else {
            if case let .unhandled(type) = event.kind, located == nil {
                return try await conclude(nil, "ignored", type) ? .ignored(type) : .duplicate
            }
            return try await conclude(nil, "parked", "no membership known yet") ? .parked : .duplicate
        }
        let result = engine.apply(event, to: current)
        let isNew = current == opening
        let receipt: Book.Receipt
        switch result.outcome {
        case .noChange where isNew, .applied:
            guard try await conclude(id, "applied", result.note) else { return .duplicate }
            try await store.save(db, result.membership, status: engine.status(of: result.membership, at: at.date).status,
                                 userID: userID, at: at)
            // The role can only move when this membership's access did (saves three queries on every renewal).
            if isNew || engine.status(of: current, at: at.date).hasAccess != engine.status(of: result.membership, at: at.date).hasAccess { try await syncRole(db, membershipID: id, at: at) }
            let before = isNew ? Status.pending : engine.status(of: current, at: at.date).status
            if engine.transition(from: before, to: engine.status(of: result.membership, at: at.date).status) == .recovered {
                try await email(db, .recovered, membership: result.membership, at: at)
            }
            try await sendDueReminders(db, result.membership, at: at)
            receipt = .applied(membershipID: id, note: result.note)
        case let .noChange(why):
            guard try await conclude(id, "no_change", "\(result.note): \(why)") else { return .duplicate }
            receipt = .noChange(membershipID: id, reason: why)
        case let .rejected(why):
            guard try await conclude(id, "rejected", "\(result.note): \(why)") else { return .duplicate }
            receipt = .rejected(membershipID: id, reason: why)
        }
        // An event naming this membership and provider ids teaches the links; parked events may now route. A
        // renewal whose ids are already linked (the usual case) writes nothing here.
        let named = event.reference.membershipID == id
        if named, !isNew, located?.linked == true { return receipt }
        let added = try await store.link(db, provider: event.provider,
                                         subscription: named ? event.reference.subscriptionID : result.membership.subscriptionID,
                                         customer: named ? event.reference.customerID : result.membership.customerID, to: id)
        if added, depth < 4 {
            for parked in try await store.parked(db, provider: event.provider, subscription: result.membership.subscriptionID,
                                                 customer: result.membership.customerID) {
                _ = try await deliver(db, parked, recording: nil, userID: nil, at: at, depth: depth + 1)
            }
        }
        return receipt
    }

    /// On-hold emails that are due (the first at once, then on the days of `Settings.reminderDays`), each queued
    /// once per hold and day in the outbox, in the caller's transaction.
    func sendDueReminders(_ db: any SQLDatabase, _ m: Membership, at: Timestamp) async throws {
        guard engine.status(of: m, at: at.date).status == .onHold else { return }  // nothing is due otherwise: no query
        let sent = try await store.sentReminders(db, membershipID: m.id)
        for reminder in engine.reminders(for: m, at: at.date, sent: sent) {
            guard try await store.markReminder(db, key: reminder.key, membershipID: m.id, at: at) else { continue }
            try await email(db, .putOnHold, membership: m, at: at, day: reminder.day)
        }
    }

    /// Queues the email for a transition to the membership's owner.
    func email(_ db: any SQLDatabase, _ transition: Transition, membership m: Membership, at: Timestamp, day: Int = 0) async throws {
        guard let owner = try await store.owner(db, id: m.id),
              let user = try await UserRows.find(where: "id", equals: owner, on: db) else { return }
        let report = engine.status(of: m, at: at.date)
        let amount = "\(m.pledge.value.amount.formatted(dropZeroCents: true)) \(m.pledge.value.interval.perWord)"
        let mail: OutgoingMail
        switch transition {
        case .recovered:
            mail = OutgoingMail(kind: "membership-recovered", to: user.email, subject: "Your membership is active again",
                                text: "Thank you: your payment of \(amount) went through and your membership is active again.\n\n\(siteURL)\(SiteURL.account.path)\n")
        default:
            let lapses = report.onHoldSince.map { " on \(CivilDate.dayString($0.addingTimeInterval(engine.settings.grace)))" } ?? " soon"
            mail = OutgoingMail(kind: "membership-on-hold", to: user.email,
                                subject: day == 0 ? "Your membership payment did not go through" : "Reminder: your membership is on hold",
                                text: "We could not take your payment of \(amount). Your membership is on hold and will lapse\(lapses) unless the payment is fixed.\n\nFix it here: \(siteURL)\(SiteURL.membershipFix(membership: m.id).path)\n")
        }
        try await Outbox.enqueue(mail, on: db, now: at)
    }

    /// The member role follows the state machine: granted while any of the owner's memberships gives access.
    func syncRole(_ db: any SQLDatabase, membershipID: String, at: Timestamp) async throws {
        guard let roles, let owner = try await store.owner(db, id: membershipID) else { return }
        let access = try await store.memberships(db, userID: owner).contains { engine.status(of: $0, at: at.date).hasAccess }
        try await roles.set(.member, granted: access, userID: owner, on: db, at: at)
    }

    /// Every membership rebuilt from the ledger (what the stored facts must equal).
    public func replay() async throws -> Book {
        let events = try await database.read { db in try await store.ledger(db) }
        return Book.replay(events, engine: engine)
    }

    public func membership(_ id: String) async throws -> Membership? {
        try await database.read { db in try await store.load(db, id: id) }
    }

    /// Ledger rows for a membership: outcome and note, oldest first (the admin's view, and tests).
    public func ledgerCount(eventID: String) async throws -> Int {
        try await database.read { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("membership_ledger")
                .where("event_id", .equal, SQLBind(eventID)).first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }
}

extension MembershipService {
    /// The account a membership belongs to.
    public func owner(of id: String) async throws -> Int64? {
        try await database.read { db in
            try await db.select().column("user_id").from("memberships").where("id", .equal, SQLBind(id))
                .first(decodingColumn: "user_id", as: Int64?.self) ?? nil
        }
    }
}
