import Foundation
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

/// Comments and display names full of script-injection attempts, rendered by the real server in Chromium:
/// nothing runs, and the text is shown as the reader typed it.
@Suite(
    "Browser: comments and names are shown as text in headless Chromium", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver); scripts/test installs them and sets QUORUM_REQUIRE_BROWSER=1")
)
struct BrowserXSSTests {
    /// Each one, if it ran, would set `window.__xss` and the page title.
    static let payloads = [
        "<script>window.__xss=1;document.title='XSS'</script>",
        "<img src=x onerror=\"window.__xss=2;document.title='XSS'\">",
        "<svg onload=\"window.__xss=3;document.title='XSS'\"></svg>",
        "<a href=\"javascript:window.__xss=4\">read more</a> javascript:window.__xss=4",
        "\"><script>window.__xss=5</script><p title=\"",
        "' onmouseover='window.__xss=6' autofocus onfocus='window.__xss=6' x='",
        "<iframe src=\"javascript:parent.__xss=7\"></iframe>",
        "<details open ontoggle=\"window.__xss=8\"><summary>x</summary></details>",
        "</textarea></blockquote></li><script>window.__xss=9</script>",
        "<body onload=window.__xss=10><style>body{display:none}</style>",
        "[click](javascript:window.__xss=11) **bold** <b>not bold</b> &lt;script&gt;",
        "{{site.name}} {{{bodyHTML}}} ${window.__xss=12}",
    ]

    static let names = [
        "\"><img src=x onerror=window.__xss=101>",
        "<script>window.__xss=102</script>",
        "' onmouseover='window.__xss=103",
    ]

    /// Waits for review, then is published while the thread page is open: the page's script inserts it live.
    static let livePayload = "<img src=x onerror=\"window.__xss='live'\"> Live <b>update</b> <script>window.__xss='live'</script>"

    /// What the page did with the payloads: `window.__xss`, the title, scripts, handlers, elements inside `scope`.
    static let inspect = """
        var scope = document.querySelector(arguments[0]) || document.body;
        return {
          xss: window.__xss === undefined ? null : String(window.__xss),
          title: document.title,
          scripts: document.querySelectorAll('script:not([type="application/ld+json"]):not([src^="/assets/"])').length,
          injected: scope.querySelectorAll('img, svg, iframe, details, style, script, b, a[href^="javascript"]').length,
          handlers: Array.from(document.querySelectorAll('*')).filter(function (e) {
            return Array.from(e.attributes).some(function (a) { return a.name.indexOf('on') === 0; });
          }).length,
          text: scope.innerText,
          authors: Array.from(document.querySelectorAll('.comment-author')).map(function (e) { return e.textContent; }),
          labels: Array.from(scope.querySelectorAll('article')).map(function (e) { return e.getAttribute('aria-label'); })
        };
        """

    /// Checks that nothing in `state` (from ``inspect``) ran or became markup.
    static func expectInert(_ state: [String: Any], on page: String) {
        #expect(state["xss"] is NSNull, "a payload ran on \(page): window.__xss = \(String(describing: state["xss"]))")
        #expect((state["title"] as? String)?.contains("XSS") == false, "title \(String(describing: state["title"]))")
        #expect(state["scripts"] as? Int == 0, "script elements other than the site's own on \(page)")
        #expect(state["handlers"] as? Int == 0, "elements with on… attributes on \(page)")
        #expect(state["injected"] as? Int == 0, "elements made from comment text on \(page)")
    }

    @Test func payloadsOnTheThreadPageExecuteNothing() async throws {
        let shots = try Screenshots("xss")
        try await BrowserSite.with(prepare: { f in
            var created: [User] = []
            for (i, name) in Self.names.enumerated() {
                created.append(try await f.site.users.create(email: "xss\(i)@example.com", displayName: name, roles: []))
            }
            let authors = created
            let now = Timestamp.now.milliseconds
            try await f.test.database.transaction { db in
                for (i, payload) in Self.payloads.enumerated() {
                    let at = now - Int64((Self.payloads.count - i) * 60_000)
                    try await db.insert(into: "comments")
                        .columns("article_id", "author_id", "body", "status", "self_rating", "created_at", "submitted_at", "decided_at",
                                 "published_at", "decided_by", "decision")
                        .values(SQLBind(f.article.id), SQLBind(authors[i % authors.count].id), SQLBind(payload), SQLBind("published"),
                                SQLBind("civil"), SQLBind(at), SQLBind(at), SQLBind(at), SQLBind(at), SQLBind("moderator"),
                                SQLBind("Seeded by the browser test."))
                        .run()
                }
                let at = now - 30_000
                try await db.insert(into: "comments")
                    .columns("article_id", "author_id", "body", "status", "self_rating", "created_at", "submitted_at")
                    .values(SQLBind(f.article.id), SQLBind(authors[0].id), SQLBind(Self.livePayload), SQLBind("pending"),
                            SQLBind("civil"), SQLBind(at), SQLBind(at))
                    .run()
            }
            for name in ["rita", "sam", "tess"] { _ = try await f.provenReviewer(name) }
        }) { site in
            try await ChromeDriver.with { driver in
                try await driver.withSession { browser in
                    let pages = ["/article/\(site.articleSlug)/comments", "/article/\(site.articleSlug)/comments?sort=newest",
                                 "/article/\(site.articleSlug)"]
                    for (n, page) in pages.enumerated() {
                        try await browser.navigate(site.url + page)
                        try await browser.wait(for: "\(page) to load") {
                            try await browser.execute("return document.readyState") as? String == "complete"
                        }
                        // Give onerror/onload handlers (if any had been created) time to fire; focus and hover everything.
                        try await browser.execute("""
                            document.querySelectorAll('#thread *').forEach(function (e) {
                              ['mouseover', 'focus', 'click'].forEach(function (t) { if (t !== 'click' || e.tagName !== 'A') e.dispatchEvent(new Event(t)); });
                            });
                            """)
                        try await Task.sleep(for: .seconds(1))
                        // The article page carries the same thread as the comments page (its hero photo is the site's own).
                        let state = try await browser.execute(Self.inspect, ["#thread"]) as? [String: Any] ?? [:]
                        try await shots.save(browser, "page-\(n + 1)")
                        Self.expectInert(state, on: page)
                        #expect(try await browser.text("#thread .count") == "\(Self.payloads.count) comments")
                        let text = state["text"] as? String ?? ""
                        for payload in Self.payloads {
                            #expect(text.contains(payload), "shown literally on \(page): \(payload)")
                        }
                        let authors = state["authors"] as? [String] ?? []
                        #expect(Set(authors) == Set(Self.names), "names shown literally: \(authors)")
                        let labels = state["labels"] as? [String] ?? []
                        #expect(Set(labels) == Set(Self.names.map { "Comment by \($0)" }), "names kept inside their attribute: \(labels)")
                    }

                    // The thread page stays open; proven reviewers review the pending payload until peers publish it,
                    // and the page's script brings it in live.
                    try await browser.navigate(site.url + "/article/\(site.articleSlug)/comments")
                    try await browser.waitForPath("/comments$")
                    var published = false
                    for name in ["rita", "sam", "tess"] where !published {
                        try await driver.withSession { reviewer in
                            try await site.signIn(reviewer, email: "\(name)@example.com", next: "/review")
                            let state = try await reviewer.execute(Self.inspect, ["blockquote.under-review"]) as? [String: Any] ?? [:]
                            Self.expectInert(state, on: "/review")
                            #expect(try await reviewer.text("#review-heading") == "Review a comment")
                            #expect((state["text"] as? String)?.contains(Self.livePayload) == true, "shown literally for review: \(state["text"] ?? "")")
                            try await shots.save(reviewer, "review-\(name)")
                            try await reviewer.click("input[name=quality][value=good]")
                            try await reviewer.click("input[name=civil][value=civil]")
                            try await reviewer.click("form.stack button[type=submit]")
                            try await reviewer.wait(for: "the next review page") { try await reviewer.bodyText.contains("Nothing to review") }
                        }
                        published = (try? await browser.wait(for: "the live update", timeout: 10) {
                            try await browser.text("#thread").contains("Live <b>update</b>")
                        }) != nil
                    }
                    #expect(published, "the payload comment was published and appeared on the open page")
                    try await Task.sleep(for: .seconds(1))
                    let state = try await browser.execute(Self.inspect, ["#thread"]) as? [String: Any] ?? [:]
                    Self.expectInert(state, on: "the live-updated thread")
                    #expect((state["text"] as? String)?.contains(Self.livePayload) == true)
                    #expect(try await browser.text("#thread .count") == "\(Self.payloads.count + 1) comments")
                    try await browser.execute("document.querySelector('#thread .comment-list').lastElementChild.scrollIntoView()")
                    try await shots.save(browser, "live-update")
                }
            }
        }
    }
}
