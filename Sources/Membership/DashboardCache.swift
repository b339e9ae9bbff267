import Foundation
import MembershipEngine
import SQLKit
import Synchronization

/// The dashboard computed once per ledger high-water mark: kept while no ledger row has been added (the row count
/// and the largest id, so a row that commits late under a smaller id on PostgreSQL still counts as new), the
/// settings and the readers' figure are the same, and time has not reached the next moment the figures could change
/// by themselves (`Dashboard.validUntil`). Otherwise the ledger is replayed in full, as before.
final class DashboardCache: Sendable {
    struct Mark: Sendable, Hashable {
        var rows: Int
        var lastID: Int64
    }

    struct Key: Sendable, Hashable {
        var mark: Mark
        var settings: MembershipEngine.Settings
        var currency: String
        var months: Int
        var readers: Int?
    }

    struct Entry: Sendable {
        var key: Key
        var computedAt: Date
        var validUntil: Date
        var dashboard: Dashboard
    }

    private let entry = Mutex<Entry?>(nil)
    /// How many times the ledger was replayed in full (for tests).
    private let replays = Mutex(0)
    var fullReplays: Int { replays.withLock { $0 } }

    func cached(_ key: Key, at now: Date) -> Dashboard? {
        entry.withLock { e in
            guard let e, e.key == key, now >= e.computedAt, now < e.validUntil else { return nil }
            return e.dashboard
        }
    }

    func store(_ key: Key, at now: Date, validUntil: Date, _ dashboard: Dashboard) {
        replays.withLock { $0 += 1 }
        entry.withLock { $0 = Entry(key: key, computedAt: now, validUntil: validUntil, dashboard: dashboard) }
    }

    /// The ledger's high-water mark: one small query.
    static func mark(_ db: any SQLDatabase) async throws -> Mark {
        let row = try await db.raw("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last FROM membership_ledger").first()
        return Mark(rows: try row?.decode(column: "n", as: Int.self) ?? 0, lastID: try row?.decode(column: "last", as: Int64.self) ?? 0)
    }
}
