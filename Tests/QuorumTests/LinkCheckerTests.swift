import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// Crawls the demo newsroom over real HTTP as an anonymous reader, a signed-in reader and an admin, and fails on
/// any internal link or form that leads nowhere (404) or breaks (500), naming the page it is on.
@Suite("Link checker: every internal link and form on the demo site answers")
struct LinkCheckerTests {
    static let base = "http://localhost"

    @Test(arguments: TestDatabases.kinds)
    func everyLinkAndFormOnTheDemoSiteAnswers(kind: DatabaseKind) async throws {
        try await LinkSite.run(kind, demo: true) { site in
            let anonymous = try await site.crawl(Browser(site.client), seeds: [SiteURL.home.path, SiteURL.sitemap.path, SiteURL.feed.path])
            let reader = Browser(site.client)
            try await LiveServer.signIn(reader, site.mail, email: "link.reader@example.com")
            let signedIn = try await site.crawl(reader, seeds: [SiteURL.home.path, SiteURL.account.path], perRoute: LinkSite.perRoute)
            let admin = Browser(site.client)
            try await LiveServer.signIn(admin, site.mail, email: DemoContent.adminEmail)
            let staff = try await site.crawl(admin, seeds: [
                SiteURL.home.path, SiteURL.account.path, SiteURL.adminArticles.path, SiteURL.moderation().path,
                SiteURL.adminComments.path, SiteURL.adminUsers.path, SiteURL.adminAudit.path, SiteURL.adminMail.path,
                SiteURL.adminSettings.path,
            ], perRoute: LinkSite.perRoute)
            for (who, result) in [("anonymous reader", anonymous), ("signed-in reader", signedIn), ("admin", staff)] {
                #expect(result.failures.isEmpty, "as \(who):\n\(result.failures.joined(separator: "\n"))")
                #expect(result.fetched.count < LinkSite.pageLimit, "as \(who): the crawl hit its page limit")
            }
            // The crawl reached what each reader can see: articles and feeds; comment forms; the admin pages.
            let flagship = SiteURL.article(DemoContent.flagshipSlug).path
            let thread = SiteURL.comments(DemoContent.flagshipSlug).path
            #expect(anonymous.fetched.contains(flagship) && anonymous.fetched.contains { $0.hasPrefix(thread + "?") })
            #expect(anonymous.fetched.count > 60, "anonymous crawl fetched \(anonymous.fetched.count) pages")
            #expect(signedIn.fetched.contains(SiteURL.commentWrite(DemoContent.flagshipSlug).path))
            #expect(signedIn.formsChecked > 5 && staff.formsChecked > signedIn.formsChecked)
            #expect(staff.fetched.contains { $0.hasPrefix("/admin/articles/") && $0.hasSuffix("/edit") })
            #expect(staff.fetched.contains { $0.hasPrefix("/admin/users/") })
        }
    }

    /// The checker itself: a page with a dead link, a dead image and a form posting where no route listens is
    /// reported with the page it is on, while the page's live links are not.
    @Test func theCheckerReportsDeadLinksAndFormsWithThePageTheyAreOn() async throws {
        try await LinkSite.run(.sqlite, demo: false, configureRouter: { router in
            router.get("/test/dead-ends") { _, _ in
                let html = """
                    <a href="/">home</a> <a href="/nowhere?x=1#top">gone</a> <img src="/images/missing.png" alt="">
                    <a href="https://example.com/elsewhere">outside</a>
                    <form method="post" action="/no-such-form"><button formaction="/account/name">ok</button></form>
                    <form method="get" action="/search"></form>
                    """
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
            }
        }) { site in
            let result = try await site.crawl(Browser(site.client), seeds: ["/test/dead-ends"], follow: false)
            #expect(result.failures.sorted() == [
                "404 /images/missing.png (on /test/dead-ends)",
                "404 /nowhere?x=1 (on /test/dead-ends)",
                "no POST route for /no-such-form (form on /test/dead-ends)",
            ])
            #expect(result.fetched.contains("/") && result.fetched.contains("/search"))
        }
    }

    /// One pattern per case gives both the route and the link; values fill the captures, queries are escaped.
    @Test func oneAddressGivesTheRouteAndTheLink() {
        #expect(SiteURL.home.path == "/" && RouterPath(SiteURL.home).description == "/")
        #expect(SiteURL.comments("x", sort: "newest", page: 2).path == "/article/x/comments?sort=newest&page=2")
        #expect(SiteURL.comments("x").path == "/article/x/comments")
        #expect(RouterPath(SiteURL.comments).description == "/article/{slug}/comments")
        #expect(RouterPath(SiteURL.commentReview).description == "/comments/{id}/review")
        #expect(SiteURL.commentReview(7, extra: true).path == "/comments/7/review?extra=1")
        #expect(SiteURL.signIn(next: "/article/x/comments/new").path == "/signin?next=/article/x/comments/new")
        #expect(SiteURL.signIn(next: "/a?b=1&c=2").path == "/signin?next=/a?b%3D1%26c%3D2")
        #expect(SiteURL.search("a b").path == "/search?q=a%20b" && SiteURL.search(nil).path == "/search")
        #expect(SiteURL.asset("site.css", version: "abc").path == "/assets/site.css?v=abc")
        #expect(SiteURL.adminUser(3).absolute("https://news.example") == "https://news.example/admin/users/3")
        // A link matches the route its case registers.
        let link = SiteURL.apiModerationQueue("withheld").path.split(separator: "/")
        let route = RouterPath(SiteURL.apiModerationQueue)
        #expect(route.count == link.count && zip(route, link).allSatisfy { $0 ~= $1 })
    }

    /// Promotions come from the feature that serves the page they link to: none, no block; one, a block whose
    /// link is that feature's address.
    @Test func thePromotionBlockShowsOnlyWhatAFeatureProvides() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let site = Site(configuration: LiveServer.configuration(for: test), database: test.database, theme: try Theme.load(), logger: TestDatabases.logger)
            let store = try await Fixtures.newsroom(test.database)
            _ = try await Fixtures.published(store, Fixtures.input("promoted"), at: Timestamp.now.adding(seconds: -60))
            let offer = ArticlePromotion(kicker: "Accounts", heading: "Keep your place", text: "Sign in to follow threads.", linkText: "Your account", link: .account)
            for promotions in [[], [offer]] {
                let bus = LocalInvalidationBus()
                let publishing = Publishing(site: site, bus: bus, cache: PageCache(bus: bus), users: site.users)
                let router = Router(context: QuorumContext.self)
                publishing.addRoutes(to: router, articleSections: [], promotions: promotions)
                try await Application(router: router).test(.router) { client in
                    let html = try await client.execute(uri: SiteURL.article("promoted").path, method: .get).text
                    #expect(html.contains("<aside class=\"promotions\"") == !promotions.isEmpty)
                    #expect(html.contains("<a class=\"button\" href=\"/account\">Your account</a>") == !promotions.isEmpty)
                }
            }
        }
    }
}

/// The application serving a fresh database (with the demo newsroom loaded, if asked) on loopback, and what it
/// routes, so forms that post can be checked against the routes without sending them.
struct LinkSite: Sendable {
    static let pageLimit = 1500
    /// Query variants of one path worth fetching (`/signin?next=…` from every comment is the same page).
    static let variantsPerPath = 3
    /// Signed-in crawls see the pages the anonymous one fetched, rendered for them: they fetch this many
    /// addresses of each route (and check the rest against the routes), so the test stays fast.
    static let perRoute = 6

    let client: any TestClientProtocol
    let mail: CapturedMail
    let routes: [Route]

    struct Route: Sendable {
        var method: HTTPRequest.Method
        var path: RouterPath
        func matches(_ method: HTTPRequest.Method, _ segments: [Substring]) -> Bool {
            method == self.method && path.count == segments.count && zip(path, segments).allSatisfy { $0 ~= $1 }
        }
    }

    struct Result {
        var fetched: Set<String> = []
        var failures: [String] = []
        var formsChecked = 0
    }

    static func run(
        _ kind: DatabaseKind, demo: Bool, configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil,
        _ body: @escaping @Sendable (LinkSite) async throws -> Void
    ) async throws {
        let mail = CapturedMail()
        let routes = NIOLockedValueBox<[Route]>([])
        try await TestDatabases.withDatabase(kind) { test in
            var configuration = LiveServer.configuration(for: test)
            configuration.siteURL = LinkCheckerTests.base
            configuration.siteName = "The Daily Quorum"
            if demo { _ = try await DemoContent.load(into: test.database, configuration: configuration) }
            let app = try buildApplication(
                configuration: configuration, database: test.database, logger: TestDatabases.logger, mailTransport: mail,
                configureRouter: { router in
                    configureRouter?(router)
                    routes.withLockedValue { $0 = router.routes.map { Route(method: $0.method, path: $0.path) } }
                }
            )
            try await app.test(.live) { client in
                try await body(LinkSite(client: client, mail: mail, routes: routes.withLockedValue { $0 }))
            }
        }
    }

    /// The route that answers `method` at `path` (its query ignored), if any.
    func route(_ method: HTTPRequest.Method, _ path: String) -> RouterPath? {
        let segments = (path.split(separator: "?", maxSplits: 1).first ?? "").split(separator: "/")
        return routes.first { $0.matches(method, segments) }?.path
    }

    func routed(_ method: HTTPRequest.Method, _ path: String) -> Bool { route(method, path) != nil }

    /// GETs that are not fetched, only checked against the routes: the live-comment stream never ends, and
    /// opening a review step hands the reader a review task.
    static let notFetched: [SiteURL] = [.commentsLive(""), .commentReview(0), .review]

    func isNotFetched(_ path: String) -> Bool {
        let segments = (path.split(separator: "?", maxSplits: 1).first ?? "").split(separator: "/")
        return Self.notFetched.contains { Route(method: .get, path: RouterPath($0)).matches(.get, segments) }
    }

    /// Breadth first from `seeds`, following links, redirects and GET forms on this site; forms that post are
    /// checked against the routes. `follow: false` checks the seeds' links without going further; `perRoute`
    /// fetches at most that many addresses of one route and only checks the others against the routes.
    func crawl(_ browser: Browser, seeds: [String], follow: Bool = true, perRoute: Int? = nil) async throws -> Result {
        var result = Result()
        var queue: [(url: String, on: String?)] = seeds.map { ($0, nil) }
        var seen: Set<String> = []
        var variants: [Substring: Int] = [:]
        var perRouteCount: [String: Int] = [:]
        var next = 0
        while next < queue.count, result.fetched.count < Self.pageLimit {
            let (url, on) = queue[next]
            next += 1
            guard let path = Self.internalPath(url), seen.insert(path).inserted else { continue }
            let bare = path.split(separator: "?", maxSplits: 1)[0]
            if path.contains("?") {
                variants[bare, default: 0] += 1
                if variants[bare]! > Self.variantsPerPath { continue }
            }
            let place = on.map { " (on \($0))" } ?? ""
            if let perRoute, let route = route(.get, path), route.description != "/" {
                perRouteCount[route.description, default: 0] += 1
                if perRouteCount[route.description]! > perRoute { continue }
            }
            if isNotFetched(path) {
                if !routed(.get, path) { result.failures.append("no GET route for \(path)\(place)") }
                continue
            }
            let response = try await browser.get(path)
            result.fetched.insert(path)
            if response.status == .notFound || response.status.code >= 500 {
                result.failures.append("\(response.status.code) \(path)\(place)")
                continue
            }
            if let location = response.headers[.location], (300..<400).contains(response.status.code) {
                queue.append((location, path))
                continue
            }
            guard on == nil || follow else { continue }
            let type = response.headers[.contentType] ?? ""
            guard type.contains("html") || type.contains("xml") else { continue }
            let page = String(buffer: response.body)
            for link in Self.links(in: page) { queue.append((link, path)) }
            for form in Self.forms(in: page) {
                if form.method == "post" {
                    for target in form.targets {
                        guard let target = Self.internalPath(target) else { continue }
                        result.formsChecked += 1
                        if !routed(.post, target) { result.failures.append("no POST route for \(target) (form on \(path))") }
                    }
                } else if let action = form.targets.first {
                    queue.append((action, path))
                }
            }
        }
        return result
    }

    /// The path and query of a link on this site (no fragment), or nil for other sites, `mailto:` and `#…`.
    static func internalPath(_ raw: String) -> String? {
        var url = decode(raw)
        if url.hasPrefix(LinkCheckerTests.base + "/") { url.removeFirst(LinkCheckerTests.base.count) }
        if let hash = url.firstIndex(of: "#") { url = String(url[..<hash]) }
        guard url.hasPrefix("/"), !url.hasPrefix("//") else { return nil }
        return url
    }

    /// `a href`, `link href`, `img src`, `script src`, and sitemap `<loc>`s.
    static func links(in page: String) -> [String] {
        matches(#"\s(?:href|src)="([^"]*)""#, in: page) + matches(#"<loc>([^<]+)</loc>"#, in: page)
    }

    /// Each form's method and where it sends: its action and any button's `formaction`.
    static func forms(in page: String) -> [(method: String, targets: [String])] {
        matches(#"(<form\b[^>]*>[\s\S]*?</form>)"#, in: page).map { form in
            let tag = String(form[..<(form.firstIndex(of: ">") ?? form.endIndex)])
            let method = matches(#"\smethod="([^"]*)""#, in: tag).first?.lowercased() ?? "get"
            return (method, matches(#"\saction="([^"]*)""#, in: tag) + matches(#"\sformaction="([^"]*)""#, in: form))
        }
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    static func decode(_ attribute: String) -> String {
        attribute.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
