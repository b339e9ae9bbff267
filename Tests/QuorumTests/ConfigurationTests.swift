import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Configuration")
struct ConfigurationTests {
    @Test func parsesSQLiteAndPostgresURLs() throws {
        #expect(try DatabaseLocation(url: "sqlite://./quorum.sqlite") == .sqlite(path: "./quorum.sqlite"))
        #expect(try DatabaseLocation(url: "sqlite:///var/lib/q.sqlite") == .sqlite(path: "/var/lib/q.sqlite"))
        guard case .postgres(let p) = try DatabaseLocation(url: "postgres://news:s%40cret@db.internal:6432/quorum?sslmode=require") else {
            Issue.record("not postgres"); return
        }
        #expect(p.host == "db.internal")
        #expect(p.port == 6432)
        #expect(p.username == "news")
        #expect(p.password == "s@cret")
        #expect(p.database == "quorum")
        #expect(p.requireTLS)
    }

    @Test(arguments: [
        ("mysql://x@y/z", "is not a database URL"),
        ("sqlite://", "has no file path"),
        ("postgres://user@host", "names no database"),
        ("postgres://host/db", "names no user"),
        ("not a url", "is not a database URL"),
    ])
    func rejectsUnusableDatabaseURLs(url: String, expected: String) {
        #expect {
            try DatabaseLocation(url: url)
        } throws: { error in
            (error as? ConfigurationError)?.message.contains(expected) == true
        }
    }

    @Test func errorMessagesNeverShowThePassword() {
        do {
            _ = try DatabaseLocation(url: "postgres://user:topsecret@host")
            Issue.record("expected an error")
        } catch {
            #expect(!error.message.contains("topsecret"))
            #expect(error.message.contains("***"))
        }
    }

    @Test func readsEnvironment() throws {
        let configuration = try QuorumConfiguration.fromEnvironment([
            "QUORUM_DATABASE_URL": "postgres://u:p@localhost:5432/news",
            "QUORUM_LISTEN": "0.0.0.0:9090",
            "QUORUM_DB_POOL_SIZE": "16",
            "QUORUM_SQLITE_SYNCHRONOUS": "normal",
            "QUORUM_LOG_LEVEL": "debug",
            "QUORUM_SITE_NAME": "The Tribune",
        ])
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9090)
        #expect(configuration.databaseOptions.poolSize == 16)
        #expect(configuration.databaseOptions.sqliteSynchronous == "NORMAL")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.siteName == "The Tribune")
        #expect(configuration.siteURL == "http://0.0.0.0:9090")
    }

    @Test(arguments: [
        ["QUORUM_LISTEN": "8080"],
        ["QUORUM_LISTEN": "host:99999"],
        ["QUORUM_DB_POOL_SIZE": "zero"],
        ["QUORUM_SQLITE_SYNCHRONOUS": "OFF"],
        ["QUORUM_LOG_LEVEL": "loud"],
        ["QUORUM_SITE_URL": "ftp://example.com"],
    ])
    func rejectsBadValues(environment: [String: String]) {
        #expect(throws: ConfigurationError.self) { try QuorumConfiguration.fromEnvironment(environment) }
    }

    @Test func normalisesEmails() {
        #expect(EmailAddress.normalise("  Reader@Example.COM ") == "reader@example.com")
        for bad in ["", "no-at", "a@b", "a@@b.com", "a b@c.com", "<x>@y.com", "a@.com", "a@b..com"] {
            #expect(EmailAddress.normalise(bad) == nil, "\(bad)")
        }
    }
}
