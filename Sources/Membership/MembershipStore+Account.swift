import Foundation
import MembershipEngine
import QuorumStore
import SQLKit

/// A payment that went through, as a member's receipt.
public struct Receipt: Sendable, Hashable {
    public var membershipID: String
    public var paidAt: Date
    public var amount: Money
    /// A one-off contribution rather than a membership payment.
    public var oneOff: Bool
}

extension MembershipStore {
    /// The member's paid ledger entries (membership payments and one-off contributions that were applied), newest
    /// first.
    func receipts(_ db: any SQLDatabase, userID: Int64, limit: Int = 50) async throws -> [Receipt] {
        let rows = try await db.select()
            .column(SQLColumn("membership_id", table: "membership_ledger"))
            .column(SQLColumn("occurred_at", table: "membership_ledger"))
            .column(SQLColumn("amount_minor", table: "membership_ledger"))
            .column(SQLColumn("currency", table: "membership_ledger"))
            .column(SQLColumn("kind", table: "membership_ledger"))
            .from("membership_ledger")
            .join("memberships", on: SQLColumn("id", table: "memberships"), .equal, SQLColumn("membership_id", table: "membership_ledger"))
            .where(SQLColumn("user_id", table: "memberships"), .equal, SQLBind(userID))
            .where(SQLColumn("outcome", table: "membership_ledger"), .equal, SQLBind("applied"))
            .where(SQLColumn("kind", table: "membership_ledger"), .in, SQLBind.group(["payment_succeeded", "contribution"]))
            .orderBy(SQLColumn("occurred_at", table: "membership_ledger"), SQLDirection.descending)
            .limit(limit)
            .all()
        return try rows.compactMap { row in
            let code = try row.decode(column: "currency", as: String?.self)
            guard let minor = try row.decode(column: "amount_minor", as: Int64?.self),
                  let currency = code.map({ Currency(code: $0) }) else { return nil }
            return Receipt(membershipID: try row.decode(column: "membership_id", as: String.self),
                           paidAt: Timestamp(milliseconds: try row.decode(column: "occurred_at", as: Int64.self)).date,
                           amount: Money(minor: minor, currency: currency),
                           oneOff: try row.decode(column: "kind", as: String.self) == "contribution")
        }
    }
}
