import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
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

@Suite("Mail delivery, admin pages, secrets in logs")
struct MailAndAdminTests {
    /// A transport that fails while `down` is set, like an SMTP server that is unreachable.
    final class FlakyTransport: MailTransport {
        struct Down: Error {}
        struct Rejected: PermanentMailFailure { var isPermanent: Bool { true } }
        let down = NIOLockedValueBox(true)
        let rejectAddress: String?
        let delivered = NIOLockedValueBox<[OutgoingMail]>([])
        init(rejectAddress: String? = nil) { self.rejectAddress = rejectAddress }
        func deliver(_ mail: OutgoingMail, id: Int64) async throws {
            if mail.to == rejectAddress { throw Rejected() }
            if down.withLockedValue({ $0 }) { throw Down() }
            delivered.withLockedValue { $0.append(mail) }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func mailWaitsWhileTheServerIsDownAndGoesWhenItReturns(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let transport = FlakyTransport(rejectAddress: "nobody@invalid.example")
            let clock = NIOLockedValueBox(Timestamp(milliseconds: 1_000_000))
            var delivery = MailDelivery(database: test.database, transport: transport, signal: MailSignal(), logger: TestDatabases.logger)
            delivery.now = { clock.withLockedValue { $0 } }
            try await test.database.transaction { db in
                try await Outbox.enqueue(OutgoingMail(kind: "notice", to: "reader@example.com", subject: "Hello", text: "Body"), on: db, now: clock.withLockedValue { $0 })
                try await Outbox.enqueue(OutgoingMail(kind: "notice", to: "nobody@invalid.example", subject: "Bounce", text: "Body"), on: db, now: clock.withLockedValue { $0 })
            }
            #expect(try await delivery.deliverDue() == 0)
            // Not retried before its backoff has passed.
            clock.withLockedValue { $0 = $0.adding(seconds: 10) }
            #expect(try await delivery.deliverDue() == 0)
            #expect(transport.delivered.withLockedValue { $0 }.isEmpty)
            let statuses = try await test.database.read { db in
                try await db.select().columns("to_address", "status", "attempts", "last_error").from("outbox").orderBy("id").all()
            }
            #expect(try statuses[0].decode(column: "status", as: String.self) == "pending")
            #expect(try statuses[0].decode(column: "attempts", as: Int.self) == 1)
            #expect(try statuses[1].decode(column: "status", as: String.self) == "failed", "a permanent rejection is not retried")

            transport.down.withLockedValue { $0 = false }
            clock.withLockedValue { $0 = $0.adding(seconds: MailDelivery.retryDelay(afterAttempt: 1)) }
            #expect(try await delivery.deliverDue() == 1)
            #expect(transport.delivered.withLockedValue { $0 }.map(\.subject) == ["Hello"])
            #expect(try await delivery.deliverDue() == 0, "sent mail is never sent twice")
        }
    }

    @Test func backoffGrowsAndIsCapped() {
        #expect(MailDelivery.retryDelay(afterAttempt: 1) == 30)
        #expect(MailDelivery.retryDelay(afterAttempt: 2) == 60)
        #expect(MailDelivery.retryDelay(afterAttempt: 3) == 120)
        #expect(MailDelivery.retryDelay(afterAttempt: 20) == 3600)
    }

    /// Two instances delivering from one outbox send each message once.
    @Test(arguments: TestDatabases.kinds)
    func concurrentDeliverersSendEachMessageOnce(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let transport = FlakyTransport()
            transport.down.withLockedValue { $0 = false }
            try await test.database.transaction { db in
                for i in 0..<30 {
                    try await Outbox.enqueue(OutgoingMail(kind: "notice", to: "r\(i)@example.com", subject: "n\(i)", text: "b"), on: db)
                }
            }
            let a = MailDelivery(database: test.database, transport: transport, signal: MailSignal(), logger: TestDatabases.logger)
            let b = MailDelivery(database: test.database, transport: transport, signal: MailSignal(), logger: TestDatabases.logger)
            async let sentA = a.deliverDue()
            async let sentB = b.deliverDue()
            let total = try await sentA + sentB
            #expect(total == 30)
            #expect(Set(transport.delivered.withLockedValue { $0 }.map(\.subject)).count == 30)
            #expect(transport.delivered.withLockedValue { $0 }.count == 30)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func signInSecretsNeverReachTheLog(kind: DatabaseKind) async throws {
        let capture = LogCapture()
        try await LiveServer.withBrowser(kind, logger: capture.logger()) { browser, mail, _ in
            try await LiveServer.signIn(browser, mail, email: "private@example.com")
            try await browser.get("/account")
            try await browser.post("/account/email", ["email": "private2@example.com"])
            let message = try await mail.latest(to: "private@example.com", kind: "signin")
            let change = try await mail.latest(to: "private2@example.com", kind: "email-change")
            let secrets = [
                message.signInCode, message.linkPath.flatMap { Browser.firstMatch(#"token=([^&]+)"#, in: $0) },
                change.linkPath.flatMap { Browser.firstMatch(#"token=([^&]+)"#, in: $0) },
                browser.cookie(SiteCookies.session), browser.csrf,
            ].compactMap { $0 }
            #expect(secrets.count == 5)
            let lines = capture.all
            #expect(!lines.isEmpty, "the capture must see the application's logging")
            for secret in secrets {
                #expect(!lines.contains { $0.contains(secret) }, "a secret appeared in a log line")
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func adminsManagePeopleAndEveryActionIsAudited(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { admin, mail, test in
            let users = UserStore(database: test.database)
            _ = try await users.create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
            let reader = try await users.create(email: "reader@example.com", displayName: "<script>alert(1)</script>", roles: [])
            try await LiveServer.signIn(admin, mail, email: "chief@example.com")

            let anonymous = Browser(admin.client)
            #expect(try await anonymous.get("/admin/users").headers[.location] == "/signin?next=/admin/users")
            let plain = Browser(admin.client)
            try await LiveServer.signIn(plain, mail, email: "reader@example.com")
            #expect(try await plain.get("/admin/users").status == .forbidden)

            let list = try await admin.get("/admin/users?q=reader")
            #expect(list.status == .ok)
            #expect(list.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!list.text.contains("<script>alert(1)"))

            try await admin.get("/admin/users/\(reader.id)")
            #expect(try await admin.post("/admin/users/\(reader.id)/roles", ["role": "moderator", "reason": "trusted"]).status == .seeOther)
            #expect(try await users.find(id: reader.id)?.roles == [.reader, .moderator])
            try await admin.get("/admin/users/\(reader.id)")
            #expect(try await admin.post("/admin/users/\(reader.id)/status", ["status": "suspended", "days": "7"]).status == .badRequest, "a reason is required")
            #expect(try await admin.post("/admin/users/\(reader.id)/status", ["status": "suspended", "days": "7", "reason": "insults"]).status == .seeOther)
            let suspended = try #require(try await users.find(id: reader.id))
            #expect(suspended.status.kind == .suspended)
            #expect(suspended.status.reason == "insults")
            let until = try #require(suspended.status.until)
            #expect(abs(until.milliseconds - Timestamp.now.adding(seconds: 7 * 86_400).milliseconds) < 60_000)
            #expect(try await admin.post("/admin/users/\(reader.id)/status", ["status": "banned", "reason": "threats"]).status == .seeOther)
            #expect(try await plain.get("/account").headers[.location] == "/signin?next=/account", "a ban ends the user's sessions")

            let audit = try await AuditLog.entries(subject: "user:\(reader.id)", in: test.database)
            #expect(audit.map(\.action) == ["user.banned", "user.suspended", "user.roles"])
            #expect(audit.allSatisfy { $0.actorName == "Chief" })
            #expect(audit[1].reason == "insults")
            let page = try await admin.get("/admin/audit")
            #expect(page.text.contains("user.banned"))
            #expect(page.text.contains("threats"))
        }
    }

    @Test func adminSettingsChangeSignUpMode() async throws {
        try await LiveServer.withBrowser(.sqlite) { admin, mail, test in
            _ = try await UserStore(database: test.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
            try await LiveServer.signIn(admin, mail, email: "chief@example.com")
            try await admin.get("/admin/settings")
            #expect(try await admin.post("/admin/settings", ["signup_mode": "nonsense"]).status == .badRequest)
            #expect(try await admin.post("/admin/settings", ["signup_mode": "invite", "password_signin": "on"]).status == .seeOther)
            #expect(try await SettingsStore(database: test.database).get("signup_mode") == "invite")
            try await admin.get("/admin/settings")
            #expect(try await admin.post("/admin/invitations", ["email": "Guest@Example.com"]).status == .seeOther)
            let page = try await admin.get("/admin/settings")
            #expect(page.text.contains("guest@example.com"))
            #expect(try await admin.get("/admin/mail").status == .ok)
        }
    }
}
