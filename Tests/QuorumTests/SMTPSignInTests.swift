import Foundation
import HummingbirdTesting
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// Sign-in through a real SMTP server on loopback: the test reads the delivered message and uses its code and link.
@Suite("Sign-in over real SMTP", .serialized)
struct SMTPSignInTests {
    func run(smtpPort: Int, _ body: @escaping @Sendable (Browser, TestDatabase) async throws -> Void) async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            var configuration = LiveServer.configuration(for: test)
            configuration.siteURL = "http://localhost"
            configuration.mailFrom = "The Daily Quorum <news@quorum.test>"
            configuration.smtp = .init(host: "127.0.0.1", port: smtpPort, security: .none)
            let app = try buildApplication(configuration: configuration, database: test.database, logger: TestDatabases.logger)
            try await app.test(.live) { client in try await body(Browser(client), test) }
        }
    }

    static func waitForMessages(_ sink: SMTPSink, count: Int, timeout: Double = 20) async throws -> [SMTPSink.Message] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let messages = try sink.messages()
            if messages.count >= count { return messages }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw QuorumProcess.TimeoutError(what: "\(count) message(s) at the SMTP sink")
    }

    @Test func signInWithTheDeliveredCodeAndLink() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await run(smtpPort: sink.port) { browser, _ in
            try await browser.get("/signin?next=/account")
            let requested = try await browser.post("/signin", ["email": "reader@example.com", "next": "/account"])
            let location = try #require(requested.headers[.location])
            let message = try #require(try await Self.waitForMessages(sink, count: 1).first)
            #expect(message.rcpt_tos == ["reader@example.com"])
            #expect(message.from?.contains("news@quorum.test") == true)
            let text = try #require(message.text)
            let code = try #require(Browser.firstMatch(#"enter this code on the sign-in page: (\d{6})"#, in: text))
            #expect(message.subject?.contains(code) == true)
            try await browser.get(location)
            let done = try await browser.post("/signin/code", ["request": String(location.split(separator: "=").last!), "code": code])
            #expect(done.status == .seeOther)
            #expect(try await browser.get("/account").status == .ok)

            // A second sign-in, this time by the link in the delivered email.
            let other = Browser(browser.client)
            try await other.get("/signin")
            try await other.post("/signin", ["email": "reader@example.com"])
            let second = try await Self.waitForMessages(sink, count: 2)[1]
            let link = try #require(Browser.firstMatch(#"(http://localhost/signin/link\?token=[A-Za-z0-9_-]+)"#, in: second.text ?? ""))
            let token = String(link.split(separator: "=").last!)
            try await other.get("/signin/link?token=\(token)")
            #expect(try await other.post("/signin/link", ["token": token]).status == .seeOther)
            #expect(try await other.get("/account").status == .ok)
        }
    }

    /// The SMTP server is down when the reader asks for a code; the email goes out once it is back.
    @Test func mailWaitsForTheServerToComeBack() async throws {
        let port = try QuorumProcess.freePort()
        try await run(smtpPort: port) { browser, test in
            try await browser.get("/signin")
            #expect(try await browser.post("/signin", ["email": "patient@example.com"]).status == .seeOther)
            // The first attempt fails (nothing listens) and is rescheduled, not lost.
            var attempts = 0
            let deadline = Date().addingTimeInterval(20)
            while attempts == 0 && Date() < deadline {
                attempts = try await test.database.read { db in
                    try await db.select().column("attempts").from("outbox").first(decodingColumn: "attempts", as: Int.self)
                } ?? 0
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(attempts >= 1)
            let row = try #require(try await test.database.read { db in
                try await db.select().columns("status", "last_error").from("outbox").first()
            })
            #expect(try row.decode(column: "status", as: String.self) == "pending")
            #expect(try row.decode(column: "last_error", as: String?.self)?.isEmpty == false)

            var options = SMTPSink.Options()
            options.port = port
            let sink = try await SMTPSink.start(options)
            defer { sink.stop() }
            // Make the retry due now rather than after its 30 s backoff, then let delivery run.
            try await test.database.read { db in try await db.update("outbox").set("next_attempt_at", to: 0).run() }
            let delivered = try await Self.waitForMessages(sink, count: 1, timeout: 30)
            #expect(delivered[0].rcpt_tos == ["patient@example.com"])
            // The sink has the message a moment before delivery records it.
            var status: String?
            let sentBy = Date().addingTimeInterval(10)
            repeat {
                status = try await test.database.read { db in
                    try await db.select().column("status").from("outbox").first(decodingColumn: "status", as: String.self)
                }
                if status != "sent" { try await Task.sleep(for: .milliseconds(50)) }
            } while status != "sent" && Date() < sentBy
            #expect(status == "sent")
        }
    }
}
