import Foundation

/// Where the store lives, parsed from `QUORUM_DATABASE_URL`.
///
/// `sqlite://./quorum.sqlite`, `sqlite:///var/lib/quorum/site.sqlite` or `postgres://user:pass@host:5432/db`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        /// `sslmode=require` in the URL asks for TLS; the default is a plain connection (loopback, private network).
        public var requireTLS: Bool
    }

    public init(url string: String) throws(ConfigurationError) {
        let trimmed = string.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("sqlite://") {
            let path = String(trimmed.dropFirst("sqlite://".count))
            guard !path.isEmpty else {
                throw ConfigurationError("QUORUM_DATABASE_URL '\(string)' has no file path (try sqlite://./quorum.sqlite)")
            }
            self = .sqlite(path: path)
            return
        }
        guard trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://"),
              let components = URLComponents(string: trimmed),
              let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(
                "QUORUM_DATABASE_URL '\(Self.redacted(string))' is not a database URL (expected sqlite://PATH or postgres://USER:PASS@HOST:PORT/DB)"
            )
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw ConfigurationError("QUORUM_DATABASE_URL '\(Self.redacted(string))' names no database (add /DBNAME after the host)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ConfigurationError("QUORUM_DATABASE_URL '\(Self.redacted(string))' names no user (postgres://USER@HOST/DB)")
        }
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value
        self = .postgres(
            .init(
                host: host,
                port: components.port ?? 5432,
                username: user.removingPercentEncoding ?? user,
                password: components.password.map { $0.removingPercentEncoding ?? $0 },
                database: database,
                requireTLS: sslMode == "require" || sslMode == "verify-full"
            )
        )
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let p): "postgres://\(p.username)@\(p.host):\(p.port)/\(p.database)"
        }
    }

    /// The URL with any password replaced, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
