import Foundation
import SQLKit
import Testing
@testable import Quorum

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
            }
        }) { site in
            try await ChromeDriver.with { driver in
                try await driver.withSession { browser in
                    let pages = ["/articles/\(site.articleSlug)/comments", "/articles/\(site.articleSlug)/comments?sort=newest",
                                 "/articles/\(site.articleSlug)"]
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
                        let state = try await browser.execute("""
                            return {
                              xss: window.__xss === undefined ? null : String(window.__xss),
                              title: document.title,
                              scripts: document.querySelectorAll('script:not([type="application/ld+json"])').length,
                              injected: document.querySelectorAll('#thread img, #thread svg, #thread iframe, #thread details, #thread style, #thread script, #thread b, #thread a[href^="javascript"]').length,
                              handlers: Array.from(document.querySelectorAll('*')).filter(function (e) {
                                return Array.from(e.attributes).some(function (a) { return a.name.indexOf('on') === 0; });
                              }).length,
                              text: (document.getElementById('thread') || document.body).innerText,
                              authors: Array.from(document.querySelectorAll('.comment-author')).map(function (e) { return e.textContent; }),
                              labels: Array.from(document.querySelectorAll('#thread article')).map(function (e) { return e.getAttribute('aria-label'); })
                            };
                            """) as? [String: Any] ?? [:]
                        try await shots.save(browser, "page-\(n + 1)")
                        #expect(state["xss"] is NSNull, "a payload ran on \(page): window.__xss = \(String(describing: state["xss"]))")
                        #expect((state["title"] as? String)?.contains("XSS") == false, "title \(String(describing: state["title"]))")
                        #expect(state["scripts"] as? Int == 0, "script elements on \(page)")
                        #expect(state["handlers"] as? Int == 0, "elements with on… attributes on \(page)")
                        guard page.contains("/comments") else { continue }
                        #expect(try await browser.text("#thread .count") == "\(Self.payloads.count) comments")
                        #expect(state["injected"] as? Int == 0, "elements made from comment text on \(page)")
                        let text = state["text"] as? String ?? ""
                        for payload in Self.payloads {
                            #expect(text.contains(payload), "shown literally on \(page): \(payload)")
                        }
                        let authors = state["authors"] as? [String] ?? []
                        #expect(Set(authors) == Set(Self.names), "names shown literally: \(authors)")
                        let labels = state["labels"] as? [String] ?? []
                        #expect(Set(labels) == Set(Self.names.map { "Comment by \($0)" }), "names kept inside their attribute: \(labels)")
                    }
                }
            }
        }
    }
}
