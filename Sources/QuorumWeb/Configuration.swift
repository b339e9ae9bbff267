import Foundation
import Logging
import QuorumBus
import QuorumMail

import QuorumStore

/// Everything an instance needs to know, from flags and `QUORUM_*` environment variables.
/// The defaults make `quorum demo` work with nothing configured.
public struct QuorumConfiguration: Sendable {
    /// Where a Perspective-compatible toxicity service answers when only its key is configured.
    public static let defaultPerspectiveEndpoint = "https://commentanalyzer.googleapis.com/v1alpha1/comments:analyze"
    public var database: DatabaseLocation
    public var databaseOptions: Database.Options
    public var host: String
    public var port: Int
    /// The public address of the site, used in feeds, canonical links and emails.
    public var siteURL: String
    public var siteName: String
    /// Where uploaded images, the demo mail folder and other files live.
    public var dataDirectory: String
    /// A folder whose templates and assets override the default theme's files of the same name.
    public var themeDirectory: String?
    public var logLevel: Logger.Level
    /// Apply pending migrations when serving starts.
    public var migrateOnStart: Bool
    /// The sender of every email, e.g. `The Daily Quorum <news@example.com>`.
    public var mailFrom: String
    /// Where email goes; nil writes messages to `<data>/mail/` and the log instead (the demo).
    public var smtp: SMTPSettings?
    /// A Perspective-compatible toxicity service for the comment pre-screen; nil uses the built-in local scorer.
    public var perspective: (apiKey: String, endpoint: String)?

    /// How to reach the SMTP server.
    public struct SMTPSettings: Sendable, Equatable {
        public enum Security: String, Sendable { case none, starttls, tls }
        public var host: String
        public var port: Int
        public var security: Security
        public var username: String?
        public var password: String?
        /// Accept any certificate (only for a test server on loopback).
        public var insecureSkipVerify: Bool

        public init(host: String, port: Int = 587, security: Security = .starttls, username: String? = nil, password: String? = nil, insecureSkipVerify: Bool = false) {
            self.host = host
            self.port = port
            self.security = security
            self.username = username
            self.password = password
            self.insecureSkipVerify = insecureSkipVerify
        }
    }
    /// The largest image upload accepted, in bytes (larger ones are refused with 413).
    public var maxUploadBytes: Int = 10 * 1024 * 1024
    /// How often the scheduler looks for scheduled articles that are due.
    public var schedulerInterval: Duration = .seconds(5)
    /// Limits of live comment streams.
    public var liveStreams = LiveStreamSettings()
    /// State-changing requests one client address may make per minute, across all instances (`QUORUM_POSTS_PER_MINUTE`).
    public var postsPerMinutePerAddress = 300

    public init(
        database: DatabaseLocation = .sqlite(path: "./quorum.sqlite"),
        databaseOptions: Database.Options = .init(),
        host: String = "127.0.0.1",
        port: Int = 8080,
        siteURL: String? = nil,
        siteName: String = "Quorum",
        dataDirectory: String = "./quorum-data",
        themeDirectory: String? = nil,
        logLevel: Logger.Level = .info,
        migrateOnStart: Bool = true,
        mailFrom: String? = nil,
        smtp: SMTPSettings? = nil
    ) {
        self.database = database
        self.databaseOptions = databaseOptions
        self.host = host
        self.port = port
        self.siteURL = siteURL ?? "http://\(host):\(port)"
        self.siteName = siteName
        self.dataDirectory = dataDirectory
        self.themeDirectory = themeDirectory
        self.logLevel = logLevel
        self.migrateOnStart = migrateOnStart
        self.mailFrom = mailFrom ?? "\(siteName) <noreply@\(host == "0.0.0.0" ? "localhost" : host)>"
        self.smtp = smtp
    }

    /// Reads the `QUORUM_*` variables over the defaults. Any value that cannot be used is a ``ConfigurationError``.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> QuorumConfiguration {
        var configuration = QuorumConfiguration()
        if let url = environment["QUORUM_DATABASE_URL"], !url.isEmpty {
            configuration.database = try DatabaseLocation(url: url)
        }
        if let listen = environment["QUORUM_LISTEN"], !listen.isEmpty {
            let (host, port) = try parseListen(listen)
            configuration.host = host
            configuration.port = port
        }
        if let size = environment["QUORUM_DB_POOL_SIZE"], !size.isEmpty {
            guard let value = Int(size), (1...1000).contains(value) else {
                throw ConfigurationError("QUORUM_DB_POOL_SIZE '\(size)' must be a whole number from 1 to 1000")
            }
            configuration.databaseOptions.poolSize = value
        }
        if let reads = environment["QUORUM_DB_EXPENSIVE_READS"], !reads.isEmpty {
            guard let value = Int(reads), (1...1000).contains(value) else {
                throw ConfigurationError("QUORUM_DB_EXPENSIVE_READS '\(reads)' must be a whole number from 1 to 1000")
            }
            configuration.databaseOptions.expensiveReads = value
        }
        if let timeout = environment["QUORUM_DB_STATEMENT_TIMEOUT_MS"], !timeout.isEmpty {
            guard let value = Int(timeout), value >= 0 else {
                throw ConfigurationError("QUORUM_DB_STATEMENT_TIMEOUT_MS '\(timeout)' must be a whole number of milliseconds (0: no limit)")
            }
            configuration.databaseOptions.statementTimeoutMilliseconds = value
        }
        if let sync = environment["QUORUM_SQLITE_SYNCHRONOUS"], !sync.isEmpty {
            guard ["FULL", "NORMAL"].contains(sync.uppercased()) else {
                throw ConfigurationError("QUORUM_SQLITE_SYNCHRONOUS '\(sync)' must be FULL or NORMAL")
            }
            configuration.databaseOptions.sqliteSynchronous = sync.uppercased()
        }
        if let size = environment["QUORUM_MAX_UPLOAD_BYTES"], !size.isEmpty {
            guard let value = Int(size), value >= 1024 else {
                throw ConfigurationError("QUORUM_MAX_UPLOAD_BYTES '\(size)' must be a whole number of bytes, at least 1024")
            }
            configuration.maxUploadBytes = value
        }
        if let posts = environment["QUORUM_POSTS_PER_MINUTE"], !posts.isEmpty {
            guard let value = Int(posts), (1...1_000_000).contains(value) else {
                throw ConfigurationError("QUORUM_POSTS_PER_MINUTE '\(posts)' must be a whole number from 1 to 1000000")
            }
            configuration.postsPerMinutePerAddress = value
        }
        if let streams = environment["QUORUM_LIVE_STREAMS_PER_CLIENT"], !streams.isEmpty {
            guard let value = Int(streams), (1...10_000).contains(value) else {
                throw ConfigurationError("QUORUM_LIVE_STREAMS_PER_CLIENT '\(streams)' must be a whole number from 1 to 10000")
            }
            configuration.liveStreams.perClient = value
        }
        if let level = environment["QUORUM_LOG_LEVEL"], !level.isEmpty {
            guard let value = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError("QUORUM_LOG_LEVEL '\(level)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            configuration.logLevel = value
        }
        configuration.siteName = environment["QUORUM_SITE_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? configuration.siteName
        configuration.dataDirectory = environment["QUORUM_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? configuration.dataDirectory
        configuration.themeDirectory = environment["QUORUM_THEME_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        if let host = environment["QUORUM_SMTP_HOST"], !host.isEmpty {
            var smtp = SMTPSettings(host: host)
            if let port = environment["QUORUM_SMTP_PORT"], !port.isEmpty {
                guard let value = Int(port), (1...65535).contains(value) else {
                    throw ConfigurationError("QUORUM_SMTP_PORT '\(port)' must be a port number")
                }
                smtp.port = value
            }
            if let security = environment["QUORUM_SMTP_SECURITY"], !security.isEmpty {
                guard let value = SMTPSettings.Security(rawValue: security.lowercased()) else {
                    throw ConfigurationError("QUORUM_SMTP_SECURITY '\(security)' must be starttls, tls or none")
                }
                smtp.security = value
            }
            smtp.username = environment["QUORUM_SMTP_USERNAME"].flatMap { $0.isEmpty ? nil : $0 }
            smtp.password = environment["QUORUM_SMTP_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            configuration.smtp = smtp
        }
        if let key = environment["QUORUM_PERSPECTIVE_API_KEY"], !key.isEmpty {
            configuration.perspective = (key, environment["QUORUM_PERSPECTIVE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultPerspectiveEndpoint)
        }
        configuration.siteURL = environment["QUORUM_SITE_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "http://\(configuration.host):\(configuration.port)"
        configuration.mailFrom = environment["QUORUM_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(configuration.siteName) <noreply@\(URL(string: configuration.siteURL)?.host ?? "localhost")>"
        try configuration.validate()
        return configuration
    }

    static func parseListen(_ listen: String) throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port)
        else {
            throw ConfigurationError("QUORUM_LISTEN '\(listen)' must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Checks what can be checked without touching the network or the disk.
    public func validate() throws {
        guard (0...65535).contains(port) else { throw ConfigurationError("port \(port) is not between 0 and 65535") }
        guard let url = URL(string: siteURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigurationError("QUORUM_SITE_URL '\(siteURL)' must be an http:// or https:// URL")
        }
    }

    /// The site URL without a trailing slash, for building absolute links.
    public var siteBase: String { siteURL.hasSuffix("/") ? String(siteURL.dropLast()) : siteURL }
}

/// Printed (a log line, a dump of the service graph) with its addresses and without any secret: the database
/// URL's password, the SMTP password and the toxicity service's key are left out.
extension QuorumConfiguration: CustomStringConvertible {
    public var description: String {
        "QuorumConfiguration(database: \(database), listen: \(host):\(port), siteURL: \(siteURL), dataDirectory: \(dataDirectory), smtp: \(smtp.map { "\($0.host):\($0.port)" } ?? "none"))"
    }
}
