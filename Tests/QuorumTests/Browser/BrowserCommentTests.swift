import Foundation
import ReviewEngine
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

/// The reader comment flow in a real browser: headless Chromium driven over WebDriver against the built
/// `quorum` binary, with sign-in codes read from a real SMTP server. Screenshots of every step go to
/// `.build/browser-screenshots/` (or `QUORUM_BROWSER_SCREENSHOTS`).
@Suite(
    "Browser: the comment flow in headless Chromium", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver); scripts/test installs them and sets QUORUM_REQUIRE_BROWSER=1")
)
struct BrowserCommentTests {
    static let commentText = "The harbour plan deserves a public vote before the council spends more money on it."

    /// Reader A signs in with the emailed code, writes, reviews three, rates their own and waits; B, C and D
    /// (proven reviewers) each find it civil; then a signed-out reader sees it.
    @Test func readerWritesReviewsThreeAndPeersPublish() async throws {
        let shots = try Screenshots("comment-flow")
        let started = Date()
        try await BrowserSite.with(prepare: { f in
            // Three decisions' worth of proven reviewers: the engine publishes on the third civil review.
            var settings = ReviewEngine.Settings()
            settings.minimumReviews = 3
            try await f.comments.saveEngineSettings(settings)
            // Three comments by other readers wait for review, so A reviews three.
            for (i, name) in ["xavier", "yasmin", "zola"].enumerated() {
                let other = try await f.reader(name)
                _ = try await f.submitted(["Ferries should run later on weekends.", "Parking near the quay is already scarce.",
                                           "I would like to see the cost per resident."][i], by: other)
            }
            _ = try await f.reader("alice")
            for name in ["bongani", "chen", "dara"] { _ = try await f.provenReviewer(name) }
        }) { site in
            let slug = site.articleSlug
            try await ChromeDriver.with { driver in
                // Reader A.
                try await driver.withSession { a in
                    try await site.signIn(a, email: "alice@example.com", next: "/article/\(slug)/comments/new", shots: shots, step: "a-")
                    try await a.type(Self.commentText, into: "#body")
                    try await shots.save(a, "a-write")
                    try await a.click("form[action='/article/\(slug)/comments'] button[type=submit]")
                    try await a.waitForPath(#"^/comments/\d+/review$"#)
                    let draftURL = try await a.currentURL
                    for position in 1...3 {
                        let heading = try await a.text("#review-heading")
                        #expect(heading == "Review comment \(position) of 3")
                        let reviewed = try await a.text("blockquote.under-review")
                        #expect(!reviewed.contains(Self.commentText), "never one's own comment")
                        try await shots.save(a, "a-review-\(position)")
                        try await self.review(a, civil: true)
                        if position < 3 {
                            try await a.wait(for: "review \(position + 1)") { try await a.text("#review-heading") == "Review comment \(position + 1) of 3" }
                        }
                    }
                    try await a.waitForPath(#"^/comments/\d+/rate$"#)
                    #expect(try await a.text("#rate-heading") == "Rate your own comment")
                    #expect(try await a.execute("return document.getElementById('body').value") as? String == Self.commentText)
                    try await a.click("input[name=civil][value=civil]")
                    try await shots.save(a, "a-rate")
                    try await a.click("form[action$='/rate'] button[type=submit]")
                    try await a.waitForPath(#"^/comments/\d+$"#)
                    #expect(try await a.text("#status-heading") == "Waiting for review")
                    #expect(try await a.text("blockquote.own-comment").contains(Self.commentText))
                    try await shots.save(a, "a-waiting")
                    #expect(draftURL.hasSuffix("/review"))
                }

                // No one else sees a pending comment.
                try await driver.withSession { anonymous in
                    try await anonymous.navigate(site.url + "/article/\(slug)/comments")
                    try await anonymous.waitForPath("/comments$")
                    #expect(try await !anonymous.bodyText.contains(Self.commentText), "a pending comment is shown to its author only")
                }

                // Readers B, C and D, each in a fresh browser.
                for (index, name) in ["bongani", "chen", "dara"].enumerated() {
                    let handed = try await driver.withSession { r in
                        try await self.peerReviews(r, site: site, name: name, shots: shots)
                    }
                    print("Browser: \(name) was handed the comment \(handed)")
                    if index < 2 {
                        try await driver.withSession { anonymous in
                            try await anonymous.navigate(site.url + "/article/\(slug)/comments")
                            try await anonymous.waitForPath("/comments$")
                            #expect(try await !anonymous.bodyText.contains(Self.commentText), "still pending after \(index + 1) review(s)")
                        }
                    }
                }

                // A signed-out reader sees it on the article page, and on its comments page.
                try await driver.withSession { anonymous in
                    try await anonymous.navigate(site.url + "/article/\(slug)")
                    try await anonymous.waitForPath("^/article/\(slug)$")
                    try await shots.save(anonymous, "signed-out-article")
                    #expect(try await anonymous.text("#thread").contains(Self.commentText), "the article page shows the published comment")
                    try await anonymous.navigate(site.url + "/article/\(slug)/comments")
                    try await anonymous.waitForPath("/comments$")
                    let authors = try await anonymous.findAll("#thread .comment-author")
                    var names: [String] = []
                    for author in authors { names.append(try await anonymous.text(author)) }
                    #expect(names.contains("Alice"))
                    #expect(try await anonymous.text("#thread").contains(Self.commentText))
                    #expect(try await anonymous.text("#thread .count") == "4 comments")
                    try await anonymous.execute("document.querySelector('#thread .comment-list').lastElementChild.scrollIntoView()")
                    try await shots.save(anonymous, "signed-out-comments")
                }
            }
        }
        print("Browser: the comment flow took \(Int(Date().timeIntervalSince(started))) s; screenshots in \(shots.folder.path)")
    }

    /// Submits the review form on the page: good, civil (or not), no flags.
    func review(_ browser: WebDriverSession, civil: Bool) async throws {
        try await browser.click("input[name=quality][value=good]")
        try await browser.click("input[name=civil][value=\(civil ? "civil" : "uncivil")]")
        let task = try await browser.execute("return document.querySelector('input[name=task]').value") as? String
        try await browser.click("form.stack button[type=submit]")
        // The next page has loaded when its task (if any) differs.
        try await browser.wait(for: "the review after task \(task ?? "?")") {
            guard try await browser.execute("return document.readyState") as? String == "complete" else { return false }
            let next = try await browser.execute("var t = document.querySelector('input[name=task]'); return t ? t.value : ''") as? String
            return next != task
        }
    }

    /// A proven reviewer signs in, writes their own comment and reviews what they are handed, all civil; if A's
    /// comment was not among their three, they review from the voluntary page (GET /review) until it is.
    /// Returns how A's comment reached them.
    func peerReviews(_ r: WebDriverSession, site: BrowserSite, name: String, shots: Screenshots) async throws -> String {
        let slug = site.articleSlug
        try await site.signIn(r, email: "\(name)@example.com", next: "/article/\(slug)/comments/new")
        try await r.type("Thanks to \(name.capitalized) for reading: the ferry timetable matters more than the car park.", into: "#body")
        try await r.click("form[action='/article/\(slug)/comments'] button[type=submit]")
        try await r.waitForPath(#"^/comments/\d+/(review|rate)$"#)
        var handed: String?
        for _ in 0..<4 {
            guard try await r.currentURL.hasSuffix("/review") else { break }
            if try await r.text("blockquote.under-review").contains(Self.commentText) {
                handed = "while posting their own"
                try await shots.save(r, "\(name)-reviews-a")
            }
            try await review(r, civil: true)
            try await r.waitForPath(#"^/comments/\d+/(review|rate)$"#)
        }
        try await r.waitForPath(#"^/comments/\d+/rate$"#)
        try await r.click("input[name=civil][value=civil]")
        try await r.click("form[action$='/rate'] button[type=submit]")
        try await r.waitForPath(#"^/comments/\d+$"#)
        #expect(try await r.text("#status-heading") == "Waiting for review")
        if handed == nil {
            for _ in 0..<8 {
                try await r.navigate(site.url + "/review")
                try await r.waitForPath("^/review$")
                let text = try await r.bodyText
                guard !text.contains("Nothing to review") else { break }
                let isA = try await r.text("blockquote.under-review").contains(Self.commentText)
                if isA { try await shots.save(r, "\(name)-reviews-a") }
                try await review(r, civil: true)
                if isA {
                    handed = "from the review page"
                    break
                }
            }
        }
        guard let handed else { throw WebDriverError(description: "\(name) was never handed A's comment to review") }
        return handed
    }
}
