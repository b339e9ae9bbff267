@preconcurrency import AsyncKit
import Foundation
import PostgresKit
import SQLiteKit

/// The database cannot be reached: PostgreSQL is down, restarting or refusing connections, or no pooled
/// connection came free in time. Nothing was written. The web layer answers 503 with `Retry-After`, at once
/// rather than after a long wait, and the pool reconnects by itself when the server is back.
public struct DatabaseUnavailableError: Error, Sendable, CustomStringConvertible {
    public let retryAfterSeconds = 5
    /// What the driver said, for the log (never shown to readers).
    public let underlying: String
    public init(underlying: String) { self.underlying = underlying }
    public var description: String { "database unavailable: \(underlying)" }
}

/// The disk under the database is full (SQLite `SQLITE_FULL`, PostgreSQL `53100 disk_full`). The statement was
/// refused and its transaction rolled back, so nothing half-written remains; writes succeed again once space is
/// freed. The web layer answers 507.
public struct StorageFullError: Error, Sendable, CustomStringConvertible {
    public let underlying: String
    public init(underlying: String) { self.underlying = underlying }
    public var description: String { "storage full: \(underlying)" }
}

enum StoreFailure {
    /// The error a caller should see for a driver error: one of the two above when the cause is the server's
    /// or the disk's state rather than the request, the error itself otherwise.
    static func classify(_ error: any Error, location: DatabaseLocation) -> any Error {
        switch error {
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                // 53100 disk_full; class 08 connection exceptions; 57P01–57P03 the server shutting down or starting.
                if state == "53100" { return StorageFullError(underlying: String(reflecting: error)) }
                if state.hasPrefix("08") || state.hasPrefix("57P") { return DatabaseUnavailableError(underlying: String(reflecting: error)) }
                return error
            }
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed:
                return DatabaseUnavailableError(underlying: String(reflecting: error))
            default:
                return error
            }
        case is ConnectionPoolTimeoutError:
            return DatabaseUnavailableError(underlying: String(reflecting: error))
        case let error as SQLiteError:
            if case .full = error.reason { return StorageFullError(underlying: error.description) }
            // On a full disk SQLite does not always say so: opening a connection can fail as "misuse: out of
            // memory", a write to the WAL or its index as an I/O error. With almost no room left on the
            // database's disk, that is what they mean.
            if case .sqlite(let path) = location, let free = freeBytes(onDiskOf: path), free < 1 << 20 {
                return StorageFullError(underlying: "\(error.description) (\(free) bytes free)")
            }
            return error
        default:
            return error
        }
    }
}

/// Bytes free for an unprivileged writer on the file system holding `path` (or its folder), nil if unknown.
func freeBytes(onDiskOf path: String) -> Int? {
    let folder = (path as NSString).deletingLastPathComponent
    var stats = statvfs()
    guard statvfs(folder.isEmpty ? "." : folder, &stats) == 0 else { return nil }
    return Int(stats.f_bavail) * Int(stats.f_frsize)
}
