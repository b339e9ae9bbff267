import Foundation
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumStore
@testable import QuorumWeb
@testable import Readership
@testable import ReadershipEngine

/// The call to action and the reader-class variants in headless Chromium against the built `quorum` binary:
/// signed out the block quotes the share; signed in as a member it is gone; a signed-in reader is offered
/// "Write a comment" without being asked to sign in, and the header links to the account.
@Suite(
    "Browser: readership variants in headless Chromium", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver); scripts/test installs them and sets QUORUM_REQUIRE_BROWSER=1")
)
struct BrowserReadershipTests {
    @Test func callToActionFollowsTheReader() async throws {
        let shots = try Screenshots("readership")
        try await BrowserSite.with(prepare: { f in
            // 600 readers today (as the counter would have flushed them) and 2 members: 0.3%.
            var batch = FlushBatch()
            var sketch = HyperLogLog()
            for reader in UInt64(1)...600 { sketch.add(hash: SplitMix64.mix(reader)) }
            let today = SaltPeriod.day(milliseconds: Timestamp.now.milliseconds)
            batch.scopes[FlushBatch.ScopeKey(day: today, scope: "site")] = FlushBatch.ScopeEntry(views: 900, sketch: sketch)
            try await ReadershipStore(database: f.test.database).merge(batch)
            _ = try await f.reader("maria", roles: [.member])
            _ = try await f.reader("mo", roles: [.member])
            _ = try await f.reader("rita")
        }) { site in
            let article = site.url + "/article/" + site.articleSlug
            try await ChromeDriver.with { driver in
                try await driver.withSession { anonymous in
                    try await anonymous.navigate(article)
                    let block = try await anonymous.text(".promotion")
                    #expect(block.contains("There's a 99.7% chance that this isn't for you."))
                    #expect(block.contains("Only 0.3% of our readers have responded to this call for action."))
                    #expect(try await anonymous.text(".account-link") == "Sign in")
                    #expect(try await anonymous.text(".sign-in-to-comment").contains("please sign in to comment"))
                    try await shots.save(anonymous, "signed-out")
                }
                try await driver.withSession { member in
                    try await site.signIn(member, email: "maria@example.com", next: "/article/\(site.articleSlug)", shots: shots, step: "member-")
                    try await member.navigate(article)
                    let page = try await member.execute("return document.body.innerText") as? String ?? ""
                    #expect(!page.contains("0.3%"))
                    #expect(try await member.findAll(".promotion").isEmpty)
                    #expect(try await member.text(".account-link") == "Account")
                    try await shots.save(member, "member")
                }
                try await driver.withSession { reader in
                    try await site.signIn(reader, email: "rita@example.com", next: "/article/\(site.articleSlug)", shots: shots, step: "reader-")
                    try await reader.navigate(article)
                    let comments = try await reader.text(".sign-in-to-comment")
                    #expect(comments.contains("Write a comment"))
                    #expect(!comments.contains("please sign in"))
                    #expect(try await reader.text(".account-link") == "Account")
                    #expect(try await reader.text(".promotion").contains("0.3%"))
                    try await shots.save(reader, "signed-in")
                }
            }
        }
    }
}
