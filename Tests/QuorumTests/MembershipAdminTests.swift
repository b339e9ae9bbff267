import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import SQLKit
import Testing
@testable import Accounts
@testable import Membership
@testable import Publishing
import MembershipEngine
import Payments
@testable import QuorumStore
@testable import QuorumWeb

/// The admin's membership pages over real HTTP on both databases: who may see them, the dashboard's figures
/// against a fixture worked out by hand, the members list, honorary grants, CSV export and the settings.
@Suite struct MembershipAdminTests {
    static func day(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0) -> Date { CivilDate.date(year: y, month: m, day: d, seconds: h * 3600) }
    static func rand(_ units: Int64) -> Money { Money(units: units, .zar) }
    /// The dashboard's "now": 12 April 2026, noon UTC.
    static let now = day(2026, 4, 12, 12)
    static let clock = SiteClock { Timestamp(now) }

    /// Five memberships. The working, month by month, is in `theDashboardShowsTheHandComputedFigures`.
    static func fixture() -> [(String, [MembershipEvent])] {
        func script(_ id: String, _ pledge: Pledge, opened: Date, _ steps: [(Date, MembershipEvent.Kind)]) -> (String, [MembershipEvent]) {
            var events = [MembershipEvent(id: "fx:\(id):open", provider: "stripe", occurredAt: opened, reference: Reference(membershipID: id), kind: .opened(pledge))]
            for (n, (at, kind)) in steps.enumerated() {
                events.append(MembershipEvent(id: "fx:\(id):\(n)", provider: "stripe", occurredAt: at, reference: Reference(membershipID: id), kind: kind))
            }
            return (id, events)
        }
        func paid(_ amount: Int64, _ at: Date, through: Date) -> (Date, MembershipEvent.Kind) {
            (at, .paymentSucceeded(.init(amount: rand(amount), periodEnd: through)))
        }
        return [
            // A: R150 a month from 5 January, renewed every month: active.
            script("fx_a", Pledge(amount: rand(150), interval: .month), opened: day(2026, 1, 4), [
                paid(150, day(2026, 1, 5), through: day(2026, 2, 5)), paid(150, day(2026, 2, 5), through: day(2026, 3, 5)),
                paid(150, day(2026, 3, 5), through: day(2026, 4, 5)), paid(150, day(2026, 4, 5), through: day(2026, 5, 5)),
            ]),
            // B: R1,800 a year from 20 January: active, R150 of MRR.
            script("fx_b", Pledge(amount: rand(1800), interval: .year), opened: day(2026, 1, 19), [
                paid(1800, day(2026, 1, 20), through: day(2027, 1, 20)),
            ]),
            // C: R200 a month since 10 December; the February renewal failed, never fixed: lapsed on 24 February.
            script("fx_c", Pledge(amount: rand(200), interval: .month), opened: day(2025, 12, 9), [
                paid(200, day(2025, 12, 10), through: day(2026, 1, 10)), paid(200, day(2026, 1, 10), through: day(2026, 2, 10)),
                (day(2026, 2, 10), .paymentFailed(.init(amount: rand(200), periodEnd: day(2026, 3, 10)))),
            ]),
            // D: R75 a month from 1 February, cancelled on the 15th: access to 1 March, then expired.
            script("fx_d", Pledge(amount: rand(75), interval: .month), opened: day(2026, 1, 31), [
                paid(75, day(2026, 2, 1), through: day(2026, 3, 1)), (day(2026, 2, 15), .cancelRequested),
            ]),
            // E: R100 a month from 1 March; the April renewal failed: on hold since 1 April (still in MRR).
            script("fx_e", Pledge(amount: rand(100), interval: .month), opened: day(2026, 2, 28), [
                paid(100, day(2026, 3, 1), through: day(2026, 4, 1)),
                (day(2026, 4, 1), .paymentFailed(.init(amount: rand(100), periodEnd: day(2026, 5, 1)))),
            ]),
        ]
    }

    static func admin(_ browser: Browser, _ mail: CapturedMail, _ test: TestDatabase) async throws {
        _ = try await UserStore(database: test.database).create(email: "chief@example.com", displayName: "Chief", roles: [.admin])
        try await LiveServer.signIn(browser, mail, email: "chief@example.com")
    }

    @Test(arguments: TestDatabases.kinds)
    func theDashboardShowsTheHandComputedFigures(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind, clock: Self.clock) { browser, mail, test in
            let users = UserStore(database: test.database)
            let service = MembershipService(database: test.database, providers: [], logger: TestDatabases.logger, now: { Self.now })
            for (n, (_, events)) in Self.fixture().enumerated() {
                let owner = try await users.create(email: "member\(n)@example.com", displayName: "Member \(n)", roles: [])
                try await service.importHistory(events.map { ($0, owner: owner.id) })
            }
            // Who may look: nobody signed out, no reader.
            #expect(try await browser.get("/admin/membership").headers[.location] == "/signin?next=/admin/membership")
            #expect(try await browser.get("/api/admin/membership/dashboard").status == .unauthorized)
            _ = try await users.create(email: "reader@example.com", displayName: "Reader", roles: [])
            // The JSON is the admin API's: bearer tokens only.
            let tokens = APITokenStore(database: test.database, users: users)
            let readerToken = try await tokens.create(email: "reader@example.com", name: "t").token
            let reader = Browser(browser.client)
            try await LiveServer.signIn(reader, mail, email: "reader@example.com")
            #expect(try await reader.get("/admin/membership").status == .forbidden)
            #expect(try await reader.get("/api/admin/membership/dashboard").status == .unauthorized, "a session opens no admin API")
            #expect(try await reader.get("/api/admin/membership/dashboard", headers: [.authorization: "Bearer \(readerToken)"]).status == .forbidden)

            try await Self.admin(browser, mail, test)
            let adminToken = try await tokens.create(email: "chief@example.com", name: "t").token
            let json = try await browser.get("/api/admin/membership/dashboard", headers: [.authorization: "Bearer \(adminToken)"]).json()
            // Now: A and B active; E on hold; C lapsed; D expired.
            #expect(json["active"] as? Int == 2 && json["onHold"] as? Int == 1)
            let counts = try #require(json["counts"] as? [String: Int])
            #expect(counts["lapsed"] == 1 && counts["expired"] == 1 && counts["paused"] == 0)
            // MRR = A 150 + B 1800 ÷ 12 + E 100 (on hold) = R400.
            #expect(json["mrrMinor"] as? Int == 40_000)
            #expect(json["mrrTwelfths"] as? Int == 480_000)
            let months = try #require(json["months"] as? [[String: Any]])
            #expect(months.count == 12)
            let last4 = Array(months.suffix(4))
            #expect(last4.map { $0["month"] as? String } == ["2026-01", "2026-02", "2026-03", "2026-04"])
            // Standing at the start: Jan C; Feb A, B, C; Mar A, B, D (cancelled, paid to 1 March); Apr A, B, E.
            #expect(last4.map { $0["standingAtStart"] as? Int } == [1, 3, 3, 3])
            // New: Jan A, B; Feb D; Mar E; Apr none.
            #expect(last4.map { $0["new"] as? Int } == [2, 1, 1, 0])
            // Churned: Feb C (lapsed on the 24th); Mar D (expired on the 1st).
            #expect(last4.map { $0["churned"] as? Int } == [0, 1, 1, 0])
            #expect((last4[1]["churnRate"] as? Double).map { abs($0 - 1.0 / 3.0) < 1e-9 } == true)
            #expect(last4[0]["churnRate"] as? Double == 0)
            // MRR at month ends: Jan A + B + C = R500; Feb A + B = R300 (D cancelled); Mar A + B + E = R400; Apr R400.
            #expect(last4.map { $0["mrrMinor"] as? Int } == [50_000, 30_000, 40_000, 40_000])
            // December 2025: C joined; nothing before it.
            #expect(months[months.count - 5]["new"] as? Int == 1 && months[0]["standingAtStart"] as? Int == 0)
            #expect(months[0]["churnRate"] is NSNull, "nobody standing: undefined, not 0")
            #expect(json["newLast30Days"] as? Int == 0)
            // Readership is wired in and has counted nobody yet: no conversion to show (0 readers).
            #expect(json["conversion"] is NSNull && json["uniqueReaders30Days"] as? Int == 0)
            let page = try await browser.get("/admin/membership")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<dd id="figure-active">2</dd>"#))
            #expect(page.text.contains(#"<dd id="figure-on-hold">1</dd>"#))
            #expect(page.text.contains(#"<dd id="figure-mrr">R400.00</dd>"#))
            #expect(page.text.contains("0 new of 0 readers"))
            #expect(page.text.contains("<td>Feb 2026</td><td>3</td><td>1</td><td>1</td><td>33.3%</td><td>R300.00</td>"))
            // The chart is SVG drawn on the server: 12 MRR bars, no script, no style attributes.
            #expect(page.text.components(separatedBy: #"<rect class="chart-mrr""#).count - 1 == 13, "12 bars and the legend")
            #expect(!page.text.contains("<script") && !page.text.contains("style="))
            // With readership counting: the newest first payment (E's) is 42 days old, so 0 new of 40 readers; once
            // a new member pays on 10 April, 1 of 40, and MRR grows by R90.
            let counted = try await service.dashboard(months: 12, uniqueReaders: { 40 })
            #expect(counted.conversion?.numerator == 0 && counted.conversion?.denominator == 40)
            try await service.importHistory([
                (MembershipEvent(id: "fx:new:open", provider: "stripe", occurredAt: Self.day(2026, 4, 10), reference: Reference(membershipID: "fx_new"),
                                 kind: .opened(Pledge(amount: Self.rand(90), interval: .month))), owner: nil),
                (MembershipEvent(id: "fx:new:0", provider: "stripe", occurredAt: Self.day(2026, 4, 10, 1), reference: Reference(membershipID: "fx_new"),
                                 kind: .paymentSucceeded(.init(amount: Self.rand(90), periodEnd: Self.day(2026, 5, 10)))), owner: nil),
            ])
            let later = try await service.dashboard(months: 12, uniqueReaders: { 40 })
            #expect(later.conversion?.numerator == 1 && later.conversion?.denominator == 40 && later.conversion?.percentText == "2.5%")
            #expect(later.mrr.money == Self.rand(490) && later.months.last?.new == 1)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func membersAreFilteredSearchedPagedExportedAndGrantedHonorary(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind, clock: Self.clock) { browser, mail, test in
            let users = UserStore(database: test.database)
            let service = MembershipService(database: test.database, providers: [], logger: TestDatabases.logger, now: { Self.now })
            var ids: [String] = []
            for (n, (id, events)) in Self.fixture().enumerated() {
                // Names a spreadsheet would run as formulas, quotes and commas: the export must defuse and quote them.
                let name = ["=HYPERLINK(\"http://evil\")", "Thandi, Mokoena", "Pieter \"PJ\" Botha", "+27 Member", "Lerato"][n]
                let owner = try await users.create(email: "member\(n)@example.com", displayName: name, roles: [])
                try await service.importHistory(events.map { ($0, owner: owner.id) })
                ids.append(id)
            }
            try await Self.admin(browser, mail, test)

            let all = try await browser.get("/admin/membership/members")
            #expect(all.status == .ok)
            #expect(all.text.contains("All (5)") && all.text.contains("Active (2)") && all.text.contains("On hold (1)") && all.text.contains("Lapsed (2)"))
            #expect(all.text.contains("=HYPERLINK(&quot;http://evil&quot;)"), "escaped in the page")
            let onHold = try await browser.get("/admin/membership/members?status=on_hold")
            #expect(onHold.text.contains("Lerato") && !onHold.text.contains("Thandi"))
            let lapsed = try await browser.get("/admin/membership/members?status=lapsed")
            #expect(lapsed.text.contains("Pieter") && lapsed.text.contains("+27 Member") && !lapsed.text.contains("Lerato"))
            let search = try await browser.get("/admin/membership/members?q=MOKOENA")
            #expect(search.text.contains("Thandi, Mokoena") && !search.text.contains("Lerato"))
            let byEmail = try await browser.get("/admin/membership/members?q=member4%40")
            #expect(byEmail.text.contains("Lerato") && !byEmail.text.contains("Thandi"))
            let wildcard = try await browser.get("/admin/membership/members?q=%25")
            #expect(wildcard.text.contains("No memberships match."), "% is a character, not a wildcard")

            // Keyset paging: 5 rows, 2 a page in the store's terms.
            var seen: [String] = []
            var after: MemberCursor?
            repeat {
                let page = try await service.members(filter: .all, search: "", after: after, limit: 2)
                seen += page.map(\.id)
                after = page.count == 2 ? page.last.map { MemberCursor(updatedAt: $0.updatedAt.milliseconds, id: $0.id) } : nil
            } while after != nil
            #expect(Set(seen) == Set(ids) && seen.count == 5)

            let csv = try await browser.get("/admin/membership/members.csv")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            let lines = csv.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.count == 6)
            #expect(lines[0] == "membership_id,name,email,status,amount,currency,interval,provider,paid_through,updated_at")
            #expect(csv.text.contains(#""'=HYPERLINK(""http://evil"")""#), "formula defused with an apostrophe, quotes doubled")
            #expect(csv.text.contains(#""'+27 Member""#))
            #expect(csv.text.contains(#""Thandi, Mokoena""#) && csv.text.contains(#""Pieter ""PJ"" Botha""#))
            #expect(csv.text.contains(#""fx_b","Thandi, Mokoena","member1@example.com","active","1800.00","ZAR","year""#))
            let filtered = try await browser.get("/admin/membership/members.csv?status=active")
            #expect(filtered.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 3)

            // A member's page: ledger and the on-hold email.
            let e = try await browser.get("/admin/membership/members/fx_e")
            #expect(e.status == .ok)
            #expect(e.text.contains("Status: on hold") && e.text.contains("payment failed") && e.text.contains("fx:fx_e:1"))
            #expect(e.text.contains("Your membership payment did not go through"))
            #expect(try await browser.get("/admin/membership/members/nope").status == .notFound)

            // Honorary: granted until a date, then revoked; the member role follows; both in the audit log.
            let guest = try await users.create(email: "guest@example.com", displayName: "Guest Writer", roles: [])
            try await browser.get("/admin/membership/members")
            #expect(try await browser.post("/admin/membership/honorary", ["email": "guest@example.com", "until": "2026-13-01"]).status == .badRequest)
            #expect(try await browser.post("/admin/membership/honorary", ["email": "guest@example.com", "until": "2020-01-01"]).status == .badRequest)
            #expect(try await browser.post("/admin/membership/honorary", ["email": "nobody@example.com"]).status == .notFound)
            #expect(try await browser.post("/admin/membership/honorary", ["email": "guest@example.com"], csrf: .some(nil)).status == .forbidden)
            let granted = try await browser.post("/admin/membership/honorary", ["email": "Guest@Example.com ", "until": "2099-06-30"])
            #expect(granted.status == .seeOther)
            let memberURL = try #require(granted.headers[.location])
            let page = try await browser.get(memberURL)
            #expect(page.text.contains("Status: honorary") && page.text.contains("Honorary membership until 2099-06-30"))
            #expect(try await users.find(id: guest.id)?.roles.contains(.member) == true)
            #expect(try await browser.get("/admin/membership/members?status=honorary").text.contains("Guest Writer"))
            #expect(try await browser.post(memberURL + "/revoke").status == .seeOther)
            #expect(try await browser.get(memberURL).text.contains("Status: expired"))
            #expect(try await users.find(id: guest.id)?.roles.contains(.member) == false)
            try await browser.get(memberURL)
            #expect(try await browser.post(memberURL + "/revoke").status == .conflict, "nothing left to revoke")
            let audit = try await test.database.read { db in
                try await db.select().column("action").from("audit_log").all().map { try $0.decode(column: "action", as: String.self) }
            }
            #expect(audit.contains("membership.honorary_granted") && audit.contains("membership.honorary_revoked") && audit.contains("membership.export"))
        }
    }

    /// The dashboard is replayed once per ledger high-water mark: a second view is the cached one; a new ledger
    /// row, or time reaching the next moment a figure could change, replays again; and every answer equals a
    /// full replay of the ledger at that time.
    @Test(arguments: TestDatabases.kinds)
    func theDashboardIsCachedPerLedgerHighWaterMarkAndEqualsAFullReplay(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let clock = NIOLockedValueBox(Self.now)
            let users = UserStore(database: test.database)
            let service = MembershipService(database: test.database, providers: [], logger: TestDatabases.logger,
                                            now: { clock.withLockedValue { $0 } })
            for (n, (_, events)) in Self.fixture().enumerated() {
                let owner = try await users.create(email: "cache\(n)@example.com", displayName: "Member \(n)", roles: [])
                try await service.importHistory(events.map { ($0, owner: owner.id) })
            }
            func full() async throws -> Dashboard {
                let ledger = try await test.database.read { db in try await service.store.ledger(db) }
                return Dashboard.compute(ledger: ledger, engine: service.engine, currency: .zar, now: clock.withLockedValue { $0 }, months: 12)
            }
            let first = try await service.dashboard()
            #expect(first == (try await full()))
            #expect(service.dashboardCache.fullReplays == 1)
            #expect(try await service.dashboard() == first)
            #expect(service.dashboardCache.fullReplays == 1, "the second view is the cached one")

            // A new ledger row: replayed again, and the new payment is in the figures.
            let owner = try await users.create(email: "late@example.com", displayName: "Late", roles: [])
            let id = try await service.open(userID: owner.id, provider: "stripe", pledge: Pledge(amount: Self.rand(300), interval: .month))
            try await service.importHistory([(MembershipEvent(id: "fx:late:paid", provider: "stripe", occurredAt: Self.now.addingTimeInterval(-3600),
                                                              reference: Reference(membershipID: id),
                                                              kind: .paymentSucceeded(.init(amount: Self.rand(300), periodEnd: Self.day(2026, 5, 12)))),
                                              owner: owner.id)])
            let second = try await service.dashboard()
            #expect(service.dashboardCache.fullReplays == 2)
            #expect(second == (try await full()))
            #expect(second.active == first.active + 1 && second.mrr.twelfths == first.mrr.twelfths + 300 * 100 * 12)

            // Time alone: E (on hold since 1 April, 14 days' grace) lapses on 15 April; the cached figures are not
            // used past that moment.
            clock.withLockedValue { $0 = Self.day(2026, 4, 15, 1) }
            let later = try await service.dashboard()
            #expect(service.dashboardCache.fullReplays == 3)
            #expect(later == (try await full()))
            #expect(later.onHold == second.onHold - 1)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func settingsChangeThePlanAndProvidersKeepSecretsMaskedAndRefuseBadInput(kind: DatabaseKind) async throws {
        let logs = LogCapture()
        try await LiveServer.withBrowser(kind, logger: logs.logger()) { browser, mail, test in
            try await Self.admin(browser, mail, test)
            let plain = Browser(browser.client)
            _ = try await UserStore(database: test.database).create(email: "reader@example.com", displayName: "Reader", roles: [])
            try await LiveServer.signIn(plain, mail, email: "reader@example.com")
            #expect(try await plain.get("/admin/membership/settings").status == .forbidden)
            try await plain.get("/account")
            #expect(try await plain.post("/admin/membership/settings", ["currency": "USD"]).status == .forbidden)

            let before = try await browser.get("/admin/membership/settings")
            #expect(before.status == .ok && before.text.contains(#"value="75""#) && before.text.contains("Stripe (not configured)"))
            var form: [String: String] = [
                "currency": "ZAR", "monthlyMinimum": "100", "monthlyDefault": "200", "monthlySuggestions": "100, 200, 300",
                "yearlyMinimum": "1 000", "yearlyDefault": "2,000", "yearlySuggestions": "1000 2000", "oneOffMinimum": "50",
                "maximum": "50000", "heading": "Support us", "pitch": "Pay what you can.", "itemName": "",
                "graceDays": "10", "accessDuringGrace": "on", "retentionDays": "30", "checkoutProvider": "stripe",
                "stripeSecretKey": "sk_test_51SecretValue0000000000004242", "stripeWebhookSecret": "whsec_firstSecretValue1111",
                "payfastMerchantID": "10000100", "payfastMerchantKey": "46f0cd694581a", "payfastPassphrase": "jt7NOE43FZPn",
                "payfastMode": "sandbox",
            ]
            // Bad input: a clear message, the page again with what was typed, nothing saved.
            for (field, value, message) in [("monthlyDefault", "50", "default must be at least the monthly minimum"),
                                            ("monthlyMinimum", "7.50", "whole amount"), ("currency", "RAND", "three-letter"),
                                            ("graceDays", "99", "from 0 to 60"), ("stripeSecretKey", "pk_test_123", "starts with sk_"),
                                            ("stripeWebhookSecret", "secret", "whsec_"), ("payfastSourceCheck", "on", "The source check needs")] {
                var bad = form
                bad[field] = value
                try await browser.get("/admin/membership/settings")
                let refused = try await browser.post("/admin/membership/settings", bad)
                #expect(refused.status == .badRequest, "\(field)")
                #expect(refused.text.contains(message), "\(field): \(refused.text.prefix(0))")
                #expect(!refused.text.contains("sk_test_51SecretValue") && !refused.text.contains("jt7NOE43FZPn"), "secrets are not put back")
            }
            #expect(try await SettingsStore(database: test.database).get("membership_settings") == nil)

            try await browser.get("/admin/membership/settings")
            #expect(try await browser.post("/admin/membership/settings", form).status == .seeOther)
            let after = try await browser.get("/admin/membership/settings?saved=1")
            #expect(after.text.contains("Saved."))
            #expect(after.text.contains("sk_test_…4242") && after.text.contains("whsec_…1111") && after.text.contains("Stripe (in use)"))
            #expect(after.text.contains("PayFast (in use)") && after.text.contains(#"value="10000100""#))
            for secret in ["sk_test_51SecretValue0000000000004242", "whsec_firstSecretValue1111", "46f0cd694581a", "jt7NOE43FZPn"] {
                #expect(!after.text.contains(secret))
                #expect(!logs.all.joined(separator: "\n").contains(secret), "never logged")
            }
            // The reader's offer follows at once.
            let offer = try await browser.get("/membership")
            #expect(offer.text.contains("at least R100"))
            #expect(offer.text.contains(#"name="choice" value="300""#))

            // Rolling the signing secret: a second one is added, the first stays until removed. Empty fields keep secrets.
            form["stripeSecretKey"] = ""
            form["payfastMerchantKey"] = ""
            form["payfastPassphrase"] = ""
            form["stripeWebhookSecret"] = "whsec_secondSecretValue2222"
            try await browser.get("/admin/membership/settings")
            #expect(try await browser.post("/admin/membership/settings", form).status == .seeOther)
            let fresh = MembershipConfiguration(providers: nil, environment: [:])
            try await fresh.load(from: SettingsStore(database: test.database))
            #expect(fresh.providerSettings.stripe.webhookSecrets == ["whsec_firstSecretValue1111", "whsec_secondSecretValue2222"])
            #expect(fresh.providerSettings.stripe.secretKey == "sk_test_51SecretValue0000000000004242")
            #expect(fresh.providerSettings.payfast.passphrase == "jt7NOE43FZPn")
            #expect(fresh.plan.monthly.minimum == Self.rand(100) && fresh.plan.yearly.suggested == Self.rand(2000))
            #expect(fresh.engine.settings.graceDays == 10 && fresh.policy.rawPayloadRetentionDays == 30)
            #expect(Set(fresh.providers.keys) == ["stripe", "payfast"] && fresh.checkoutProvider?.name == "stripe")
            form["stripeWebhookSecret"] = ""
            form["stripeDropOldSecret"] = "on"
            try await browser.get("/admin/membership/settings")
            #expect(try await browser.post("/admin/membership/settings", form).status == .seeOther)
            try await fresh.load(from: SettingsStore(database: test.database))
            #expect(fresh.providerSettings.stripe.webhookSecrets == ["whsec_secondSecretValue2222"])
            let audit = try await test.database.read { db in
                try await db.select().column("details").from("audit_log").where("action", .equal, SQLBind("settings.membership")).all()
                    .map { try $0.decode(column: "details", as: String?.self) ?? "" }
            }
            #expect(audit.count == 3 && audit.allSatisfy { !$0.contains("whsec_") && !$0.contains("sk_test") })
        }
    }
}

/// Providers deliver bursts from a few addresses; the site-wide POST ceiling (300 a minute per address) is for
/// forms, so webhooks, authenticated by their signatures, are not counted against it.
@Suite struct WebhookRateLimitTests {
    @Test func aBurstOfWebhooksFromOneAddressIsNotRateLimited() async throws {
        let stripe = StripeClient(configuration: StripeConfiguration(apiBase: "http://127.0.0.1:9", secretKey: "sk_test_burst", webhookSecrets: ["whsec_burst"]))
        try await LiveServer.run(.sqlite, payments: [stripe]) { client, test in
            let port = try #require(client.port)
            var statuses: [Int: Int] = [:]
            // 610: more than twice the ceiling, so at least one minute's window would overflow without the exemption.
            for i in 0..<610 {
                let body = Array(#"{"id":"evt_burst_\#(i)","object":"event","created":0,"type":"ping","data":{"object":{}}}"#.utf8)
                let r = try await MembershipWebhookTests.post(port: port, path: "/webhooks/stripe", body: body,
                                                              headers: [("Content-Type", "application/json"), ("Stripe-Signature", "t=1,v1=00")])
                statuses[r.status, default: 0] += 1
            }
            #expect(statuses == [400: 610], "refused for the signature, never 429: \(statuses)")
        }
    }
}
