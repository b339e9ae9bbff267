import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Testing
@testable import Accounts
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumStore
@testable import QuorumWeb
@testable import Readership
@testable import ReadershipEngine

/// Readership over real HTTP on loopback (the event-loop fast path included), on SQLite and PostgreSQL.
enum ReadershipSite {
    static let fast = ReadershipSettings(trustedProxyHops: 1, flushInterval: .milliseconds(50), shareInterval: 0)

    /// The application with readership counting through one trusted proxy, flushing every 50 ms; an article
    /// "harbour-vote" in section "world" with tag "oceans" is published before it starts.
    static func run<R: Sendable>(
        _ kind: DatabaseKind, settings: ReadershipSettings = fast, clock: SiteClock = .system, logger: Logger = TestDatabases.logger,
        on existing: TestDatabase? = nil,
        _ body: @escaping @Sendable (Browser, CapturedMail, TestDatabase) async throws -> R
    ) async throws -> R {
        func start(_ test: TestDatabase) async throws -> R {
            let mail = CapturedMail()
            var configuration = LiveServer.configuration(for: test)
            configuration.siteURL = "http://localhost"
            let app = try buildApplication(configuration: configuration, database: test.database, logger: logger, clock: clock,
                                           mailTransport: mail, readership: settings)
            return try await app.test(.live) { client in
                let browser = Browser(client)
                try await waitForSalt(browser)
                return try await body(browser, mail, test)
            }
        }
        if let existing { return try await start(existing) }
        return try await TestDatabases.withDatabase(kind) { test in
            let store = try await Fixtures.newsroom(test.database)
            try await Fixtures.published(store, Fixtures.input("harbour-vote", section: "world", tags: ["Oceans"]))
            return try await start(test)
        }
    }

    /// Counting starts once the salt is loaded (moments after start). The health check says so for this
    /// application; the metrics gauge cannot, as every application in the test process shares one registry.
    static func waitForSalt(_ browser: Browser) async throws {
        for _ in 0..<1_000 {
            let health = try await browser.client.execute(uri: "/healthz", method: .get, headers: [:], body: nil)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: health.body)) as? [String: Any]
            if body?["readership"] as? String == "counting" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ConfigurationError("the readership salt was never loaded")
    }

    static func reader(_ n: Int) -> (ip: String, agent: String) {
        ("203.0.\(113 + n / 250).\(n % 250 + 1)", "Mozilla/5.0 (X11; Linux x86_64) QuorumTestReader/\(n) Firefox/133.0")
    }

    /// A page view from reader `n` behind the one trusted proxy.
    static func view(_ client: any TestClientProtocol, _ path: String, reader n: Int, extra: HTTPFields = [:]) async throws -> TestResponse {
        let (ip, agent) = reader(n)
        var headers: HTTPFields = [.userAgent: agent, .xForwardedFor: "198.51.100.77, \(ip)"]
        headers.append(contentsOf: extra)
        return try await client.execute(uri: path, method: .get, headers: headers, body: nil)
    }

    static func sum(_ db: Database, scope: String) async throws -> Int {
        try await db.read { sql in
            try await sql.raw("SELECT CAST(COALESCE(SUM(views), 0) AS BIGINT) AS n FROM readership_daily WHERE scope = \(bind: scope)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Waits until the database holds `views` views of `scope` (flushes run every 50 ms).
    static func waitForViews(_ db: Database, scope: String, _ views: Int) async throws {
        for _ in 0..<500 {
            if try await sum(db, scope: scope) >= views { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await sum(db, scope: scope) == views)
    }

    static func uniques(_ db: Database, scope: String) async throws -> Int {
        try await ReadershipStore(database: db).days(scope: scope, from: 0, to: Int64.max / 2).reduce(into: HyperLogLog()) { $0.merge($1.sketch) }.count
    }
}

@Suite("Readership: counting over the wire")
struct ReadershipCountingTests {
    /// N requests from M distinct (address, User-Agent) pairs give N views and about M readers, the fast path's
    /// answers included; afterwards no address or User-Agent is anywhere in the SQLite file, its WAL or the log.
    @Test(arguments: TestDatabases.kinds)
    func viewsAndReadersThroughTheWireTier(kind: DatabaseKind) async throws {
        let capture = LogCapture()
        let n = 600, m = 150
        try await ReadershipSite.run(kind, logger: capture.logger(level: .trace)) { browser, _, test in
            var fastPathHits = 0
            for i in 0..<n {
                let response = try await ReadershipSite.view(browser.client, "/article/harbour-vote", reader: i % m)
                #expect(response.status == .ok)
                if i > 0 { fastPathHits += 1 }
            }
            try await ReadershipSite.waitForViews(test.database, scope: "site", n)
            try await ReadershipSite.waitForViews(test.database, scope: "a:harbour-vote", n)
            let readers = try await ReadershipSite.uniques(test.database, scope: "site")
            #expect(abs(readers - m) <= 2, "counted \(readers) readers for \(m)")
            #expect(try await ReadershipSite.uniques(test.database, scope: "a:harbour-vote") == readers)

            if case .sqlite(let path) = test.location {
                var bytes = Data()
                for suffix in ["", "-wal"] { bytes.append((try? Data(contentsOf: URL(fileURLWithPath: path + suffix))) ?? Data()) }
                #expect(bytes.count > 0)
                let log = capture.all.joined(separator: "\n")
                for i in 0..<m {
                    let (ip, agent) = ReadershipSite.reader(i)
                    #expect(bytes.range(of: Data(ip.utf8)) == nil, "address \(ip) stored")
                    #expect(bytes.range(of: Data("QuorumTestReader/\(i) ".utf8)) == nil, "User-Agent \(agent) stored")
                    #expect(!log.contains(ip) && !log.contains("QuorumTestReader/\(i) "))
                }
                #expect(bytes.range(of: Data("198.51.100.77".utf8)) == nil)
            }
        }
    }

    /// Only the entries the trusted proxies wrote count: a client cannot become many readers by writing
    /// addresses of its own into X-Forwarded-For.
    @Test func forgedForwardedForIsNotTrusted() async throws {
        try await ReadershipSite.run(.sqlite) { browser, _, test in
            let agent = "Mozilla/5.0 (Macintosh) Safari/605.1.15"
            for i in 0..<40 {
                _ = try await browser.client.execute(uri: "/", method: .get, headers: [.userAgent: agent, .xForwardedFor: "10.9.\(i).1, 192.0.2.44"], body: nil)
            }
            try await ReadershipSite.waitForViews(test.database, scope: "site", 40)
            #expect(try await ReadershipSite.uniques(test.database, scope: "site") == 1)
        }
    }

    /// Real crawler User-Agents, prefetches and requests without a User-Agent are not counted; feeds and assets
    /// are not page views.
    @Test func crawlersPrefetchesAndNonPagesAreNotCounted() async throws {
        let crawlers = [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.139 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "curl/8.5.0",
            "python-requests/2.32.3",
        ]
        try await ReadershipSite.run(.sqlite) { browser, _, test in
            for agent in crawlers {
                for path in ["/", "/article/harbour-vote"] {
                    let response = try await browser.client.execute(uri: path, method: .get, headers: [.userAgent: agent], body: nil)
                    #expect(response.status == .ok)
                }
            }
            let person = ReadershipSite.reader(1).agent
            _ = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [.userAgent: person, .secPurpose: "prefetch"], body: nil)
            _ = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [.userAgent: person, .purpose: "prefetch"], body: nil)
            _ = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [:], body: nil)
            _ = try await browser.client.execute(uri: "/feed.xml", method: .get, headers: [.userAgent: person], body: nil)
            _ = try await browser.client.execute(uri: "/robots.txt", method: .get, headers: [.userAgent: person], body: nil)
            // One real view, so the flush has something to write and we know the others were looked at first.
            _ = try await ReadershipSite.view(browser.client, "/section/world", reader: 3)
            try await ReadershipSite.waitForViews(test.database, scope: "site", 1)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await ReadershipSite.sum(test.database, scope: "site") == 1)
            #expect(try await ReadershipSite.sum(test.database, scope: "a:harbour-vote") == 0)
        }
    }

    /// Referrers are kept as host names only; UTM campaigns by their values.
    @Test func referrersAreHostsAndCampaignsAreCounted() async throws {
        try await ReadershipSite.run(.sqlite) { browser, _, test in
            _ = try await ReadershipSite.view(browser.client, "/article/harbour-vote", reader: 1, extra: [.referer: "https://www.example.org/some/secret/path?q=private"])
            _ = try await ReadershipSite.view(browser.client, "/article/harbour-vote", reader: 2, extra: [.referer: "https://news.example.net:8443/x"])
            _ = try await ReadershipSite.view(browser.client, "/article/harbour-vote", reader: 3, extra: [.referer: "http://localhost/section/world"])
            _ = try await ReadershipSite.view(browser.client, "/article/harbour-vote?utm_source=Newsletter&utm_medium=email&utm_campaign=dec-1", reader: 4)
            try await ReadershipSite.waitForViews(test.database, scope: "site", 4)
            let store = ReadershipStore(database: test.database)
            let hosts = try await store.referrers(from: 0, to: Int64.max / 2, limit: 10)
            #expect(Set(hosts.map(\.host)) == ["example.org", "news.example.net"])
            let campaigns = try await store.campaigns(from: 0, to: Int64.max / 2, limit: 10)
            #expect(campaigns.count == 1 && campaigns.first?.source == "newsletter" && campaigns.first?.campaign == "dec-1")
            if case .sqlite(let path) = test.location {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path)) + ((try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data())
                #expect(bytes.range(of: Data("secret/path".utf8)) == nil)
            }
        }
    }

    /// Two instances on one PostgreSQL, served the same readers, count each of them once (and every view).
    @Test(.enabled(if: TestDatabases.postgresURL != nil, "needs QUORUM_TEST_POSTGRES_URL"))
    func twoInstancesOnOnePostgreSQLCountAReaderOnce() async throws {
        let m = 120
        try await TestDatabases.withDatabase(.postgres) { test in
            let store = try await Fixtures.newsroom(test.database)
            try await Fixtures.published(store, Fixtures.input("harbour-vote"))
            try await ReadershipSite.run(.postgres, on: test) { first, _, _ in
                try await ReadershipSite.run(.postgres, on: test) { second, _, _ in
                    for i in 0..<m {
                        _ = try await ReadershipSite.view(first.client, "/article/harbour-vote", reader: i)
                        _ = try await ReadershipSite.view(second.client, "/article/harbour-vote", reader: i)
                    }
                    try await ReadershipSite.waitForViews(test.database, scope: "site", 2 * m)
                    let readers = try await ReadershipSite.uniques(test.database, scope: "site")
                    #expect(abs(readers - m) <= 2, "two instances counted \(readers) readers for \(m)")
                }
            }
        }
    }
}

@Suite("Readership: salts")
struct ReadershipSaltTests {
    /// With a daily salt the same reader hashes differently on two days and counts once per day; the old salt is
    /// deleted from storage once its day is over. With a seven-day salt the same two visits are one reader.
    @Test(arguments: TestDatabases.kinds)
    func rotationWithAnInjectedClock(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let clock = ManualClock(Timestamp(milliseconds: 20_000 * 86_400_000 + 3_600_000))
            let counter = ReadershipCounter(settings: ReadershipSettings(), clock: clock.siteClock, siteURL: "http://localhost")
            let service = ReadershipService(database: test.database, counter: counter, bus: LocalInvalidationBus(), logger: TestDatabases.logger)
            let store = ReadershipStore(database: test.database)
            func visit() {
                counter.count(PageView(path: "/", peer: try! SocketAddress(ipAddress: "192.0.2.10", port: 4000), userAgent: "Mozilla/5.0 Reader",
                                       forwardedFor: nil, referer: nil, isPrefetch: false, reader: .anonymous))
            }
            try await service.prepareSalts()
            #expect(try await store.saltPeriods() == [20_000, 20_001])
            let firstSalt = try await store.salt(period: 20_000, now: clock.now)
            visit()
            try await service.flush()
            let firstDay = try await store.days(scope: "site", from: 20_000, to: 20_000)
            #expect(firstDay.first?.sketch.count == 1)

            clock.advance(seconds: 86_400)
            try await service.prepareSalts()
            #expect(try await store.saltPeriods() == [20_001, 20_002], "yesterday's salt is deleted")
            let secondSalt = try await store.salt(period: 20_001, now: clock.now)
            #expect(firstSalt != secondSalt)
            let a = VisitorHash.hash(salt: firstSalt, site: Array("http://localhost\0".utf8), address: "192.0.2.10", userAgent: "Mozilla/5.0 Reader")
            let b = VisitorHash.hash(salt: secondSalt, site: Array("http://localhost\0".utf8), address: "192.0.2.10", userAgent: "Mozilla/5.0 Reader")
            #expect(a != b, "the same reader gets another hash on another day")
            visit()
            try await service.flush()
            #expect(try await service.uniqueReaders(lastDays: 2) == 2, "a returning reader counts once per salt period")
            #expect(try await service.uniqueReaders(lastDays: 1) == 1)
            // The deleted salt's text is nowhere in the database any more.
            if case .sqlite(let path) = test.location {
                try await test.database.read { db in try await db.raw("PRAGMA wal_checkpoint(TRUNCATE)").run() }
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                let text = Data(firstSalt).base64EncodedString()
                #expect(bytes.range(of: Data(text.utf8)) == nil)
            }
        }
    }

    @Test func aLongerSaltPeriodCountsTheReturningReaderOnce() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let clock = ManualClock(Timestamp(milliseconds: 7 * 3_000 * 86_400_000))
            let counter = ReadershipCounter(settings: ReadershipSettings(saltPeriodDays: 7), clock: clock.siteClock, siteURL: "http://localhost")
            let service = ReadershipService(database: test.database, counter: counter, bus: LocalInvalidationBus(), logger: TestDatabases.logger)
            for _ in 0..<3 {
                try await service.prepareSalts()
                counter.count(PageView(path: "/", peer: nil, userAgent: "Mozilla/5.0 Reader", forwardedFor: nil, referer: nil, isPrefetch: false, reader: .anonymous))
                try await service.flush()
                clock.advance(seconds: 86_400)
            }
            #expect(try await service.uniqueReaders(lastDays: 30) == 1)
            #expect(try await ReadershipStore(database: test.database).saltPeriods() == [3_000, 3_001])
        }
    }
}

@Suite("Readership: call to action, reader classes and promotions")
struct ReadershipPageTests {
    static func member(_ db: Database, email: String) async throws {
        _ = try await UserStore(database: db).create(email: email, displayName: "Member", roles: [.reader, .member])
    }

    /// The call to action's text for a fixture of members and readers, exactly, on the anonymous variant; absent
    /// on the member variant; the signed-in variant offers "Write a comment" without asking to sign in; the header
    /// says "Sign in" or "Account". Each variant is served by the cache after its first rendering.
    @Test(arguments: TestDatabases.kinds)
    func callToActionAndVariants(kind: DatabaseKind) async throws {
        try await ReadershipSite.run(kind) { browser, mail, test in
            try await Self.member(test.database, email: "m1@example.com")
            try await Self.member(test.database, email: "m2@example.com")
            for i in 0..<600 { _ = try await ReadershipSite.view(browser.client, "/section/world", reader: i) }
            try await ReadershipSite.waitForViews(test.database, scope: "site", 600)
            let readers = try await ReadershipSite.uniques(test.database, scope: "site")
            // An estimate: at 600 readers the sketch counts by linear counting, with a standard error of about 3.3
            // readers (the hash key is new each run). ±12 is 3.6 of them; the wording below is the same across it.
            #expect((588...612).contains(readers))

            let anonymous = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [:], body: nil)
            let page = String(buffer: anonymous.body)
            #expect(page.contains("There&#39;s a 99.7% chance that this isn&#39;t for you.") || page.contains("There's a 99.7% chance that this isn't for you."))
            #expect(page.contains("Only 0.3% of our readers have responded to this call for action. Members pay for the reporting everyone reads. Be part of that 0.3%."))
            #expect(page.contains(">Sign in</a>"))
            #expect(page.contains("please <a"))

            let member = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [.cookie: "quorum_reader=m"], body: nil)
            #expect(!String(buffer: member.body).contains("0.3%"))
            #expect(String(buffer: member.body).contains(">Account</a>"))
            let signedIn = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [.cookie: "quorum_reader=s"], body: nil)
            #expect(String(buffer: signedIn.body).contains("Write a comment"))
            #expect(!String(buffer: signedIn.body).contains("please <a"))
            #expect(String(buffer: signedIn.body).contains("0.3%"))

            // A real sign-in sets the class cookie; the member's variant follows the role.
            try await LiveServer.signIn(browser, mail, email: "m1@example.com")
            #expect(browser.cookie(SiteCookies.readerClass) == "m")
            let own = try await browser.get("/article/harbour-vote")
            #expect(!own.text.contains("0.3%"))
            #expect(own.text.contains("Write a comment") && !own.text.contains("please <a"))
            try await browser.get("/account")
            #expect(try await browser.post("/signout").status == .seeOther)
            #expect(browser.cookie(SiteCookies.readerClass) == nil || browser.cookie(SiteCookies.readerClass) == "")
        }
    }

    @Test func fallbackWordingUntilThereAreEnoughReaders() async throws {
        try await ReadershipSite.run(.sqlite) { browser, _, test in
            _ = try await ReadershipSite.view(browser.client, "/", reader: 1)
            try await ReadershipSite.waitForViews(test.database, scope: "site", 1)
            let page = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [:], body: nil)
            #expect(String(buffer: page.body).contains("Our journalism is free to read because readers who can afford it pay for it."))
            #expect(!String(buffer: page.body).contains("%"))
        }
    }

    /// A stale class cookie is corrected by the session middleware on the next request that reaches it.
    @Test func staleClassCookieIsCorrected() async throws {
        try await ReadershipSite.run(.sqlite) { browser, _, _ in
            browser.setCookie(SiteCookies.readerClass, "m")
            let response = try await browser.get("/search?q=harbour")
            #expect(response.headers[values: .setCookie].contains { $0.hasPrefix("quorum_reader=;") || $0.hasPrefix("quorum_reader=") && $0.contains("Max-Age=0") })
        }
    }
}

@Suite("Readership: promotions, dashboard and API")
struct PromotionAndDashboardTests {
    static let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"

    static func editor(_ browser: Browser, _ mail: CapturedMail, _ db: Database) async throws {
        _ = try await UserStore(database: db).create(email: "editor@example.com", displayName: "Ed", roles: [.reader, .editor])
        try await LiveServer.signIn(browser, mail, email: "editor@example.com")
    }

    static func fields(_ name: String, kind: String = "house_ad", audience: String = "everyone", extra: [String: String] = [:]) -> [String: String] {
        var fields = ["kind": kind, "name": name, "kicker": "Kicker " + hostile, "heading": "Heading " + hostile, "body": "Text " + hostile,
                      "linkText": "Go " + hostile, "linkURL": "https://shop.example.com/mugs?a=1&b=\"2\"", "imageURL": "/images/mug.png",
                      "imageAlt": "Alt " + hostile, "audience": audience, "priority": "50", "onArticles": "on", "enabled": "on"]
        fields.merge(extra) { _, new in new }
        return fields
    }

    /// Editors create promotions through the admin form; hostile HTML in every field is shown as text; views
    /// (fast path included) and clicks (through the counting redirect) are counted; dates, targeting and audience
    /// decide where a promotion appears.
    @Test(arguments: TestDatabases.kinds)
    func promotionsFromTheAdminPages(kind: DatabaseKind) async throws {
        try await ReadershipSite.run(kind) { browser, mail, test in
            try await Self.editor(browser, mail, test.database)
            #expect(try await browser.get("/admin/promotions").status == .ok)
            try await browser.get("/admin/promotions/new?kind=house_ad")
            let preview = try await browser.post("/admin/promotions/preview", Self.fields("Mugs"))
            #expect(preview.status == .ok)
            #expect(!preview.text.contains("<script>alert(1)"))
            #expect(try await browser.post("/admin/promotions", Self.fields("Mugs")).status == .seeOther)
            let refused = try await browser.post("/admin/promotions", Self.fields("Bad", extra: ["linkURL": "javascript:alert(1)"]))
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("The link must be a path on this site"))
            // Not yet started, another section, signed-out readers only: none of these on this page for a signed-in reader.
            try await browser.get("/admin/promotions/new")
            #expect(try await browser.post("/admin/promotions", Self.fields("Later", extra: ["startsAt": "2099-01-01T00:00", "heading": "LATER-ONE"])).status == .seeOther)
            try await browser.get("/admin/promotions/new")
            #expect(try await browser.post("/admin/promotions", Self.fields("Science only", extra: ["section": "science", "heading": "SCIENCE-ONE"])).status == .seeOther)
            try await browser.get("/admin/promotions/new")
            #expect(try await browser.post("/admin/promotions", Self.fields("Signed out", audience: "signed_out", extra: ["heading": "SIGNED-OUT-ONE", "priority": "60"])).status == .seeOther)

            let page = try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [:], body: nil)
            let html = String(buffer: page.body)
            #expect(!html.contains("<script>alert(1)"))
            #expect(!html.contains("<img src=x"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(html.contains("Heading &lt;script&gt;"))
            #expect(html.contains("SIGNED-OUT-ONE"))
            #expect(!html.contains("LATER-ONE") && !html.contains("SCIENCE-ONE"))
            let mine = try await browser.get("/article/harbour-vote")
            #expect(!mine.text.contains("SIGNED-OUT-ONE"))

            // Views: the page above and five more anonymous views from the cache, one per reader.
            for i in 0..<5 { _ = try await ReadershipSite.view(browser.client, "/article/harbour-vote", reader: i) }
            let promotions = PromotionStore(database: test.database)
            let mugs = try #require(try await promotions.all().first { $0.name == "Mugs" })
            for _ in 0..<200 {
                if (try await promotions.find(mugs.id))?.views ?? 0 >= 5 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect((try await promotions.find(mugs.id))?.views ?? 0 >= 5)
            let click = try await ReadershipSite.view(browser.client, "/promotions/\(mugs.id)/click", reader: 1)
            #expect(click.status == .seeOther)
            #expect(click.headers[.location] == "https://shop.example.com/mugs?a=1&b=\"2\"")
            #expect((try await promotions.find(mugs.id))?.clicks == 1)
            #expect(try await browser.client.execute(uri: "/promotions/99999/click", method: .get, headers: [:], body: nil).status == .notFound)
            let list = try await browser.get("/admin/promotions")
            #expect(!list.text.contains("<script>alert(1)"))
        }
    }

    /// Editors delete a promotion after confirming it (CSRF-checked); its views and clicks stay in the totals of
    /// the promotions page; its block and its click link are gone.
    @Test(arguments: TestDatabases.kinds)
    func aPromotionIsDeletedAfterConfirmationAndItsCountsStayInTheTotals(kind: DatabaseKind) async throws {
        try await ReadershipSite.run(kind) { browser, mail, test in
            try await Self.editor(browser, mail, test.database)
            try await browser.get("/admin/promotions/new?kind=house_ad")
            #expect(try await browser.post("/admin/promotions", Self.fields("Mugs", extra: ["heading": "MUGS-BLOCK"])).status == .seeOther)
            try await browser.get("/admin/promotions/new?kind=house_ad")
            #expect(try await browser.post("/admin/promotions", Self.fields("Caps", extra: ["heading": "CAPS-BLOCK", "priority": "10"])).status == .seeOther)
            let promotions = PromotionStore(database: test.database)
            let mugs = try #require(try await promotions.all().first { $0.name == "Mugs" })
            let caps = try #require(try await promotions.all().first { $0.name == "Caps" })
            try await test.database.transaction { db in
                try await db.raw("UPDATE promotions SET views = 120, clicks = 7 WHERE id = \(bind: mugs.id)").run()
                try await db.raw("UPDATE promotions SET views = 30, clicks = 1 WHERE id = \(bind: caps.id)").run()
            }
            #expect(String(buffer: try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [:], body: nil).body)
                .contains("MUGS-BLOCK"))

            // The confirmation page: what it counted, escaped, and a form with the CSRF token.
            let confirm = try await browser.get("/admin/promotions/\(mugs.id)/delete")
            #expect(confirm.status == .ok && confirm.text.contains("shown 120 times and clicked 7 times"))
            #expect(confirm.text.contains(#"name="csrf""#) && confirm.text.contains(#"name="confirm""#))
            #expect(!confirm.text.contains("<script>alert(1)"))
            // Without the token, or without ticking the box: nothing is deleted.
            #expect(try await browser.post("/admin/promotions/\(mugs.id)/delete", ["confirm": "yes"], csrf: .some(nil)).status == .forbidden)
            let unticked = try await browser.post("/admin/promotions/\(mugs.id)/delete", [:])
            #expect(unticked.status == .unprocessableContent && unticked.text.contains("Tick the box"))
            #expect(try await promotions.find(mugs.id) != nil)
            // A reader may not.
            let reader = Browser(browser.client)
            _ = try await UserStore(database: test.database).create(email: "plain@example.com", displayName: "P", roles: [.reader])
            try await LiveServer.signIn(reader, mail, email: "plain@example.com")
            try await reader.get("/account")
            #expect(try await reader.post("/admin/promotions/\(mugs.id)/delete", ["confirm": "yes"]).status == .forbidden)

            try await browser.get("/admin/promotions/\(mugs.id)/delete")
            let deleted = try await browser.post("/admin/promotions/\(mugs.id)/delete", ["confirm": "yes"])
            #expect(deleted.status == .seeOther && deleted.headers[.location] == "/admin/promotions?deleted=1")
            #expect(try await promotions.find(mugs.id) == nil)
            let list = try await browser.get("/admin/promotions?deleted=1")
            #expect(list.text.contains("Deleted. Its views and clicks stay in the totals below."))
            #expect(list.text.contains("1 deleted promotion counted 120 views and 7 clicks"))
            #expect(list.text.contains(#"<td class="number">150</td><td class="number">8</td>"#), "the totals keep the deleted one's counts")
            #expect(try await promotions.retired() == PromotionStore.Retired(promotions: 1, views: 120, clicks: 7))

            // Gone from the page (the cached variant was invalidated) and its click link no longer leads anywhere.
            var html = ""
            for _ in 0..<100 {
                html = String(buffer: try await browser.client.execute(uri: "/article/harbour-vote", method: .get, headers: [:], body: nil).body)
                if !html.contains("MUGS-BLOCK") { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!html.contains("MUGS-BLOCK") && html.contains("CAPS-BLOCK"))
            #expect(try await browser.client.execute(uri: "/promotions/\(mugs.id)/click", method: .get, headers: [:], body: nil).status == .notFound)
            try await browser.get("/admin/promotions")
            #expect(try await browser.post("/admin/promotions/\(mugs.id)/delete", ["confirm": "yes"]).status == .notFound)
            // The audit log says who deleted it and what it had counted.
            let audit = try await AuditLog.entries(subject: "promotion:\(mugs.id)", in: test.database)
            #expect(audit.first?.action == "promotion.deleted" && audit.first?.details?.contains("views=120 clicks=7") == true)
        }
    }

    /// The dashboard draws its chart on the server; the JSON is for editors only (401, 403, 200).
    @Test(arguments: TestDatabases.kinds)
    func dashboardAndAPI(kind: DatabaseKind) async throws {
        try await ReadershipSite.run(kind) { browser, mail, test in
            for i in 0..<30 { _ = try await ReadershipSite.view(browser.client, "/article/harbour-vote", reader: i) }
            try await ReadershipSite.waitForViews(test.database, scope: "site", 30)
            #expect(try await browser.client.execute(uri: "/api/admin/readership", method: .get, headers: [:], body: nil).status == .unauthorized)
            _ = try await UserStore(database: test.database).create(email: "reader@example.com", displayName: "R", roles: [.reader])
            try await LiveServer.signIn(browser, mail, email: "reader@example.com")
            let tokens = APITokenStore(database: test.database, users: UserStore(database: test.database))
            let readerToken = try await tokens.create(email: "reader@example.com", name: "t").token
            #expect(try await browser.get("/api/admin/readership").status == .unauthorized, "a session opens no admin API")
            #expect(try await browser.get("/api/admin/readership", headers: [.authorization: "Bearer \(readerToken)"]).status == .forbidden)
            try await browser.get("/account")
            #expect(try await browser.post("/signout").status == .seeOther)
            try await Self.editor(browser, mail, test.database)
            let editorToken = try await tokens.create(email: "editor@example.com", name: "t").token
            let api = try await browser.get("/api/admin/readership", headers: [.authorization: "Bearer \(editorToken)"])
            #expect(api.status == .ok)
            let json = try api.json()
            let today = try #require(json["today"] as? [String: Any])
            #expect(today["views"] as? Int == 30)
            #expect((today["readers"] as? Int).map { abs($0 - 30) <= 1 } == true)
            #expect(json["saltPeriodDays"] as? Int == 1)
            #expect((json["days"] as? [Any])?.count == 30)
            #expect(((json["topArticles"] as? [[String: Any]])?.first?["slug"] as? String) == "harbour-vote")
            let page = try await browser.get("/admin/readership")
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg class=\"readership-chart\""))
            #expect(page.text.contains("salt period: 1 day"))
            #expect(!page.text.contains("style=\""))
            let metrics = try await browser.get("/metrics")
            #expect(metrics.text.contains("quorum_readership_views"))
        }
    }
}
