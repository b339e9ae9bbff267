import Foundation
import MembershipEngine
import QuorumStore
import SQLKit

/// One membership as the admin's list shows it.
public struct MemberRow: Sendable, Hashable {
    public var id: String
    public var userID: Int64?
    public var name: String
    public var email: String
    public var provider: String
    public var status: String
    public var amount: Money
    public var interval: String
    public var paidThrough: Date?
    public var updatedAt: Timestamp
}

/// One ledger entry as the admin's member page shows it (never the raw payload).
public struct LedgerRow: Sendable, Hashable {
    public var eventID: String
    public var provider: String
    public var kind: String
    public var amountMinor: Int64?
    public var currency: String?
    public var occurredAt: Timestamp
    public var recordedAt: Timestamp
    public var outcome: String
    public var note: String
}

/// An email queued for a member.
public struct SentMail: Sendable, Hashable {
    public var kind: String
    public var subject: String
    public var status: String
    public var createdAt: Timestamp
    public var sentAt: Timestamp?
}

/// Filters of the admin's members list: stored statuses (kept current by the upkeep pass).
public enum MemberFilter: String, Sendable, CaseIterable {
    case all, active, onHold = "on_hold", paused, cancelled, honorary, lapsed

    var statuses: [String]? {
        switch self {
        case .all: nil
        // Lapsed and expired memberships are both gone; the list shows them together.
        case .lapsed: [Status.lapsed.rawValue, Status.expired.rawValue]
        default: [rawValue]
        }
    }

    public var label: String {
        switch self {
        case .all: "All"
        case .active: "Active"
        case .onHold: "On hold"
        case .paused: "Paused"
        case .cancelled: "Cancelled"
        case .honorary: "Honorary"
        case .lapsed: "Lapsed"
        }
    }
}

/// Where the next page of the list starts: the last row's (updated_at, id), most recently changed first.
public struct MemberCursor: Sendable, Hashable {
    public var updatedAt: Int64
    public var id: String

    public init(updatedAt: Int64, id: String) {
        self.updatedAt = updatedAt
        self.id = id
    }

    /// "1767225600000.mem_abc"; nil for anything else.
    public init?(_ text: String) {
        guard let dot = text.firstIndex(of: "."), let at = Int64(text[..<dot]) else { return nil }
        let id = String(text[text.index(after: dot)...])
        guard !id.isEmpty, id.count <= 64 else { return nil }
        self.init(updatedAt: at, id: id)
    }

    public var text: String { "\(updatedAt).\(id)" }
}

extension MembershipStore {
    /// A page of memberships (one-off gifts left out), most recently changed first, keyset-paged on
    /// (updated_at, id); `search` matches the owner's name or email, case-insensitively, as a substring.
    func members(_ db: any SQLDatabase, filter: MemberFilter, search: String, after: MemberCursor?, limit: Int) async throws -> [MemberRow] {
        var query = db.select()
            .columns(SQLColumn("id", table: "m"), SQLColumn("user_id", table: "m"), SQLColumn("provider", table: "m"),
                     SQLColumn("status", table: "m"), SQLColumn("amount_minor", table: "m"), SQLColumn("currency", table: "m"),
                     SQLColumn("billing_interval", table: "m"), SQLColumn("paid_through", table: "m"), SQLColumn("updated_at", table: "m"))
            .column(SQLColumn("email", table: "u")).column(SQLColumn("display_name", table: "u"))
            .from(SQLAlias(SQLIdentifier("memberships"), as: SQLIdentifier("m")))
            .join(SQLAlias(SQLIdentifier("users"), as: SQLIdentifier("u")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "u"), .equal, SQLColumn("user_id", table: "m"))
            .where(Self.notOneOff)
        if let statuses = filter.statuses {
            query = query.where(SQLColumn("status", table: "m"), .in, SQLBind.group(statuses))
        }
        let needle = search.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if !needle.isEmpty {
            let pattern = "%" + Self.likeEscaped(needle) + "%"
            query = query.where { w in
                w.where(SQLFunction("LOWER", args: SQLColumn("email", table: "u")), .like, SQLLikePattern(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLColumn("display_name", table: "u")), .like, SQLLikePattern(pattern))
            }
        }
        if let after {
            // (updated_at, id) < (after): the rows after the cursor in descending order.
            query = query.where { w in
                w.where(SQLColumn("updated_at", table: "m"), .lessThan, SQLBind(after.updatedAt))
                    .orWhere { w in
                        w.where(SQLColumn("updated_at", table: "m"), .equal, SQLBind(after.updatedAt))
                            .where(SQLColumn("id", table: "m"), .lessThan, SQLBind(after.id))
                    }
            }
        }
        let rows = try await query.orderBy(SQLColumn("updated_at", table: "m"), SQLDirection.descending)
            .orderBy(SQLColumn("id", table: "m"), SQLDirection.descending).limit(limit).all()
        return try rows.map { row in
            let currency = Currency(code: try row.decode(column: "currency", as: String.self))
            return MemberRow(
                id: try row.decode(column: "id", as: String.self), userID: try row.decode(column: "user_id", as: Int64?.self),
                name: try row.decode(column: "display_name", as: String?.self) ?? "",
                email: try row.decode(column: "email", as: String?.self) ?? "",
                provider: try row.decode(column: "provider", as: String.self), status: try row.decode(column: "status", as: String.self),
                amount: Money(minor: try row.decode(column: "amount_minor", as: Int64.self), currency: currency),
                interval: try row.decode(column: "billing_interval", as: String.self),
                paidThrough: try row.decode(column: "paid_through", as: Int64?.self).map { Timestamp(milliseconds: $0).date },
                updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)))
        }
    }

    /// Memberships per stored status (one-off gifts left out), for the filter counts.
    func statusCounts(_ db: any SQLDatabase) async throws -> [String: Int] {
        let rows = try await db.select().column("status").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(SQLAlias(SQLIdentifier("memberships"), as: SQLIdentifier("m"))).where(Self.notOneOff).groupBy("status").all()
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self) }
        return counts
    }

    /// A membership's ledger, oldest first by the provider's time.
    func ledgerRows(_ db: any SQLDatabase, membershipID: String, limit: Int = 500) async throws -> [LedgerRow] {
        try await db.select().columns("event_id", "provider", "kind", "amount_minor", "currency", "occurred_at", "recorded_at", "outcome", "note")
            .from("membership_ledger").where("membership_id", .equal, SQLBind(membershipID))
            .orderBy("occurred_at").orderBy("id").limit(limit).all().map { row in
                LedgerRow(eventID: try row.decode(column: "event_id", as: String.self),
                          provider: try row.decode(column: "provider", as: String.self),
                          kind: try row.decode(column: "kind", as: String.self),
                          amountMinor: try row.decode(column: "amount_minor", as: Int64?.self),
                          currency: try row.decode(column: "currency", as: String?.self),
                          occurredAt: Timestamp(milliseconds: try row.decode(column: "occurred_at", as: Int64.self)),
                          recordedAt: Timestamp(milliseconds: try row.decode(column: "recorded_at", as: Int64.self)),
                          outcome: try row.decode(column: "outcome", as: String.self),
                          note: try row.decode(column: "note", as: String.self))
            }
    }

    /// Membership emails queued for an address, newest first.
    func mails(_ db: any SQLDatabase, to address: String, limit: Int = 100) async throws -> [SentMail] {
        try await db.select().columns("kind", "subject", "status", "created_at", "sent_at").from("outbox")
            .where("to_address", .equal, SQLBind(address)).where("kind", .like, SQLBind("membership-%"))
            .orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).all().map { row in
                SentMail(kind: try row.decode(column: "kind", as: String.self), subject: try row.decode(column: "subject", as: String.self),
                         status: try row.decode(column: "status", as: String.self),
                         createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
                         sentAt: try row.decode(column: "sent_at", as: Int64?.self).map { Timestamp(milliseconds: $0) })
            }
    }

    /// Leaves out one-off gifts: their opening entry in the ledger says so (`memberships` has no column for it).
    static let notOneOff = SQLRaw("NOT EXISTS (SELECT 1 FROM membership_ledger l WHERE l.membership_id = m.id AND l.kind = 'opened_one_off')")

    /// `%`, `_` and the escape character itself taken literally in a LIKE pattern (with `ESCAPE '\'`).
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\\" || c == "%" || c == "_" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// A bound LIKE pattern with `\` as its escape character (the same on SQLite and PostgreSQL).
struct SQLLikePattern: SQLExpression {
    let pattern: String
    init(_ pattern: String) { self.pattern = pattern }
    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(bind: pattern)
        serializer.write(" ESCAPE '\\'")
    }
}
