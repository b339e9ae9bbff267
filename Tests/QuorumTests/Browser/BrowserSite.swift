import Foundation
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import TestSupport

/// A whole site for a browser test: a SQLite file prepared in-process (one published article, "harbour-vote",
/// through ``CommentFixture``), a real SMTP server, and the built `quorum` binary serving that file on a free
/// loopback port. ``with(prepare:_:)`` stops the server and the SMTP server and removes the file whatever happens.
struct BrowserSite: Sendable {
    let url: String
    let sink: SMTPSink
    let articleSlug: String
    let log: String

    /// `environment` adds to the server's environment (a payment provider's settings, for instance).
    static func with<R>(
        environment: [String: String] = [:],
        prepare: (CommentFixture) async throws -> Void,
        _ body: (BrowserSite) async throws -> R
    ) async throws -> R {
        try BrowserTools.check()
        let test = try await TestDatabases.fresh(.sqlite)
        guard case .sqlite(let path) = test.location else { fatalError("a SQLite test database") }
        var server: ChildProcess?
        var sink: SMTPSink?
        func cleanUp() async {
            if let server, server.isRunning {
                server.terminate()  // SIGTERM: the server finishes requests in flight and exits
                let deadline = Date().addingTimeInterval(10)
                while server.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
                if server.isRunning { kill(server.processIdentifier, SIGKILL) }
                server.waitUntilExit()
            }
            sink?.stop()
            await test.database.close()
            await test.drop()
        }
        do {
            let fixture = try await CommentFixture.make(test)
            try await prepare(fixture)
            // The binary opens the file itself; nothing in-process writes to it any more.
            await test.database.close()

            let started = try await SMTPSink.start()
            sink = started
            let port = try QuorumProcess.freePort()
            let url = "http://127.0.0.1:\(port)"
            let log = path + ".log"
            server = try QuorumProcess.start(["serve", "--no-migrate"], environment: [
                "QUORUM_DATABASE_URL": "sqlite://\(path)",
                "QUORUM_LISTEN": "127.0.0.1:\(port)",
                "QUORUM_SITE_URL": url,
                "QUORUM_DATA_DIR": path + "-data",
                "QUORUM_SMTP_HOST": "127.0.0.1",
                "QUORUM_SMTP_PORT": String(started.port),
                "QUORUM_SMTP_SECURITY": "none",
                "QUORUM_LOG_LEVEL": "warning",
            ].merging(environment) { _, added in added }, log: log)
            do {
                try await QuorumProcess.waitUntilServing(url + "/healthz", timeout: 60)
            } catch {
                throw WebDriverError(description: "quorum serve did not answer on \(url): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            let site = BrowserSite(url: url, sink: started, articleSlug: fixture.article.slug, log: log)
            let result = try await body(site)
            await cleanUp()
            return result
        } catch {
            await cleanUp()
            if let text = try? String(contentsOfFile: path + ".log", encoding: .utf8), !text.isEmpty {
                print("quorum serve log (\(path).log), last lines:\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n"))
            }
            throw error
        }
    }

    /// Signs `email` in the way a reader does: asks for a code, reads it from the delivered email, types it.
    /// Leaves the browser on the page sign-in sends it on to (`next`).
    func signIn(_ browser: WebDriverSession, email: String, next: String, shots: Screenshots? = nil, step: String = "") async throws {
        let before = try sink.messages().filter { $0.rcpt_tos.contains(email) }.count
        try await browser.navigate(url + "/signin?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? next))
        try await browser.waitForPath("^/signin")
        try await browser.type(email, into: "#email")
        try await shots?.save(browser, step + "signin")
        try await browser.click("form[action='/signin'] button[type=submit]")
        try await browser.waitForPath("^/signin/code")

        let deadline = Date().addingTimeInterval(30)
        var code: String?
        while code == nil && Date() < deadline {
            let delivered = try sink.messages().filter { $0.rcpt_tos.contains(email) }
            if delivered.count > before, let text = delivered.last?.text {
                code = Browser.firstMatch(#"enter this code on the sign-in page: (\d{6})"#, in: text)
                if code == nil { throw WebDriverError(description: "no code in the sign-in email: \(text)") }
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard let code else { throw WebDriverError(description: "no sign-in email for \(email) reached the SMTP server") }
        try await browser.type(code, into: "#code")
        try await shots?.save(browser, step + "code")
        try await browser.click("form[action='/signin/code'] button[type=submit]")
        try await browser.waitForPath("^" + NSRegularExpression.escapedPattern(for: next))
    }
}
