import Foundation
import QuorumBus
import QuorumMail
import QuorumStore

import SQLKit

/// Counts events per key in fixed windows stored in the database, so a limit holds across every instance.
///
/// `hit` adds one and throws ``RateLimitedError`` (429 with `Retry-After`) once the window's count passes
/// the limit. Keys name what is limited, e.g. `signin-email:<address>`; callers hash personal data in keys.
public struct RateLimiter: Sendable {
    public let database: Database

    public struct Limit: Sendable {
        public var name: String
        public var count: Int
        public var window: Double
        public init(_ name: String, count: Int, per window: Double) {
            self.name = name
            self.count = count
            self.window = window
        }
    }

    public init(database: Database) { self.database = database }

    public func hit(_ limit: Limit, key: String, now: Timestamp = .now) async throws {
        let windowMilliseconds = Int64(limit.window * 1000)
        let start = now.milliseconds - now.milliseconds % windowMilliseconds
        let bucket = "\(limit.name):\(key)"
        let hits = try await database.write { db in
            try await db.raw("""
                INSERT INTO rate_limits (bucket, window_start, hits) VALUES (\(bind: bucket), \(bind: start), 1)
                ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
                RETURNING hits
                """).first(decodingColumn: "hits", as: Int.self) ?? 1
        }
        if hits > limit.count {
            let retry = Double(start + windowMilliseconds - now.milliseconds) / 1000
            throw RateLimitedError(retryAfterSeconds: Int(retry.rounded(.up)))
        }
    }

    /// Forgets windows that ended more than a day ago.
    public func prune(now: Timestamp = .now) async throws {
        let cutoff = now.milliseconds - 86_400_000
        try await database.write { db in
            try await db.delete(from: "rate_limits").where("window_start", .lessThan, cutoff).run()
        }
    }
}
