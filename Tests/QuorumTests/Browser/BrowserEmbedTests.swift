import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ReviewEngine
import Testing
@testable import Comments
@testable import Publishing
@testable import QuorumStore
@testable import QuorumWeb
import TestSupport

/// The embed in headless Chromium: a host page on another loopback site (`http://localhost:PORT`, while Quorum
/// is `http://127.0.0.1:PORT`: another site, so the frame is third-party) includes `embed.js`; the thread shows
/// in the frame and the frame fits its content; the host signs its reader in (SSO, a PyJWT token) and they go
/// write → review three → rate there; a host that is not allowed gets nothing. Screenshots at 1280×900 and
/// 390×844 in `embed/`.
@Suite(
    "Browser: the embed on another site", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver)")
)
struct BrowserEmbedTests {
    static let commentText = "The ferry timetable should be on the harbour notice board too."

    /// A static host site on loopback (python's http.server over a folder), stopped by `body`'s end.
    static func withHostSite<R>(port: Int, pages: [String: String], _ body: () async throws -> R) async throws -> R {
        let folder = NSTemporaryDirectory() + TestDatabases.uniqueName("host-site")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, html) in pages { try html.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        let server = ChildProcess()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", folder]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        func stop() async {
            server.terminate()
            let deadline = Date().addingTimeInterval(5)
            while server.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        do {
            try await QuorumProcess.waitUntilServing("http://127.0.0.1:\(port)/" + pages.keys.sorted()[0], timeout: 20)
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    static func hostPage(quorum: String, url: String? = nil, sso: String? = nil) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Harbour notice board</title></head><body>
        <h1>The harbour notice board</h1><p>A story on a site with its own CMS.</p>
        <div id="quorum-comments"></div>
        <script src="\(quorum)/embed.js" \(url.map { "data-url=\"\($0)\" " } ?? "")\(sso.map { "data-sso=\"\($0)\" " } ?? "")data-title="Harbour notice board" async></script>
        </body></html>
        """
    }

    @Test func aHostPageShowsTheThreadAndAReaderGoesThroughTheFlowInsideTheFrame() async throws {
        let shots = try Screenshots("embed")
        let hostPort = try QuorumProcess.freePort()
        let host = "http://localhost:\(hostPort)"
        try await BrowserSite.with(prepare: { f in
            try await f.site.settings.set(EmbedSettings.key, String(decoding: try JSONEncoder().encode(
                EmbedSettings(origins: [host], keepQuery: [], sso: SingleSignOnTests.hs)), as: UTF8.self))
            // Three comments by other readers wait for review (on the site's own article: tasks come from any thread).
            for (i, name) in ["xavier", "yasmin", "zola"].enumerated() {
                _ = try await f.submitted(["Ferries should run later on weekends.", "Parking near the quay is already scarce.",
                                           "I would like to see the cost per resident."][i], by: try await f.reader(name))
            }
            // The host page's thread already has comments, so the frame has something to fit.
            let embed = EmbedService(comments: f.comments, pages: ExternalArticles())
            let (_, article) = try await embed.thread(for: host + "/story.html", title: "Harbour notice board")
            let writer = try await f.reader("walter")
            for text in ["First!", "The notice board is a good idea.", "Please add the winter timetable."] {
                let draft = try await f.comments.write(articleID: article.id, author: writer, body: text)
                try await f.test.database.transaction { db in
                    try await db.update("comments").set("status", to: "published").set("published_at", to: Timestamp.now.milliseconds)
                        .where("id", .equal, draft.id).run()
                }
            }
        }) { site in
            // The host signs its reader in: a token PyJWT made with the site's secret.
            let token = try #require(try await SingleSignOnTests.signed()["hs256"])
            let pages = [
                "story.html": Self.hostPage(quorum: site.url),
                "signed-in.html": Self.hostPage(quorum: site.url, url: host + "/story.html", sso: token),
                // Framing an allowed page's thread from a site that is not allowed.
                "borrowed.html": Self.hostPage(quorum: site.url, url: host + "/story.html"),
            ]
            try await Self.withHostSite(port: hostPort, pages: pages) {
                try await ChromeDriver.with { driver in
                    try await driver.withSession { a in
                        try await a.setWindowSize(width: 1280, height: 900)
                        try await a.navigate(host + "/story.html")
                        do {
                            try await a.wait(for: "the frame's height") {
                                try await a.execute("return document.getElementById('quorum-comments').getAttribute('data-quorum-height')") is String
                            }
                        } catch {
                            try? await shots.save(a, "no-height")
                            print("Browser log: \(try await a.browserLog())")
                            print("Holder: \(try await a.execute("return document.getElementById('quorum-comments').outerHTML"))")
                            let src = try await a.execute("var f = document.querySelector('#quorum-comments iframe'); return f ? f.src : ''") as? String ?? ""
                            if !src.isEmpty, let (data, response) = try? await URLSession.shared.data(from: URL(string: src)!) {
                                print("Frame: \((response as? HTTPURLResponse)?.statusCode ?? 0) \((response as? HTTPURLResponse)?.allHeaderFields ?? [:]) \(String(decoding: data.prefix(600), as: UTF8.self))")
                            }
                            throw error
                        }
                        let frame = try await a.find("#quorum-comments iframe")
                        try await a.switchToFrame(frame)
                        #expect(try await a.bodyText.contains("Please add the winter timetable."))
                        #expect(try await a.findAll(".masthead").isEmpty, "no masthead in the frame")
                        let content = try await a.execute("return Math.ceil(document.documentElement.getBoundingClientRect().height)") as? Int ?? -1
                        try await a.switchToParentFrame()
                        try await a.wait(for: "the frame to fit its content (\(content)px)") {
                            let height = try await a.execute("return document.querySelector('#quorum-comments iframe').getBoundingClientRect().height") as? Double ?? 0
                            return abs(height - Double(content)) <= 2
                        }
                        try await shots.save(a, "host-desktop")
                        try await a.setWindowSize(width: 390, height: 844)
                        try await a.switchToFrame(try await a.find("#quorum-comments iframe"))
                        let narrow = try await a.execute("return Math.ceil(document.documentElement.getBoundingClientRect().height)") as? Int ?? -1
                        try await a.switchToParentFrame()
                        try await a.wait(for: "the frame to fit its content on a phone (\(narrow)px)") {
                            let height = try await a.execute("return document.querySelector('#quorum-comments iframe').getBoundingClientRect().height") as? Double ?? 0
                            return abs(height - Double(narrow)) <= 2
                        }
                        try await shots.save(a, "host-phone")
                        try await a.setWindowSize(width: 1280, height: 900)

                        // The host's signed-in reader (SSO), then write → review three → rate inside the frame.
                        try await a.navigate(host + "/signed-in.html")
                        try await a.wait(for: "the signed-in frame's height") {
                            try await a.execute("return document.getElementById('quorum-comments').getAttribute('data-quorum-height')") is String
                        }
                        try await a.switchToFrame(try await a.find("#quorum-comments iframe"))
                        let write = try await a.execute("return document.querySelector('a[data-action=write]').getAttribute('href')") as? String ?? ""
                        #expect(write.hasPrefix("/embed/article/") && write.hasSuffix("/comments/new"))
                        try await a.execute("location.href = arguments[0]", [write])
                        try await a.wait(for: "the write form in the frame, signed in by the host") { !(try await a.findAll("#body")).isEmpty }
                        #expect(try await a.execute("return location.pathname") as? String == write)
                        try await a.type(Self.commentText, into: "#body")
                        try await a.click("form[action$='/comments'] button[type=submit]")
                        for position in 1...3 {
                            try await a.wait(for: "review \(position) in the frame") {
                                (try? await a.text("#review-heading")) == "Review comment \(position) of 3"
                            }
                            if position == 1 { try await a.switchToParentFrame(); try await shots.save(a, "host-review"); try await a.switchToFrame(try await a.find("#quorum-comments iframe")) }
                            try await a.click("input[name=quality][value=good]")
                            try await a.click("input[name=civil][value=civil]")
                            try await a.click("form.stack button[type=submit]")
                        }
                        try await a.wait(for: "the rate step in the frame") { (try? await a.text("#rate-heading")) == "Rate your own comment" }
                        try await a.click("input[name=civil][value=civil]")
                        try await a.click("form[action$='/rate'] button[type=submit]")
                        try await a.wait(for: "waiting for review, in the frame") { (try? await a.text("#status-heading")) == "Waiting for review" }
                        let statusPath = try await a.execute("return location.pathname") as? String ?? ""
                        #expect(statusPath.wholeMatch(of: #/\/embed\/comments\/\d+/#) != nil, "\(statusPath)")
                        try await a.switchToParentFrame()
                        try await shots.save(a, "host-waiting")
                        // The host page itself never left the story.
                        #expect(try await a.currentURL == host + "/signed-in.html")
                    }

                    // Hosts that are not allowed get nothing: the same page at another origin (127.0.0.1: its own
                    // address is on no allowed site), and a page there framing the allowed page's thread.
                    for page in ["story.html", "borrowed.html"] {
                        try await driver.withSession { b in
                            try await b.navigate("http://127.0.0.1:\(hostPort)/" + page)
                            try await Task.sleep(for: .seconds(3))
                            #expect(try await b.execute("return document.getElementById('quorum-comments').getAttribute('data-quorum-height')") is NSNull,
                                    "\(page): no height from a frame that must not show")
                            let log = try await b.browserLog().map(\.message).joined(separator: "\n")
                            #expect(log.contains("403") || log.contains("frame-ancestors") || log.contains("X-Frame-Options"), "\(page): \(log)")
                            try await shots.save(b, "not-allowed-" + page.replacingOccurrences(of: ".html", with: ""))
                        }
                    }
                }
            }
        }
    }
}

extension WebDriverSession {
    /// Commands go to the frame `element` (an iframe) until ``switchToParentFrame()``.
    func switchToFrame(_ element: Element) async throws {
        _ = try await driver.request(.POST, "/session/\(id)/frame", ["id": [Self.elementKey: element.id]])
    }

    func switchToParentFrame() async throws {
        _ = try await driver.request(.POST, "/session/\(id)/frame/parent", [:])
    }

    func setWindowSize(width: Int, height: Int) async throws {
        _ = try await driver.request(.POST, "/session/\(id)/window/rect", ["width": width, "height": height])
    }
}
