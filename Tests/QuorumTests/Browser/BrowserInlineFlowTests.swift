import Foundation
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// With JavaScript, the article page runs the whole flow in place: write, review, rate, through the JSON API.
@Suite(
    "Browser: the inline comment flow on the article page", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver); scripts/test installs them and sets QUORUM_REQUIRE_BROWSER=1")
)
struct BrowserInlineFlowTests {
    @Test func writeReviewAndRateWithoutLeavingTheArticle() async throws {
        let shots = try Screenshots("inline-flow")
        try await BrowserSite.with(prepare: { f in
            for (i, name) in ["una", "vic"].enumerated() {
                _ = try await f.submitted(["Trams would serve the quay better.", "The budget line for dredging is unclear."][i], by: try await f.reader(name))
            }
            _ = try await f.reader("erin")
        }) { site in
            let slug = site.articleSlug
            try await ChromeDriver.with { driver in
                try await driver.withSession { e in
                    try await site.signIn(e, email: "erin@example.com", next: "/article/\(slug)", shots: shots, step: "e-")
                    try await e.navigate(site.url + "/article/\(slug)")
                    try await e.waitForPath("^/article/\(slug)$")
                    try await e.click("a[data-action=write]")
                    try await e.wait(for: "the inline form") { (try? await e.find(".inline-flow textarea")) != nil }
                    try await e.type("Written without leaving the article.", into: ".inline-flow textarea")
                    try await shots.save(e, "1-write")
                    try await e.click(".inline-flow button[type=submit]")
                    for n in 1...2 {
                        try await e.wait(for: "review \(n)") { (try? await e.text(".inline-flow h3"))?.hasPrefix("Review comment \(n) of") == true }
                        try await e.click(".inline-flow input[name=quality][value=good]")
                        try await e.click(".inline-flow input[name=civil][value=yes]")
                        try await shots.save(e, "2-review-\(n)")
                        try await e.click(".inline-flow button[type=submit]")
                    }
                    try await e.wait(for: "the rating step") { (try? await e.text(".inline-flow h3")) == "Rate your own comment" }
                    try await e.click(".inline-flow input[name=own][value=yes]")
                    try await e.click(".inline-flow button[type=submit]")
                    try await e.wait(for: "the result") {
                        let title = (try? await e.text(".inline-flow h3")) ?? ""
                        return title == "Waiting for review" || title == "Published"
                    }
                    try await shots.save(e, "3-submitted")
                    #expect(try await e.text(".inline-flow h3") == "Waiting for review")
                }
            }
        }
    }

    /// With many comments waiting, the rate step offers one optional extra review; taking it and coming back.
    @Test func anOptionalExtraReviewIsOfferedInPlace() async throws {
        let shots = try Screenshots("inline-extra-review")
        try await BrowserSite.with(prepare: { f in
            try await CommentRouteTests.seedPending(12, on: f.test, article: f.article)
            _ = try await f.reader("erin")
        }) { site in
            let slug = site.articleSlug
            try await ChromeDriver.with { driver in
                try await driver.withSession { e in
                    try await site.signIn(e, email: "erin@example.com", next: "/article/\(slug)")
                    try await e.navigate(site.url + "/article/\(slug)")
                    try await e.waitForPath("^/article/\(slug)$")
                    try await e.click("a[data-action=write]")
                    try await e.wait(for: "the inline form") { (try? await e.find(".inline-flow textarea")) != nil }
                    try await e.type("A view while the queue is long.", into: ".inline-flow textarea")
                    try await e.click(".inline-flow button[type=submit]")
                    for n in 1...3 {
                        try await e.wait(for: "review \(n)") { (try? await e.text(".inline-flow h3"))?.hasPrefix("Review comment \(n) of 3") == true }
                        try await e.click(".inline-flow input[name=quality][value=good]")
                        try await e.click(".inline-flow input[name=civil][value=yes]")
                        try await e.click(".inline-flow button[type=submit]")
                    }
                    try await e.wait(for: "the offer") { (try? await e.text(".inline-flow .notice"))?.contains("waiting for readers to review") == true }
                    try await shots.save(e, "1-offer")
                    try await e.click(".inline-flow .notice button")
                    try await e.wait(for: "the extra review") { (try? await e.text(".inline-flow h3")) == "An extra review (optional)" }
                    try await shots.save(e, "2-extra")
                    try await e.click(".inline-flow input[name=quality][value=somewhat]")
                    try await e.click(".inline-flow input[name=civil][value=yes]")
                    try await e.click(".inline-flow button[type=submit]")
                    try await e.wait(for: "the rating step again") { (try? await e.text(".inline-flow h3")) == "Rate your own comment" }
                    #expect((try? await e.find(".inline-flow .notice")) == nil, "offered once")
                    try await e.click(".inline-flow input[name=own][value=yes]")
                    try await e.click(".inline-flow button[type=submit]")
                    try await e.wait(for: "the result") { (try? await e.text(".inline-flow h3")) == "Waiting for review" }
                    try await shots.save(e, "3-submitted")
                }
            }
        }
    }
}
