import Foundation
import MembershipEngine
import QuorumStore
import SQLKit

/// Membership's SQL. Every function takes the caller's connection, so a webhook's record-route-apply-save runs
/// in one transaction.
struct MembershipStore: Sendable {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// The event as the ledger keeps it (what `Book.replay` decodes), encoded before the transaction begins.
    static func json(of event: MembershipEvent) throws -> String {
        String(decoding: try encoder.encode(event), as: UTF8.self)
    }

    /// Appends an event to the ledger with what became of it; false when its id is already there (a duplicate:
    /// nothing more to do). The outcome is known before the row is written, so an event costs one ledger statement.
    func record(_ db: any SQLDatabase, _ event: MembershipEvent, json: String, raw: String?, at now: Timestamp,
                membershipID: String?, outcome: String, note: String) async throws -> Bool {
        // The webhook path's statements are written out rather than built: building and serialising them was an
        // eighth of a webhook's CPU (identifier quoting above all). Values are bound, never spliced.
        let amount = Self.amount(of: event.kind)
        let rows = try await db.raw("""
            INSERT INTO membership_ledger (event_id, provider, membership_id, subscription_ref, customer_ref, kind, amount_minor, \
            currency, occurred_at, recorded_at, event_json, raw_payload, outcome, note) VALUES (\(bind: event.id), \
            \(bind: event.provider), \(bind: membershipID), \(bind: event.reference.subscriptionID), \(bind: event.reference.customerID), \
            \(bind: Self.kindName(event.kind)), \(bind: amount?.minor), \(bind: amount?.currency.code), \
            \(bind: Timestamp(event.occurredAt).milliseconds), \(bind: now.milliseconds), \(bind: json), \(bind: raw), \(bind: outcome), \
            \(bind: String(note.prefix(500)))) ON CONFLICT (event_id) DO NOTHING RETURNING id
            """).all()
        return !rows.isEmpty
    }

    /// What became of a recorded event (`applied`, `no_change`, `rejected`, `parked`, `ignored`) and for which membership.
    func settle(_ db: any SQLDatabase, eventID: String, membershipID: String?, outcome: String, note: String) async throws {
        try await db.update("membership_ledger")
            .set("membership_id", to: SQLBind(membershipID))
            .set("outcome", to: SQLBind(outcome))
            .set("note", to: SQLBind(String(note.prefix(500))))
            .where("event_id", .equal, SQLBind(eventID))
            .run()
    }

    /// The membership's facts, locked for the rest of the transaction on PostgreSQL (SQLite has one writer).
    func load(_ db: any SQLDatabase, id: String) async throws -> Membership? {
        guard let json = try await db.select().column("facts_json").from("memberships").where("id", .equal, SQLBind(id))
            .for(.update).first(decodingColumn: "facts_json", as: String.self) else { return nil }
        return try JSONDecoder().decode(Membership.self, from: Data(json.utf8))
    }

    func save(_ db: any SQLDatabase, _ m: Membership, status: Status, userID: Int64?, at now: Timestamp) async throws {
        let json = String(decoding: try Self.encoder.encode(m), as: UTF8.self)
        try await db.raw("""
            INSERT INTO memberships (id, user_id, provider, status, amount_minor, currency, billing_interval, paid_through, \
            facts_json, updated_at) VALUES (\(bind: m.id), \(bind: userID), \(bind: m.provider), \(bind: status.rawValue), \
            \(bind: m.pledge.value.amount.minor), \(bind: m.currency.code), \(bind: m.pledge.value.interval.rawValue), \
            \(bind: m.paidThrough.map { Timestamp($0).milliseconds }), \(bind: json), \(bind: now.milliseconds)) \
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, amount_minor = excluded.amount_minor, \
            billing_interval = excluded.billing_interval, paid_through = excluded.paid_through, facts_json = excluded.facts_json, \
            updated_at = excluded.updated_at
            """).run()
    }

    func owner(_ db: any SQLDatabase, id: String) async throws -> Int64? {
        try await db.select().column("user_id").from("memberships").where("id", .equal, SQLBind(id))
            .first(decodingColumn: "user_id", as: Int64?.self) ?? nil
    }

    func memberships(_ db: any SQLDatabase, userID: Int64) async throws -> [Membership] {
        try await db.select().column("facts_json").from("memberships").where("user_id", .equal, SQLBind(userID)).all()
            .map { try JSONDecoder().decode(Membership.self, from: Data(try $0.decode(column: "facts_json", as: String.self).utf8)) }
    }

    func sentReminders(_ db: any SQLDatabase, membershipID: String) async throws -> Set<String> {
        Set(try await db.select().column("reminder_key").from("membership_reminders")
            .where("membership_id", .equal, SQLBind(membershipID)).all().map { try $0.decode(column: "reminder_key", as: String.self) })
    }

    /// Claims a reminder; false when another pass (or instance) already did.
    func markReminder(_ db: any SQLDatabase, key: String, membershipID: String, at: Timestamp) async throws -> Bool {
        !(try await db.insert(into: "membership_reminders").columns("reminder_key", "membership_id", "sent_at")
            .values(SQLBind(key), SQLBind(membershipID), SQLBind(at.milliseconds))
            .ignoringConflicts(with: ["reminder_key"]).returning("reminder_key").all()).isEmpty
    }

    /// Every membership with its stored status (the upkeep pass).
    func all(_ db: any SQLDatabase) async throws -> [(Membership, String)] {
        try await db.select().columns("facts_json", "status").from("memberships").all().map { row in
            (try JSONDecoder().decode(Membership.self, from: Data(try row.decode(column: "facts_json", as: String.self).utf8)),
             try row.decode(column: "status", as: String.self))
        }
    }

    /// Where an event lands: the membership it names if that exists, else the one a provider link points at.
    struct Located {
        let id: String
        let membership: Membership?
        /// Every provider id the event carries already links to this membership (a renewal writes no link).
        let linked: Bool
    }

    /// The membership an event belongs to, loaded and locked for the rest of the transaction (PostgreSQL; SQLite
    /// has one writer). An event naming an existing membership costs one statement: its facts and whether the
    /// event's provider ids are linked to it come back together.
    func locate(_ db: any SQLDatabase, _ event: MembershipEvent) async throws -> Located? {
        let ref = event.reference
        if let id = ref.membershipID {
            let refs = [ref.subscriptionID, ref.customerID].compactMap { $0 }.count
            if let row = try await db.raw("""
                SELECT facts_json, (SELECT COUNT(*) FROM membership_links WHERE membership_links.membership_id = memberships.id \
                AND membership_links.provider = \(bind: event.provider) AND ((membership_links.ref_kind = 'subscription' \
                AND membership_links.ref = \(bind: ref.subscriptionID)) OR (membership_links.ref_kind = 'customer' \
                AND membership_links.ref = \(bind: ref.customerID)))) AS linked FROM memberships WHERE memberships.id = \(bind: id) \
                \(SQLLockingClause.update)
                """).first() {
                let json = try row.decode(column: "facts_json", as: String.self)
                return Located(id: id, membership: try JSONDecoder().decode(Membership.self, from: Data(json.utf8)),
                               linked: try row.decode(column: "linked", as: Int.self) >= refs)
            }
        }
        for (kind, value) in [("subscription", ref.subscriptionID), ("customer", ref.customerID)] {
            guard let value else { continue }
            if let id = try await db.select().column("membership_id").from("membership_links")
                .where("provider", .equal, SQLBind(event.provider)).where("ref_kind", .equal, SQLBind(kind))
                .where("ref", .equal, SQLBind(value)).first(decodingColumn: "membership_id", as: String.self) {
                return Located(id: id, membership: try await load(db, id: id), linked: false)
            }
        }
        return nil
    }

    /// Remembers which provider ids point at a membership; true when a link is new (parked events may now route).
    func link(_ db: any SQLDatabase, provider: String, subscription: String?, customer: String?, to id: String) async throws -> Bool {
        let refs = [("subscription", subscription), ("customer", customer)].compactMap { kind, ref in ref.map { (kind, $0) } }
        guard !refs.isEmpty else { return false }
        // One statement for both links (one round trip on the webhook path).
        var insert = db.insert(into: "membership_links").columns("provider", "ref_kind", "ref", "membership_id")
        for (kind, ref) in refs { insert = insert.values(SQLBind(provider), SQLBind(kind), SQLBind(ref), SQLBind(id)) }
        return !(try await insert.ignoringConflicts(with: ["provider", "ref_kind", "ref"]).returning("ref").all()).isEmpty
    }

    /// Parked events that name one of these provider ids, oldest first.
    func parked(_ db: any SQLDatabase, provider: String, subscription: String?, customer: String?) async throws -> [MembershipEvent] {
        let refs = [subscription, customer].compactMap { $0 }
        guard !refs.isEmpty else { return [] }
        let rows = try await db.select().column("event_json").from("membership_ledger")
            .where("outcome", .equal, SQLBind("parked")).where("provider", .equal, SQLBind(provider))
            .where { w in
                w.where("subscription_ref", .in, SQLBind.group(refs)).orWhere("customer_ref", .in, SQLBind.group(refs))
            }
            .orderBy("id").all()
        return try rows.map { try JSONDecoder().decode(MembershipEvent.self, from: Data(try $0.decode(column: "event_json", as: String.self).utf8)) }
    }

    /// Every recorded event, in the order recorded: what `Book.replay` rebuilds memberships from.
    func ledger(_ db: any SQLDatabase) async throws -> [MembershipEvent] {
        let rows = try await db.select().column("event_json").from("membership_ledger").orderBy("id").all()
        return try rows.map { try JSONDecoder().decode(MembershipEvent.self, from: Data(try $0.decode(column: "event_json", as: String.self).utf8)) }
    }

    /// Clears provider payloads older than `cutoff` (the events themselves stay).
    func pruneRawPayloads(_ db: any SQLDatabase, recordedBefore cutoff: Timestamp) async throws {
        try await db.update("membership_ledger").set("raw_payload", to: SQLLiteral.null)
            .where("recorded_at", .lessThan, SQLBind(cutoff.milliseconds)).where("raw_payload", .isNot, SQLLiteral.null).run()
    }

    static func kindName(_ kind: MembershipEvent.Kind) -> String {
        switch kind {
        case .opened: "opened"
        case .openedOneOff: "opened_one_off"
        case .checkoutCompleted: "checkout_completed"
        case .paymentSucceeded: "payment_succeeded"
        case .paymentFailed: "payment_failed"
        case .subscriptionChanged: "subscription_changed"
        case .subscriptionEnded: "subscription_ended"
        case .refunded: "refunded"
        case .contribution: "contribution"
        case .pauseRequested: "pause_requested"
        case .resumeRequested: "resume_requested"
        case .amountChangeRequested: "amount_change_requested"
        case .cancelRequested: "cancel_requested"
        case .cancelWithdrawn: "cancel_withdrawn"
        case .honoraryGranted: "honorary_granted"
        case .honoraryRevoked: "honorary_revoked"
        case .unhandled: "unhandled"
        }
    }

    static func amount(of kind: MembershipEvent.Kind) -> Money? {
        switch kind {
        case let .opened(p), let .amountChangeRequested(p): p.amount
        case let .openedOneOff(m), let .contribution(m): m
        case let .paymentSucceeded(p): p.amount
        case let .paymentFailed(f): f.amount
        case let .refunded(_, total): total
        default: nil
        }
    }
}
