import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Comments
@testable import Publishing
@testable import QuorumStore
@testable import QuorumWeb
import TestSupport

/// Signing in inside the embed's frame in headless Chromium with third-party cookies blocked
/// (`profile.cookie_controls_mode` = 1, "block third-party cookies"): the host page is `http://localhost:P`,
/// Quorum `http://127.0.0.1:Q`, so the frame is on another site. The frame's partitioned cookies (CHIPS) carry the
/// emailed-code sign-in there and across page loads, while an unpartitioned cookie is refused; and the sign-in
/// window on Quorum's own site signs a fresh frame in by its one-time ticket. Screenshots in `embed-signin/`.
@Suite(
    "Browser: signing in inside the embed with third-party cookies blocked", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver)")
)
struct BrowserEmbedSignInTests {
    static var blockThirdPartyCookies: [String: Any] { ["profile.cookie_controls_mode": 1, "profile.block_third_party_cookies": true] }

    /// The six-digit code last emailed to `email` after `before` messages.
    static func code(_ site: BrowserSite, email: String, after before: Int) async throws -> String {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let delivered = try site.sink.messages().filter { $0.rcpt_tos.contains(email) }
            if delivered.count > before, let text = delivered.last?.text {
                if let code = Browser.firstMatch(#"enter this code on the sign-in page: (\d{6})"#, in: text) { return code }
                throw WebDriverError(description: "no code in the sign-in email: \(text)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WebDriverError(description: "no sign-in email for \(email)")
    }

    /// On a sign-in page (in the frame or the window): the email, then the emailed code.
    static func signInByCode(_ b: WebDriverSession, _ site: BrowserSite, email: String, shots: Screenshots, step: String) async throws {
        let before = try site.sink.messages().filter { $0.rcpt_tos.contains(email) }.count
        try await b.wait(for: "the sign-in form (\(step))") { !(try await b.findAll("#email")).isEmpty }
        try await b.type(email, into: "#email")
        try await b.click("form[action$='/signin'] button[type=submit]")
        try await b.wait(for: "the code form (\(step))") { !(try await b.findAll("#code")).isEmpty }
        try await b.type(try await Self.code(site, email: email, after: before), into: "#code")
        try await b.click("form[action$='/signin/code'] button[type=submit]")
    }

    static func path(_ b: WebDriverSession) async throws -> String { try await b.execute("return location.pathname") as? String ?? "" }

    /// In the frame: whether the write form opens (only a signed-in reader gets it).
    static func canWrite(_ b: WebDriverSession, thread: String) async throws -> Bool {
        try await b.execute("location.href = arguments[0]", ["/embed" + thread + "/new"])
        try await b.wait(for: "the write page or the sign-in page") {
            let path = try await Self.path(b)
            if path.hasPrefix("/embed/signin") { return true }
            guard path.hasSuffix("/comments/new") else { return false }
            return !(try await b.findAll("#body")).isEmpty
        }
        return !(try await b.findAll("#body")).isEmpty
    }

    static func enterFrame(_ b: WebDriverSession, host: String) async throws {
        try await b.navigate(host + "/story.html")
        try await b.wait(for: "the frame's height") {
            try await b.execute("return document.getElementById('quorum-comments').getAttribute('data-quorum-height')") is String
        }
        try await b.switchToFrame(try await b.find("#quorum-comments iframe"))
    }

    @Test func theFrameSignsInByCodeAndByTheSignInWindowWithThirdPartyCookiesBlocked() async throws {
        let shots = try Screenshots("embed-signin")
        let hostPort = try QuorumProcess.freePort()
        let host = "http://localhost:\(hostPort)"
        try await BrowserSite.with(prepare: { f in
            try await f.site.settings.set(EmbedSettings.key, String(decoding: try JSONEncoder().encode(
                EmbedSettings(origins: [host], keepQuery: [])), as: UTF8.self))
            _ = try await EmbedService(comments: f.comments, pages: ExternalArticles()).thread(for: host + "/story.html", title: "Harbour notice board")
        }) { site in
            try await BrowserEmbedTests.withHostSite(port: hostPort, pages: ["story.html": BrowserEmbedTests.hostPage(quorum: site.url)]) {
                try await ChromeDriver.with { driver in
                    // 1. The emailed code inside the frame.
                    try await driver.withSession(prefs: Self.blockThirdPartyCookies) { a in
                        try await a.setWindowSize(width: 1280, height: 900)
                        try await Self.enterFrame(a, host: host)
                        let thread = String(try await Self.path(a).dropFirst("/embed".count))
                        #expect(thread.hasPrefix("/article/") && thread.hasSuffix("/comments"), "\(thread)")
                        // Third-party cookies are blocked here: an unpartitioned cookie is dropped, a partitioned one kept.
                        let jar = try await a.execute("""
                            document.cookie = "plain=1; path=/; SameSite=None; Secure";
                            document.cookie = "chips=1; path=/; SameSite=None; Secure; Partitioned";
                            return document.cookie;
                            """) as? String ?? ""
                        #expect(jar.contains("chips=1") && !jar.contains("plain=1"), "third-party cookies blocked, partitioned kept: \(jar)")
                        #expect(try await !Self.canWrite(a, thread: thread), "signed out at first")
                        #expect(try await Self.path(a).hasPrefix("/embed/signin"))
                        #expect(try await a.execute("return document.querySelector('[data-quorum-frame-signin]').getAttribute('data-quorum-cookies')") as? String == "kept")
                        #expect(try await a.execute("return document.querySelector('[data-quorum-storage-access]').hidden") as? Bool == true,
                                "the frame keeps its cookies: no storage access is asked for")
                        try await a.switchToParentFrame()
                        try await shots.save(a, "frame-signin-desktop")
                        try await a.setWindowSize(width: 390, height: 844)
                        try await shots.save(a, "frame-signin-phone")
                        try await a.setWindowSize(width: 1280, height: 900)
                        try await a.switchToFrame(try await a.find("#quorum-comments iframe"))
                        try await Self.signInByCode(a, site, email: "inframe@example.com", shots: shots, step: "frame")
                        try await a.wait(for: "back in the thread, signed in") {
                            let path = try await Self.path(a)
                            return path.hasPrefix("/embed/article/")
                        }
                        #expect(try await Self.canWrite(a, thread: thread), "the partitioned session signs the frame in")
                        // A new page load of the host: the frame's cookie is still there.
                        try await a.switchToParentFrame()
                        try await Self.enterFrame(a, host: host)
                        #expect(try await Self.canWrite(a, thread: thread), "still signed in after the host page is loaded again")
                        try await a.switchToParentFrame()
                        try await shots.save(a, "frame-signed-in")
                    }

                    // 2. The sign-in window on Quorum's own site, in a fresh browser (nothing signed in anywhere).
                    try await driver.withSession(prefs: Self.blockThirdPartyCookies) { b in
                        try await b.setWindowSize(width: 1280, height: 900)
                        try await Self.enterFrame(b, host: host)
                        let thread = String(try await Self.path(b).dropFirst("/embed".count))
                        #expect(try await !Self.canWrite(b, thread: thread))
                        let main = try await b.windowHandle()
                        try await b.click("a[data-quorum-popup]")
                        try await b.wait(for: "the sign-in window") { try await b.windowHandles().count == 2 }
                        let window = try #require(try await b.windowHandles().first { $0 != main })
                        try await b.switchTo(window)
                        try await b.wait(for: "the site's own sign-in page in the window") { try await Self.path(b) == "/signin" }
                        #expect(try await b.currentURL.hasPrefix(site.url + "/signin?next="), "a top-level page of Quorum's own site")
                        try await shots.save(b, "window-signin")
                        try await Self.signInByCode(b, site, email: "window@example.com", shots: shots, step: "window")
                        // The window hands the frame its ticket and closes itself.
                        try await b.wait(for: "the window to close", timeout: 30) { try await b.windowHandles().count == 1 }
                        try await b.switchTo(main)
                        try await b.switchToFrame(try await b.find("#quorum-comments iframe"))
                        try await b.wait(for: "the frame back in its thread") {
                            let path = try await Self.path(b)
                            return path.hasPrefix("/embed/article/")
                        }
                        #expect(try await Self.canWrite(b, thread: thread), "the ticket signed the frame in")
                        try await b.switchToParentFrame()
                        try await shots.save(b, "window-signed-in-frame")
                        #expect(try await b.currentURL == host + "/story.html", "the host page never left the story")
                    }
                }
            }
        }
    }
}

extension WebDriverSession {
    func windowHandle() async throws -> String {
        let value = try await driver.request(.GET, "/session/\(id)/window")
        return value as? String ?? ""
    }

}
