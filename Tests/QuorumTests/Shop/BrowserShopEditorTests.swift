import Foundation
import Testing
@testable import Accounts
@testable import QuorumStore
@testable import QuorumWeb
@testable import Shop
import ShopEngine

@Suite(
    "Browser: the product editor's shipping options", .serialized,
    .enabled(if: BrowserTools.shouldRun, "needs Chromium and its WebDriver (apt-get install chromium chromium-driver); scripts/test installs them and sets QUORUM_REQUIRE_BROWSER=1")
)
struct BrowserShopEditorTests {
    /// The admin changes a courier rate in the editor (no script) and the checkout offers the new rate.
    /// Screenshots of the editor's delivery section at phone and desktop width land in
    /// .build/browser-screenshots/shop-editor/.
    @Test func anAdminChangesACourierRate() async throws {
        let shots = try Screenshots("shop-editor")
        let start = Date()
        try await BrowserSite.with(environment: [:], prepare: { f in
            try await ShopService(database: f.site.database, logger: TestDatabases.logger).create(ShopFixtures.book(stock: 100, now: start))
            _ = try await UserStore(database: f.site.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
        }) { site in
            try await ChromeDriver.with { driver in
                try await driver.withSession { e in
                    try await site.signIn(e, email: "chief@example.com", next: "/admin/shop/products/prd_book")
                    try await e.wait(for: "the editor") { try await e.bodyText.contains("Delivery") }
                    try await e.shootBothSizes(shots, "0-editor-cover", scrollTo: "#cover")
                    try await e.shootBothSizes(shots, "0b-editor-cover-upload", scrollTo: "#cover-heading")
                    try await e.shootBothSizes(shots, "1-editor-delivery", scrollTo: "#shipping")
                    _ = try await e.execute("document.querySelector('#ship_rate_0').value = ''", [])
                    try await e.type("75.00", into: "#ship_rate_0")
                    try await e.click("form.stack button.primary")
                    try await e.wait(for: "saved") { try await e.bodyText.contains("Delivery") }
                    try await e.shootBothSizes(shots, "2-editor-saved", scrollTo: "#shipping")
                    // The page after saving is the product read back from the database.
                    #expect(try await e.execute("return document.querySelector('#ship_rate_0').value") as? String == "75.00")
                }
            }
        }
    }
}
