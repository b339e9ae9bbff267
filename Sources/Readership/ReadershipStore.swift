import Foundation
import QuorumStore
import QuorumWeb
import ReadershipEngine
import SQLKit

/// Every query of readership: salts, daily counters and sketches, referrers, campaigns, shares, promotions.
/// Binds only.
struct ReadershipStore: Sendable {
    let database: Database

    // MARK: Salts

    /// The salt of `period`, made now if no instance made it yet (the first insert wins, so every instance on one
    /// database hashes with the same salt).
    func salt(period: Int64, now: Timestamp) async throws -> [UInt8] {
        let fresh = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        return try await database.transaction { db in
            try await db.raw("""
                INSERT INTO readership_salts (period, salt, created_at) VALUES (\(bind: period), \(bind: fresh), \(bind: now.milliseconds))
                ON CONFLICT (period) DO NOTHING
                """).run()
            let row = try await db.raw("SELECT salt FROM readership_salts WHERE period = \(bind: period)").first()
            let text = try row?.decode(column: "salt", as: String.self) ?? fresh
            return [UInt8](Data(base64Encoded: text) ?? Data())
        }
    }

    /// Deletes the salts of periods before `period`: hashes made with them can never be remade.
    func deleteSalts(before period: Int64) async throws {
        try await database.transaction { db in
            try await db.raw("DELETE FROM readership_salts WHERE period < \(bind: period)").run()
        }
    }

    func saltPeriods() async throws -> [Int64] {
        try await database.read { db in
            try await db.raw("SELECT period FROM readership_salts ORDER BY period").all().map { try $0.decode(column: "period", as: Int64.self) }
        }
    }

    // MARK: Counts

    /// Adds views and merges a sketch into the day's row, register by register, in one transaction (the row is
    /// locked on PostgreSQL, so instances flushing at once both land).
    func merge(_ batch: FlushBatch) async throws {
        guard !batch.isEmpty else { return }
        let postgres = database.kind == .postgres
        try await database.transaction { db in
            for (key, entry) in batch.scopes.sorted(by: { ($0.key.day, $0.key.scope) < ($1.key.day, $1.key.scope) }) {
                try await db.raw("""
                    INSERT INTO readership_daily (day, scope, views, sketch) VALUES (\(bind: key.day), \(bind: key.scope), 0, '')
                    ON CONFLICT (day, scope) DO NOTHING
                    """).run()
                let lock: SQLQueryString = postgres ? " FOR UPDATE" : ""
                let row = try await db.raw("SELECT sketch FROM readership_daily WHERE day = \(bind: key.day) AND scope = \(bind: key.scope)\(lock)").first()
                var sketch = Self.sketch(try row?.decode(column: "sketch", as: String.self) ?? "") ?? HyperLogLog()
                if let added = entry.sketch { sketch.merge(added) }
                try await db.raw("""
                    UPDATE readership_daily SET views = views + \(bind: entry.views), sketch = \(bind: Self.text(sketch))
                    WHERE day = \(bind: key.day) AND scope = \(bind: key.scope)
                    """).run()
            }
            for (key, views) in batch.referrers {
                try await db.raw("""
                    INSERT INTO readership_referrers (day, host, views) VALUES (\(bind: key.day), \(bind: key.host), \(bind: views))
                    ON CONFLICT (day, host) DO UPDATE SET views = readership_referrers.views + excluded.views
                    """).run()
            }
            for (key, views) in batch.campaigns {
                try await db.raw("""
                    INSERT INTO readership_campaigns (day, source, medium, campaign, views)
                    VALUES (\(bind: key.day), \(bind: key.source), \(bind: key.medium), \(bind: key.campaign), \(bind: views))
                    ON CONFLICT (day, source, medium, campaign) DO UPDATE SET views = readership_campaigns.views + excluded.views
                    """).run()
            }
            for (id, views) in batch.promotionViews {
                try await db.raw("UPDATE promotions SET views = views + \(bind: views) WHERE id = \(bind: id)").run()
            }
        }
    }

    static func sketch(_ text: String) -> HyperLogLog? {
        guard !text.isEmpty, let data = Data(base64Encoded: text) else { return nil }
        return HyperLogLog(bytes: [UInt8](data))
    }

    static func text(_ sketch: HyperLogLog) -> String { Data(sketch.bytes).base64EncodedString() }

    struct DayRow: Sendable {
        var day: Int64
        var views: Int
        var sketch: HyperLogLog
    }

    /// The rows of `scope` for days `from...to`.
    func days(scope: String, from: Int64, to: Int64) async throws -> [DayRow] {
        try await database.read { db in
            try await db.raw("""
                SELECT day, views, sketch FROM readership_daily WHERE scope = \(bind: scope) AND day >= \(bind: from) AND day <= \(bind: to)
                ORDER BY day
                """).all().map {
                DayRow(day: try $0.decode(column: "day", as: Int64.self), views: try $0.decode(column: "views", as: Int.self),
                       sketch: Self.sketch(try $0.decode(column: "sketch", as: String.self)) ?? HyperLogLog())
            }
        }
    }

    struct ArticleFigure: Sendable {
        var slug: String
        var views: Int
        var readers: Int
    }

    /// The most viewed articles of days `from...to`, with their readers (union of their daily sketches).
    func topArticles(from: Int64, to: Int64, limit: Int) async throws -> [ArticleFigure] {
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT scope, CAST(SUM(views) AS BIGINT) AS total FROM readership_daily
                WHERE scope LIKE 'a:%' AND day >= \(bind: from) AND day <= \(bind: to)
                GROUP BY scope ORDER BY total DESC, scope LIMIT \(bind: limit)
                """).all().map { (try $0.decode(column: "scope", as: String.self), try $0.decode(column: "total", as: Int.self)) }
        }
        var figures: [ArticleFigure] = []
        for (scope, views) in rows {
            let union = try await days(scope: scope, from: from, to: to).reduce(into: HyperLogLog()) { $0.merge($1.sketch) }
            figures.append(ArticleFigure(slug: String(scope.dropFirst(2)), views: views, readers: union.count))
        }
        return figures
    }

    func referrers(from: Int64, to: Int64, limit: Int) async throws -> [(host: String, views: Int)] {
        try await database.read { db in
            try await db.raw("""
                SELECT host, CAST(SUM(views) AS BIGINT) AS total FROM readership_referrers WHERE day >= \(bind: from) AND day <= \(bind: to)
                GROUP BY host ORDER BY total DESC, host LIMIT \(bind: limit)
                """).all().map { (try $0.decode(column: "host", as: String.self), try $0.decode(column: "total", as: Int.self)) }
        }
    }

    func campaigns(from: Int64, to: Int64, limit: Int) async throws -> [(source: String, medium: String, campaign: String, views: Int)] {
        try await database.read { db in
            try await db.raw("""
                SELECT source, medium, campaign, CAST(SUM(views) AS BIGINT) AS total FROM readership_campaigns WHERE day >= \(bind: from) AND day <= \(bind: to)
                GROUP BY source, medium, campaign ORDER BY total DESC, source, medium, campaign LIMIT \(bind: limit)
                """).all().map {
                (try $0.decode(column: "source", as: String.self), try $0.decode(column: "medium", as: String.self),
                 try $0.decode(column: "campaign", as: String.self), try $0.decode(column: "total", as: Int.self))
            }
        }
    }

    func recordShare(day: Int64, members: Int, readers: Int) async throws {
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO readership_share (day, members, readers) VALUES (\(bind: day), \(bind: members), \(bind: readers))
                ON CONFLICT (day) DO UPDATE SET members = excluded.members, readers = excluded.readers
                """).run()
        }
    }

    func shares(from: Int64, to: Int64) async throws -> [(day: Int64, members: Int, readers: Int)] {
        try await database.read { db in
            try await db.raw("SELECT day, members, readers FROM readership_share WHERE day >= \(bind: from) AND day <= \(bind: to) ORDER BY day")
                .all().map {
                    (try $0.decode(column: "day", as: Int64.self), try $0.decode(column: "members", as: Int.self),
                     try $0.decode(column: "readers", as: Int.self))
                }
        }
    }

    /// Users holding the member role: the stand-in for active members until membership provides the figure.
    func usersWithMemberRole() async throws -> Int {
        try await database.read { db in
            let row = try await db.raw("SELECT COUNT(DISTINCT user_id) AS n FROM user_roles WHERE role = \(bind: Role.member.rawValue)").first()
            return try row?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}

/// What one flush writes: per (day, scope) views and a sketch; referrers, campaigns and promotion views.
struct FlushBatch: Sendable {
    struct ScopeKey: Hashable, Sendable {
        var day: Int64
        var scope: String
    }
    struct ScopeEntry: Sendable {
        var views = 0
        var sketch: HyperLogLog?
    }
    struct ReferrerKey: Hashable, Sendable {
        var day: Int64
        var host: String
    }
    struct CampaignKey: Hashable, Sendable {
        var day: Int64
        var source: String
        var medium: String
        var campaign: String
    }

    var scopes: [ScopeKey: ScopeEntry] = [:]
    var referrers: [ReferrerKey: Int] = [:]
    var campaigns: [CampaignKey: Int] = [:]
    var promotionViews: [Int64: Int] = [:]
    /// Views by kind of page, for /metrics.
    var kinds: [String: Int] = [:]

    var isEmpty: Bool { scopes.isEmpty && referrers.isEmpty && campaigns.isEmpty && promotionViews.isEmpty }

    mutating func absorb(_ other: FlushBatch) {
        for (key, entry) in other.scopes {
            scopes[key, default: ScopeEntry()].views += entry.views
            if let sketch = entry.sketch {
                if scopes[key]!.sketch == nil { scopes[key]!.sketch = sketch } else { scopes[key]!.sketch!.merge(sketch) }
            }
        }
        referrers.merge(other.referrers, uniquingKeysWith: +)
        campaigns.merge(other.campaigns, uniquingKeysWith: +)
        promotionViews.merge(other.promotionViews, uniquingKeysWith: +)
        kinds.merge(other.kinds, uniquingKeysWith: +)
    }
}
