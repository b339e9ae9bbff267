import Foundation
import Payments
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumStore
@testable import QuorumWeb
import TestSupport

/// scripts/standins/stripe_standin.py on a free loopback port: Stripe's API, its hosted checkout and portal
/// pages, and webhooks signed by Stripe's own Python library.
final class StripeStandInProcess: @unchecked Sendable {
    let process = ChildProcess()
    let input = Pipe()
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    init(secretKey: String, webhookSecret: String) async throws {
        let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/standins")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["QUORUM_PYTHON"] ?? "python3", "-u",
                             scripts.appendingPathComponent("stripe_standin.py").path,
                             "--secret-key", secretKey, "--webhook-secret", webhookSecret]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = input  // the stand-in exits when this closes
        try process.run()
        let line = try await onOwnThread { StripeStandInProcess.firstLine(out.fileHandleForReading) }
        guard let port = String(decoding: line, as: UTF8.self).split(separator: "\n").first?.split(separator: " ").last.flatMap({ Int($0) }) else {
            process.terminate()
            throw WebDriverError(description: "the Stripe stand-in did not start: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    /// What the stand-in printed first (its port), read until the line ends or the pipe closes.
    static func firstLine(_ handle: FileHandle) -> Data {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        return line
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// POSTs JSON to a control endpoint.
    func control(_ path: String, _ body: [String: Any]) async throws -> String {
        let response = try await AsyncHTTPTransport().send(OutgoingRequest(
            method: "POST", url: base + path, headers: [("Content-Type", "application/json")],
            body: Array(try JSONSerialization.data(withJSONObject: body))))
        return String(decoding: response.body, as: UTF8.self)
    }
}

extension WebDriverSession {
    /// Sets the window to a phone's or a desktop's size.
    func resize(width: Int, height: Int) async throws {
        _ = try await driver.request(.POST, "/session/\(id)/window/rect", ["width": width, "height": height])
    }

    /// Screenshots at 390×844 and 1280×900, then back to the desktop size.
    func shootBothSizes(_ shots: Screenshots, _ step: String, scrollTo selector: String? = nil) async throws {
        for (w, h, name) in [(390, 844, "phone"), (1280, 900, "desktop")] {
            try await resize(width: w, height: h)
            if let selector { _ = try await execute("document.querySelector(arguments[0]).scrollIntoView()", [selector]) }
            try await shots.save(self, "\(step)-\(name)")
        }
    }
}

@Suite(
    "Browser: becoming a member", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver); scripts/test installs them and sets QUORUM_REQUIRE_BROWSER=1")
)
struct BrowserMembershipTests {
    /// R200 monthly through the stand-in's checkout, back a member (role, account page, members-only comments);
    /// then a renewal fails: on hold, the email in the SMTP server, the payment fixed in the portal, active.
    @Test func aReaderBecomesAMemberGoesOnHoldAndFixesThePayment() async throws {
        let shots = try Screenshots("membership")
        let stripe = try await StripeStandInProcess(secretKey: "sk_test_browser", webhookSecret: "whsec_browser")
        defer { stripe.stop() }
        try await BrowserSite.with(environment: [
            "QUORUM_STRIPE_SECRET_KEY": "sk_test_browser", "QUORUM_STRIPE_WEBHOOK_SECRETS": "whsec_browser",
            "QUORUM_STRIPE_API_BASE": stripe.base,
        ], prepare: { f in
            try await f.site.settings.set("comments_who", "members")
        }) { site in
            let email = "nomsa@example.com"
            try await ChromeDriver.with { driver in
                try await driver.withSession { e in
                    // Signed out, the offer asks the reader to sign in before paying.
                    try await e.navigate(site.url + "/membership")
                    try await e.waitForPath("^/membership$")
                    #expect(try await e.bodyText.contains("Sign in to pay"))
                    #expect((try await e.findAll("nav.sections a")).count >= 2, "the masthead's sections and search")
                    try await e.shootBothSizes(shots, "1-offer-signed-out")

                    // Signed in on the offer itself, with the emailed code typed there.
                    try await e.type(email, into: "#signin-email")
                    try await e.click("#membership-signin button[type=submit]")
                    try await e.wait(for: "the code box on the offer") { (try? await e.find("#signin-code")) != nil }
                    var code: String?
                    try await e.wait(for: "the sign-in email") {
                        code = try site.sink.messages().last { $0.rcpt_tos.contains(email) }?.text
                            .flatMap { Browser.firstMatch(#"enter this code on the sign-in page: (\d{6})"#, in: $0) }
                        return code != nil
                    }
                    try await e.type(try #require(code), into: "#signin-code")
                    try await e.shootBothSizes(shots, "1b-code-on-offer", scrollTo: "#signin")
                    try await e.click("#membership-code button[type=submit]")
                    try await e.wait(for: "signed in, back on the offer") {
                        let url = try await e.currentURL
                        let body = try await e.bodyText
                        return url.contains("/membership") && !body.contains("Sign in to pay")
                    }
                    // Not a member yet: members-only commenting is refused.
                    try await e.navigate(site.url + "/article/\(site.articleSlug)/comments/new")
                    try await e.wait(for: "the refusal") { try await e.bodyText.contains("Commenting on this site is for members.") }

                    // R200 a month, through the stand-in's checkout.
                    try await e.navigate(site.url + "/membership")
                    try await e.waitForPath("^/membership$")
                    try await e.shootBothSizes(shots, "2-offer")
                    try await e.click("button[name=choice][value='200']")
                    try await e.waitForPath("^/c/pay/cs_test_")
                    #expect(try await e.bodyText.contains("200.00 ZAR a month"))
                    try await shots.save(e, "3-standin-checkout")
                    try await e.click("#standin-pay")
                    try await e.waitForPath("^/membership/welcome")
                    try await e.wait(for: "the webhook to land", timeout: 30) { try await e.bodyText.contains("Welcome, member") }
                    try await e.shootBothSizes(shots, "4-welcome")

                    // A member: the role, the account section, a receipt.
                    try await e.navigate(site.url + "/account")
                    try await e.waitForPath("^/account")
                    let account = try await e.bodyText
                    #expect(Browser.firstMatch(#"roles: ([a-z, ]+)"#, in: account)?.contains("member") == true)
                    #expect(try await e.text("#membership .status") == "Active")
                    #expect(account.contains("R200 a month") && account.contains("R200.00"))
                    try await e.shootBothSizes(shots, "5-account", scrollTo: "#membership")

                    // Members may comment on a members-only site.
                    try await e.navigate(site.url + "/article/\(site.articleSlug)/comments/new")
                    try await e.wait(for: "the comment form") { (try? await e.find("textarea[name=body]")) != nil }
                    try await e.type("Proud to be a member of this newsroom.", into: "textarea[name=body]")
                    try await e.click("form button[type=submit]")
                    try await e.waitForPath("^/comments/[0-9]+/(review|rate)")

                    // The next renewal fails: on hold, and the email reaches the SMTP server.
                    let before = try site.sink.messages().filter { $0.rcpt_tos.contains(email) }.count
                    #expect(try await stripe.control("/_standin/renewal-fails", [:]).contains("applied"))
                    var onHoldMail: SMTPSink.Message?
                    let deadline = Date().addingTimeInterval(30)
                    while onHoldMail == nil, Date() < deadline {
                        onHoldMail = try site.sink.messages().dropFirst(before).first {
                            $0.rcpt_tos.contains(email) && $0.subject == "Your membership payment did not go through"
                        }
                        if onHoldMail == nil { try await Task.sleep(for: .milliseconds(200)) }
                    }
                    if onHoldMail == nil {
                        Issue.record("no on-hold email; the SMTP server has: \(try site.sink.messages().map { $0.subject ?? "-" }); log: \((try? String(contentsOfFile: site.log, encoding: .utf8))?.suffix(3000) ?? "")")
                    }
                    let text = try #require(onHoldMail?.text)
                    let fixLink = try #require(Browser.firstMatch(#"(http://[^\s]+/membership/fix\?m=[A-Za-z0-9_-]+)"#, in: text))
                    try await e.navigate(site.url + "/account")
                    try await e.wait(for: "on hold") { try await e.text("#membership .status") == "On hold" }
                    #expect(try await e.bodyText.contains("Fix your payment"))
                    try await e.shootBothSizes(shots, "6-account-on-hold", scrollTo: "#membership")

                    // The emailed link opens the stand-in's customer portal; updating the card pays the renewal.
                    try await e.navigate(fixLink)
                    try await e.waitForPath("^/p/session/cus_")
                    try await shots.save(e, "7-standin-portal")
                    try await e.click("#standin-pay")
                    try await e.waitForPath("^/account")
                    try await e.wait(for: "active again", timeout: 30) {
                        try await e.navigate(site.url + "/account")
                        return try await e.text("#membership .status") == "Active"
                    }
                    #expect(Browser.firstMatch(#"roles: ([a-z, ]+)"#, in: try await e.bodyText)?.contains("member") == true)
                    try await e.shootBothSizes(shots, "8-account-recovered", scrollTo: "#membership")
                    try await e.wait(for: "the thank-you email", timeout: 30) {
                        try site.sink.messages().contains { $0.rcpt_tos.contains(email) && $0.subject == "Your membership is active again" }
                    }
                }
            }
        }
    }
}
