import Foundation
import Testing
@testable import QuorumApp

/// The demo newsroom, served by the built binary, crawled in Chromium signed out and signed in as the demo
/// admin: every internal page the crawl reaches loads under the site's Content-Security-Policy with nothing in
/// the console (no CSP violation, no failed load such as a missing favicon).
@Suite(.serialized) struct BrowserCSPTests {
    @Test func theDemoCrawledInChromiumShowsNoConsoleError() async throws {
        try BrowserTools.check()
        let folder = NSTemporaryDirectory() + "quorum-csp-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let port = try QuorumProcess.freePort()
        let url = "http://127.0.0.1:\(port)"
        let log = folder + "/serve.log"
        let server = try QuorumProcess.start(["demo", "--folder", folder], environment: [
            "QUORUM_LISTEN": "127.0.0.1:\(port)", "QUORUM_SITE_URL": url,
            "QUORUM_SMTP_HOST": "127.0.0.1", "QUORUM_SMTP_PORT": String(sink.port), "QUORUM_SMTP_SECURITY": "none",
            "QUORUM_LOG_LEVEL": "warning",
        ], log: log)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        try await QuorumProcess.waitUntilServing(url + "/healthz", timeout: 120)
        let site = BrowserSite(url: url, sink: sink, articleSlug: "", log: log)

        try await ChromeDriver.with { driver in
            let reader = try await driver.newSession()
            defer { Task { await reader.close() } }
            // The console is really read: a script written into the page is refused, and the refusal is seen.
            try await reader.navigate(url + "/")
            try await reader.execute("var s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.appendChild(s)")
            #expect(try await reader.execute("return window.ran === undefined") as? Bool == true, "the policy stops inline script")
            let refused = try await reader.browserLog()
            #expect(refused.contains { $0.message.contains("Content Security Policy") }, "\(refused)")
            let anonymous = try await Self.crawl(reader, from: url, limit: 90)
            #expect(anonymous.pages > 20, "the crawl reached \(anonymous.pages) pages")
            #expect(anonymous.problems.isEmpty, "signed out: \(anonymous.problems.prefix(10))")

            let admin = try await driver.newSession()
            defer { Task { await admin.close() } }
            try await site.signIn(admin, email: DemoContent.adminEmail, next: "/admin/articles")
            _ = try await admin.browserLog()
            let signedIn = try await Self.crawl(admin, from: url, start: ["/admin/articles", "/admin/users", "/admin/settings",
                                                                          "/admin/mail", "/admin/audit", "/admin/comments",
                                                                          "/moderation", "/account", "/membership", "/review", "/"], limit: 90)
            #expect(signedIn.pages > 20, "the crawl reached \(signedIn.pages) pages")
            #expect(signedIn.problems.isEmpty, "signed in as admin: \(signedIn.problems.prefix(10))")
            print("CSP crawl: \(anonymous.pages) pages signed out, \(signedIn.pages) signed in as admin, no console entry")
        }
    }

    /// Visits same-site pages breadth first (links read from each page), reading the console after each.
    static func crawl(_ browser: WebDriverSession, from base: String, start: [String] = ["/"], limit: Int)
        async throws -> (pages: Int, problems: [String])
    {
        var queue = start, seen = Set(start), problems: [String] = [], pages = 0
        while !queue.isEmpty, pages < limit {
            let path = queue.removeFirst()
            try await browser.navigate(base + path)
            try await browser.wait(for: "\(path) loaded") { try await browser.execute("return document.readyState") as? String == "complete" }
            // Scripts run after load (the comment thread's live updates connect): give them a moment to misbehave.
            try await Task.sleep(for: .milliseconds(150))
            pages += 1
            for entry in try await browser.browserLog() where entry.level != "DEBUG" && entry.level != "INFO" {
                problems.append("\(path): \(entry.level) \(entry.message)")
            }
            let links = try await browser.execute("""
                return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)
                """) as? [String] ?? []
            for link in links {
                guard link.hasPrefix(base), let components = URLComponents(string: link) else { continue }
                let next = components.path + (components.query.map { "?" + $0 } ?? "")
                // Feeds and sitemaps are XML for readers' apps; images and assets are checked as pages load them.
                if next.hasSuffix(".xml") || next.hasPrefix("/images/") || next.hasPrefix("/assets/") || next.hasPrefix("/api/")
                    || next == "/metrics" || next == "/healthz" { continue }
                if seen.insert(next).inserted { queue.append(next) }
            }
        }
        return (pages, problems)
    }
}
