import Foundation

import SQLKit

/// Site settings kept in the database, so every instance reads the same values and admins change them
/// without a restart.
public struct SettingsStore: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    public func get(_ key: String) async throws -> String? {
        try await database.read { db in
            try await db.select().column("value").from("settings").where("key", .equal, key)
                .first(decodingColumn: "value", as: String.self)
        }
    }

    public func set(_ key: String, _ value: String, now: Timestamp = .now) async throws {
        try await database.transaction { db in try await Self.set(key, value, now: now, on: db) }
    }

    package static func set(_ key: String, _ value: String, now: Timestamp, on db: any SQLDatabase) async throws {
        try await db.insert(into: "settings").columns("key", "value", "updated_at")
            .values(SQLBind(key), SQLBind(value), SQLBind(now.milliseconds))
            .onConflict(with: ["key"]) { $0.set(excludedValueOf: "value").set(excludedValueOf: "updated_at") }
            .run()
    }

    /// The site's secret key for keyed hashes, made on first use and shared by every instance.
    public func secretKey() async throws -> String {
        if let key = database.constants.withLockedValue({ $0["secret_key"] }) { return key }
        if let key = try await get("secret_key") {
            database.constants.withLockedValue { $0["secret_key"] = key }
            return key
        }
        let fresh = Secrets.token(bytes: 32)
        try await database.transaction { db in
            try await db.insert(into: "settings").columns("key", "value", "updated_at")
                .values(SQLBind("secret_key"), SQLBind(fresh), SQLBind(Timestamp.now.milliseconds))
                .ignoringConflicts(with: ["key"]).run()
        }
        // Another instance may have won the race; everyone uses the stored value.
        return try await get("secret_key") ?? fresh
    }
}

/// Who may create an account by signing in for the first time.
public enum SignUpMode: String, Sendable, CaseIterable {
    case open, invite, closed
}

/// A stored setting that cannot be read: which row, and what is wrong with it. Features report these at
/// start-up (one log line each) and on the admin page that edits the row; until the row is saved again the
/// feature works with its defaults, so no request fails because of it.
public struct SettingsProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let problem: String
    /// Where an admin fixes it, e.g. `/admin/comments`.
    public let fixAt: String

    public init(key: String, problem: String, fixAt: String) {
        self.key = key
        self.problem = problem
        self.fixAt = fixAt
    }

    public var description: String {
        "the stored setting '\(key)' cannot be read (\(problem)); its defaults are in force until it is saved again at \(fixAt)"
    }
}
