import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Testing

/// The `quorum` binary as an operator uses it. Needs `swift build` first (scripts/test does it).
@Suite("Command line", .serialized)
struct CommandLineTests {
    let folder: String = {
        let path = TestDatabases.folder + "/" + TestDatabases.uniqueName("cli")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test func helpListsEveryCommand() async throws {
        let result = try await QuorumProcess.run(["--help"])
        #expect(result.status == 0)
        for command in ["serve", "demo", "migrate", "user", "backup"] {
            #expect(result.stdout.contains("  \(command) "), "\(command) missing from --help")
        }
    }

    @Test func migrateTwiceSecondIsANoOp() async throws {
        let url = "sqlite://\(folder)/site.sqlite"
        let first = try await QuorumProcess.run(["migrate"], environment: ["QUORUM_DATABASE_URL": url])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied 1 foundation"))
        let second = try await QuorumProcess.run(["migrate"], environment: ["QUORUM_DATABASE_URL": url])
        #expect(second.status == 0)
        #expect(second.stdout.contains("up to date; nothing to apply"))
    }

    @Test func userCreateGrantsRoles() async throws {
        let url = "sqlite://\(folder)/users.sqlite"
        let created = try await QuorumProcess.run(
            ["user", "create", "--email", "Chief@Example.com", "--role", "admin", "--role", "editor"],
            environment: ["QUORUM_DATABASE_URL": url]
        )
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("chief@example.com with roles reader, editor, admin"))
        let again = try await QuorumProcess.run(["user", "create", "--email", "chief@example.com"], environment: ["QUORUM_DATABASE_URL": url])
        #expect(again.status == 1)
        #expect(again.stderr == "quorum: error: a user with email chief@example.com already exists\n")
        let badRole = try await QuorumProcess.run(["user", "create", "--email", "x@example.com", "--role", "owner"], environment: ["QUORUM_DATABASE_URL": url])
        #expect(badRole.status != 0)
        #expect(badRole.stderr.contains("owner"))
    }

    /// Each bad configuration ends in exactly one line naming the problem, and a non-zero status.
    @Test(arguments: [
        (["migrate"], ["QUORUM_DATABASE_URL": "mysql://root@localhost/news"], "quorum: error: QUORUM_DATABASE_URL 'mysql://root@localhost/news' is not a database URL"),
        (["migrate"], ["QUORUM_DATABASE_URL": "postgres://quorum@127.0.0.1:1/news"], "quorum: error: cannot reach PostgreSQL at 127.0.0.1:1: connection refused or timed out"),
        (["migrate"], ["QUORUM_DATABASE_URL": "sqlite:///nonexistent-folder/q.sqlite"], "quorum: error: cannot open SQLite database at /nonexistent-folder/q.sqlite: folder /nonexistent-folder does not exist"),
        (["serve"], ["QUORUM_LISTEN": "localhost:http"], "quorum: error: QUORUM_LISTEN 'localhost:http' must be HOST:PORT"),
    ])
    func badConfigurationGivesOneClearLine(arguments: [String], environment: [String: String], expected: String) async throws {
        let result = try await QuorumProcess.run(arguments, environment: environment, directory: folder)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix(expected), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack"))
    }

    @Test func portInUseGivesOneClearLine() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        let port = listener.localAddress!.port!
        let result = try await QuorumProcess.run(
            ["serve", "--port", "\(port)"], environment: ["QUORUM_DATABASE_URL": "sqlite://\(folder)/port.sqlite"], directory: folder
        )
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("quorum: error: the address is already in use"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func sigtermStopsTheServerCleanly() async throws {
        let port = try QuorumProcess.freePort()
        let process = try QuorumProcess.start(
            ["serve", "--port", "\(port)"], environment: ["QUORUM_DATABASE_URL": "sqlite://\(folder)/term.sqlite"],
            directory: folder, log: folder + "/term.log"
        )
        defer { if process.isRunning { process.terminate() } }
        try await QuorumProcess.waitUntilServing("http://127.0.0.1:\(port)/healthz")
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        let log = try String(contentsOfFile: folder + "/term.log", encoding: .utf8)
        #expect(log.contains("stopped"))
    }

    /// The README's first command: a demo site on SQLite with nothing configured, serving the front page.
    @Test func demoServesTheFrontPage() async throws {
        let port = try QuorumProcess.freePort()
        let process = try QuorumProcess.start(
            ["demo", "--port", "\(port)", "--folder", folder + "/demo"], directory: folder, log: folder + "/demo.log"
        )
        defer { if process.isRunning { process.terminate() } }
        try await QuorumProcess.waitUntilServing("http://127.0.0.1:\(port)/", timeout: 180)
        let log = try String(contentsOfFile: folder + "/demo.log", encoding: .utf8)
        #expect(log.contains("Quorum demo is running at http://127.0.0.1:\(port)/"))
        #expect(log.contains("admin@demo.quorum.test"))
        #expect(FileManager.default.fileExists(atPath: folder + "/demo/quorum.sqlite"))
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(process.terminationStatus == 0)
        // A second start reuses the site.
        let again = try QuorumProcess.start(
            ["demo", "--port", "\(port)", "--folder", folder + "/demo"], directory: folder, log: folder + "/demo2.log"
        )
        defer { if again.isRunning { again.terminate() } }
        try await QuorumProcess.waitUntilServing("http://127.0.0.1:\(port)/", timeout: 180)
        #expect(try String(contentsOfFile: folder + "/demo2.log", encoding: .utf8).contains("already loaded"))
    }

    /// SIGTERM while a request is still arriving: the server answers it, then exits 0.
    @Test func sigtermLetsARequestInFlightFinish() async throws {
        let port = try QuorumProcess.freePort()
        let process = try QuorumProcess.start(
            ["serve", "--port", "\(port)"], environment: ["QUORUM_DATABASE_URL": "sqlite://\(folder)/inflight.sqlite"],
            directory: folder, log: folder + "/inflight.log"
        )
        defer { if process.isRunning { process.terminate() } }
        try await QuorumProcess.waitUntilServing("http://127.0.0.1:\(port)/healthz")
        let body = "email=slow%40example.com&next=%2F"
        let connection = try RawHTTPStream(port: port, raw: "POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body.prefix(10))
        defer { connection.close() }
        try await Task.sleep(for: .milliseconds(300))
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(700))
        #expect(process.isRunning, "the server waits for the request in flight")
        try connection.send(String(body.dropFirst(10)))
        let answer = try await connection.off { try $0.read(until: "\r\n\r\n", timeout: 10) }
        #expect(answer.hasPrefix("HTTP/1.1 403"), "answered (the form carries no CSRF token): \(answer)")
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }

    @Test func backupWhileServing() async throws {
        let port = try QuorumProcess.freePort()
        let url = "sqlite://\(folder)/live.sqlite"
        let process = try QuorumProcess.start(
            ["serve", "--port", "\(port)"], environment: ["QUORUM_DATABASE_URL": url], directory: folder, log: folder + "/live.log"
        )
        defer { if process.isRunning { process.terminate() } }
        try await QuorumProcess.waitUntilServing("http://127.0.0.1:\(port)/healthz")
        let backup = try await QuorumProcess.run(["backup", "--to", folder + "/copy.sqlite"], environment: ["QUORUM_DATABASE_URL": url])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("backed up"))
        let check = try await QuorumProcess.run(["migrate"], environment: ["QUORUM_DATABASE_URL": "sqlite://\(folder)/copy.sqlite"])
        #expect(check.stdout.contains("up to date"), "the copy should hold the whole migrated schema")
        let postgres = try await QuorumProcess.run(["backup", "--to", "x.dump"], environment: ["QUORUM_DATABASE_URL": TestDatabases.postgresURL ?? "postgres://u@127.0.0.1:1/x"])
        #expect(postgres.status == 1)
        #expect(postgres.stderr.contains("pg_dump") || postgres.stderr.contains("cannot reach PostgreSQL"))
    }
}
