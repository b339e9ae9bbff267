import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing
@testable import Accounts
@testable import Membership
@testable import Publishing
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import MembershipEngine
import Payments

/// Everything the application logs, at every level, while people sign in (code and link), change their email,
/// pay for a membership and editors use the API, holds none of the secrets those flows handle.
@Suite struct SecretsInLogsTests {
    @Test(arguments: TestDatabases.kinds)
    func noFlowLogsACodeLinkTokenSessionOrProviderSecret(kind: DatabaseKind) async throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .trace)
        let folder = NSTemporaryDirectory() + TestDatabases.uniqueName("mail")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The transport used when no SMTP server is configured, logging to the capture, behind the test's inbox.
        let mail = CapturedMail(forwardingTo: FolderMailTransport(folder: folder, from: "Site <noreply@example.com>", logger: logger))
        let recorder = CheckoutRecorder()
        let stripeKey = "sk_test_LogSecret4711", webhookSecret = "whsec_LogSecret4711"
        let stripe = StripeClient(configuration: StripeConfiguration(apiBase: "https://api.stripe.test", secretKey: stripeKey,
                                                                     webhookSecrets: [webhookSecret]), transport: recorder)
        let found = NIOLockedValueBox<[String: String]>(["stripe key": stripeKey, "webhook secret": webhookSecret])
        @Sendable func keep(_ name: String, _ value: String) { found.withLockedValue { $0[name] = value } }

        found.withLockedValue { $0["smtp password"] = "SmtpPass4711"; $0["perspective key"] = "PerspectiveKey4711" }
        let configure: (inout QuorumConfiguration) -> Void = {
            // Configured but unused (the test's inbox takes the mail; no comment is screened): printed, never shown.
            $0.smtp = .init(host: "127.0.0.1", port: 9, username: "mailer", password: "SmtpPass4711")
            $0.perspective = (apiKey: "PerspectiveKey4711", endpoint: "http://127.0.0.1:9/")
        }
        try await LiveServer.withBrowser(kind, logger: logger, adjust: configure, payments: [stripe], mail: mail) { browser, mail, test in
            keep("site key", try await SettingsStore(database: test.database).secretKey())

            // Sign-in by code, after a wrong one.
            try await browser.get(SiteURL.signIn(next: "/").path)
            let requested = try await browser.post(SiteURL.signIn().path, ["email": "private@example.com", "next": "/"])
            let location = try #require(requested.headers[.location])
            let request = try #require(Browser.firstMatch(#"request=([^&]+)"#, in: location))
            keep("sign-in request", request)
            let first = try await mail.latest(to: "private@example.com", kind: "signin")
            let code = try #require(first.signInCode)
            keep("code", code)
            keep("first link token", try #require(first.linkPath.flatMap { Browser.firstMatch(#"token=([^&]+)"#, in: $0) }))
            try await browser.get(location)
            let wrong = code == "000000" ? "111111" : "000000"
            #expect(try await browser.post(SiteURL.signInCode().path, ["request": request, "code": wrong]).status.code >= 400)
            #expect(try await browser.post(SiteURL.signInCode().path, ["request": request, "code": code]).status == .seeOther)
            keep("session", try #require(browser.cookie(SiteCookies.session)))
            try await browser.get(SiteURL.account.path)
            keep("csrf", try #require(browser.csrf))

            // Email change, confirmed by its link.
            #expect(try await browser.post(SiteURL.accountEmail.path, ["email": "private2@example.com"]).status.code < 400)
            let change = try await mail.latest(to: "private2@example.com", kind: "email-change")
            let changeToken = try #require(change.linkPath.flatMap { Browser.firstMatch(#"token=([^&]+)"#, in: $0) })
            keep("email-change token", changeToken)
            try await browser.get(try #require(change.linkPath))
            #expect(try await browser.post(SiteURL.accountEmailConfirm().path, ["token": changeToken]).status.code < 400)

            // Signed out, then in again by the emailed link (a forged link first).
            #expect(try await browser.post(SiteURL.signOut.path).status == .seeOther)
            let visitor = Browser(browser.client)
            try await visitor.get(SiteURL.signIn(next: "/").path)
            let before = mail.messages.filter { $0.to == "private2@example.com" && $0.kind == "signin" }.count
            #expect(try await visitor.post(SiteURL.signIn().path, ["email": "private2@example.com", "next": "/"]).status == .seeOther)
            let second = try await mail.latest(to: "private2@example.com", kind: "signin", after: before)
            let linkPath = try #require(second.linkPath)
            let linkToken = try #require(Browser.firstMatch(#"token=([^&]+)"#, in: linkPath))
            keep("link token", linkToken)
            keep("forged link token", "ForgedLinkToken4711xyz")
            try await visitor.get(SiteURL.signInLink(token: "ForgedLinkToken4711xyz").path)
            #expect(try await visitor.post(SiteURL.signInLink().path, ["token": "ForgedLinkToken4711xyz"]).status.code >= 400)
            try await visitor.get(linkPath)
            #expect(try await visitor.post(SiteURL.signInLink().path, ["token": linkToken]).status == .seeOther)
            keep("second session", try #require(visitor.cookie(SiteCookies.session)))

            // Membership: checkout through Stripe, a webhook signed right and one signed wrong.
            try await visitor.get(SiteURL.membership.path)
            keep("second csrf", try #require(visitor.csrf))
            #expect(try await visitor.post(SiteURL.membershipCheckout.path, ["interval": "month", "amount": "200"]).status == .seeOther)
            let sent = try #require(recorder.sent.withLockedValue { $0.first })
            let membershipID = try #require(Browser.firstMatch(#"client_reference_id=([^&]+)"#, in: String(decoding: sent.body, as: UTF8.self)))
            let event = MembershipWebhookTests.invoicePaid(eventID: "evt_logs", membership: membershipID, amount: 20000, now: Date())
            let t = Int64(Date().timeIntervalSince1970)
            let signature = StripeSignature.header(body: event, timestamp: t, secret: webhookSecret)
            let forged = StripeSignature.header(body: event, timestamp: t, secret: "whsec_forged")
            keep("signature", try #require(Browser.firstMatch(#"v1=([0-9a-f]+)"#, in: signature)))
            keep("forged signature", try #require(Browser.firstMatch(#"v1=([0-9a-f]+)"#, in: forged)))
            for header in [forged, signature] {
                _ = try await browser.client.execute(uri: SiteURL.providerWebhook("stripe").path, method: .post,
                                                     headers: [.contentType: "application/json", HTTPField.Name("Stripe-Signature")!: header],
                                                     body: .init(bytes: event))
            }
            #expect(try await test.database.read { db in try await UserRows.find(where: "email", equals: "private2@example.com", on: db) }?.roles.contains(.member) == true)

            // The admin API with a real token and a wrong one.
            let token = try await Fixtures.token(test.database, email: "editor@example.com")
            keep("api token", token)
            keep("wrong api token", "qrm_WrongToken4711")
            #expect(try await browser.client.send(SiteURL.apiAdminArticles.path, token: token).status == .ok)
            #expect(try await browser.client.send(SiteURL.apiAdminArticles.path, token: "qrm_WrongToken4711").status == .unauthorized)
        }

        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count >= 3, "the folder transport wrote the mail")
        let lines = capture.all
        #expect(lines.contains { $0.contains("email written to file") }, "the capture sees the application's logging")
        let secrets = found.withLockedValue { $0 }
        #expect(secrets.count == 19)
        for (name, secret) in secrets {
            let leaks = lines.filter { $0.contains(secret) }
            #expect(leaks.isEmpty, "the \(name) appeared in the log: \(leaks.prefix(3))")
        }
    }

    /// What the logs would print of a provider or a mail server holds none of their secrets.
    @Test func configurationsPrintWithoutTheirSecrets() {
        let payfast = PayFastClient(configuration: PayFastConfiguration(merchantID: "10000100", merchantKey: "MerchantKey4711", passphrase: "Passphrase4711"))
        let stripe = StripeClient(configuration: StripeConfiguration(secretKey: "sk_live_Key4711", webhookSecrets: ["whsec_Hook4711"]))
        let smtp = SMTPConfiguration(host: "mail.example.com", username: "mailer", password: "SmtpPass4711")
        for printed in [String(describing: payfast), String(reflecting: payfast), String(describing: stripe), String(reflecting: stripe),
                        String(describing: smtp), String(reflecting: [smtp])] {
            #expect(!["MerchantKey4711", "Passphrase4711", "sk_live_Key4711", "whsec_Hook4711", "SmtpPass4711"].contains { printed.contains($0) }, "\(printed)")
            #expect(printed.contains("redacted"), "\(printed)")
        }
    }
}
