import Foundation
import Hummingbird

/// Every address of the site in one place: reader, comment, account, moderation, admin, API and asset paths.
/// Each case's pattern is written once, in ``route``; routes are registered from it (`RouterPath(SiteURL.x)`)
/// and links are built from it (`SiteURL.x(…).path`), so renaming one cannot leave a dead link.
public enum SiteURL: Sendable, Equatable {
    // MARK: Reader (Publishing)
    case home
    case article(String)
    case section(String)
    case sectionFeed(String)
    case tag(String)
    case author(String)
    case search(String?)
    case feed
    case sitemap
    case newsSitemap
    case robots
    case image(String)

    // MARK: Editors (Publishing)
    case adminArticles
    case adminNewArticle
    case adminEdit(Int64)
    case adminPreview(Int64)
    case adminPublish(Int64)
    case adminSchedule(Int64)
    case adminCorrection(Int64)
    case adminImage(Int64)

    // MARK: Comments
    /// The thread page; `sort` and `page` choose what it shows.
    case comments(String, sort: String? = nil, page: Int? = nil)
    /// The form to write a comment, or a reply to `parent`.
    case commentWrite(String, parent: Int64? = nil)
    case commentsLive(String)
    // Membership
    case membership
    case membershipCheckout
    case membershipWelcome(membership: String? = nil)
    case providerWebhook(String)
    /// The offer with an amount already chosen (kept across signing in).
    case membershipChoice(interval: String?, amount: String?)
    /// Signing in on the offer itself: the email, then the emailed code.
    case membershipSignIn
    case membershipSignInCode
    case membershipPause
    case membershipResume
    case membershipAmount
    case membershipCancel
    /// Undoing a cancellation before the paid period ends.
    case membershipKeep
    /// An on-hold member fixes the payment: the provider's page (Stripe's portal) or a new checkout.
    case membershipFix(membership: String? = nil)
    /// One-off contributions: the page (GET), its checkout (POST), the page readers come back to.
    case membershipGive
    case membershipGiven(contribution: String? = nil)
    /// The demo's built-in test payment provider (`quorum demo` only): the base its in-process Stripe API is
    /// addressed by (never served), and its checkout and card-update pages.
    case demoPayments
    case demoCheckoutPage(String)
    case demoPortalPage(String)
    /// One stream for every article a browser shows (its tabs share it).
    case liveComments(articles: String? = nil)
    case comment(Int64)
    /// The next review before a comment can be submitted; `extra` asks for an optional one more.
    case commentReview(Int64, extra: Bool = false)
    case commentRate(Int64)
    case commentRecommend(Int64)
    case commentFlag(Int64)
    case commentDelete(Int64)
    /// Reviewing outside the posting flow.
    case review

    // MARK: Moderation and comment settings
    case moderation(queue: String? = nil)
    case moderateComment(Int64)
    case restoreCommenting(Int64)
    case adminComments

    // MARK: Embedding (threads on other sites)
    /// The script a host page includes, and the one that fills comment counts on its listings.
    case embedScript
    case countScript
    case adminEmbedding
    /// The embed's frame for the page at `url`: its thread, made on first use.
    case embedThread(url: String? = nil, title: String? = nil)
    /// Published counts by page address: `?url=…&url=…`.
    case apiCounts

    // MARK: Accounts
    case signIn(next: String? = nil)
    case signInCode(request: String? = nil)
    case signInLink(token: String? = nil)
    case signInPassword
    case signOut
    case account
    case accountName
    case accountEmail
    case accountEmailConfirm(token: String? = nil)
    case accountRevokeSession
    case accountSignOutEverywhere
    case accountPassword
    case accountExport
    case accountDelete

    // MARK: People, audit, mail and settings (admins)
    case adminUsers
    case adminUser(Int64)
    case adminUserRoles(Int64)
    case adminUserStatus(Int64)
    case adminInvitations
    case adminAudit
    case adminMail
    case adminMailRetry(Int64)
    case adminSettings

    // MARK: Membership (admins)
    case adminMembership
    case adminMembers(status: String? = nil, q: String? = nil, after: String? = nil)
    case adminMembersExport(status: String? = nil, q: String? = nil)
    case adminMember(String)
    case adminMemberRevoke(String)
    case adminHonorary
    case adminMembershipSettings
    case apiAdminMembershipDashboard

    // MARK: Assets and operations
    /// A theme asset; `version` (its content hash) makes the address change when the file does.
    // MARK: Readership and promotions
    case adminReadership
    case apiAdminReadership
    case adminPromotions
    case adminNewPromotion
    case adminPromotion(Int64)
    case adminEditPromotion(Int64)
    case adminPromotionPreview
    /// Deleting a promotion: the confirmation (GET) and the deletion (POST).
    case adminPromotionDelete(Int64)
    case promotionClick(Int64)

    // MARK: Shop
    case shop
    case shopProduct(String)
    case shopCart
    case shopCartAdd
    case shopCartUpdate
    case shopCheckout
    case shopOrder(String, token: String? = nil)
    case adminShop
    case adminShopNewProduct
    case adminShopProduct(String)
    case adminShopPreview(String)
    case adminShopStock(String)
    case adminShopOrders(status: String? = nil, q: String? = nil)
    case adminShopOrder(String)
    case adminShopShip(String)
    case adminShopRefund(String)
    case adminShopPackingSlip(String)
    case adminShopOrdersExport(status: String? = nil, q: String? = nil)
    case adminShopDonations(from: String? = nil, to: String? = nil)
    case adminShopDonationsExport(from: String? = nil, to: String? = nil)

    case asset(String, version: String? = nil)
    /// The theme's `assets/favicon.ico`, where browsers look for it.
    case favicon
    case health
    case metrics
    case openAPI

    // MARK: Public API (v1)
    case apiArticles
    case apiArticle(String)
    case apiSearch
    case apiSections
    case apiSession
    case apiSignIn
    case apiSignInCode
    case apiSignOut
    case apiArticleComments(String)
    case apiComment(Int64)
    case apiReviewTaskFor(Int64)
    case apiReviewTask(Int64)
    case apiSubmit(Int64)
    case apiRecommend(Int64)
    case apiFlag(Int64)
    case apiCommentCounts
    case apiModerationQueue(String)
    case apiModerateComment(Int64)

    // MARK: Admin API (bearer tokens)
    case apiAdminArticles
    case apiAdminArticle(Int64)
    case apiAdminPublish(Int64)
    case apiAdminSchedule(Int64)
    case apiAdminCorrections(Int64)
    case apiAdminImages
    case apiAdminSections
    case apiAdminAuthors

    /// The one place each address is written: its pattern in Hummingbird's syntax (`:name` captures a
    /// segment), the values that fill the captures in order, and the query it carries (nil values are left out).
    public var route: (pattern: String, values: [String], query: [(String, String?)]) {
        switch self {
        case .home: ("/", [], [])
        case .article(let slug): ("/article/:slug", [slug], [])
        case .section(let slug): ("/section/:slug", [slug], [])
        case .sectionFeed(let slug): ("/section/:slug/feed.xml", [slug], [])
        case .tag(let slug): ("/tag/:slug", [slug], [])
        case .author(let slug): ("/author/:slug", [slug], [])
        case .search(let query): ("/search", [], [("q", query)])
        case .feed: ("/feed.xml", [], [])
        case .sitemap: ("/sitemap.xml", [], [])
        case .newsSitemap: ("/news-sitemap.xml", [], [])
        case .robots: ("/robots.txt", [], [])
        case .image(let name): ("/images/:name", [name], [])

        case .adminArticles: ("/admin/articles", [], [])
        case .adminNewArticle: ("/admin/articles/new", [], [])
        case .adminEdit(let id): ("/admin/articles/:id/edit", ["\(id)"], [])
        case .adminPreview(let id): ("/admin/articles/:id/preview", ["\(id)"], [])
        case .adminPublish(let id): ("/admin/articles/:id/publish", ["\(id)"], [])
        case .adminSchedule(let id): ("/admin/articles/:id/schedule", ["\(id)"], [])
        case .adminCorrection(let id): ("/admin/articles/:id/corrections", ["\(id)"], [])
        case .adminImage(let id): ("/admin/articles/:id/image", ["\(id)"], [])

        case .comments(let slug, let sort, let page): ("/article/:slug/comments", [slug], [("sort", sort), ("page", page.map(String.init))])
        case .commentWrite(let slug, let parent): ("/article/:slug/comments/new", [slug], [("parent", parent.map(String.init))])
        case .commentsLive(let slug): ("/article/:slug/comments/live", [slug], [])
        case .membership: ("/membership", [], [])
        case .membershipCheckout: ("/membership/checkout", [], [])
        case .membershipWelcome(let membership): ("/membership/welcome", [], [("m", membership)])
        case .providerWebhook(let provider): ("/webhooks/:provider", [provider], [])
        case .membershipChoice(let interval, let amount): ("/membership", [], [("interval", interval), ("amount", amount)])
        case .membershipSignIn: ("/membership/signin", [], [])
        case .membershipSignInCode: ("/membership/signin/code", [], [])
        case .membershipPause: ("/membership/pause", [], [])
        case .membershipResume: ("/membership/resume", [], [])
        case .membershipAmount: ("/membership/amount", [], [])
        case .membershipCancel: ("/membership/cancel", [], [])
        case .membershipKeep: ("/membership/keep", [], [])
        case .membershipFix(let membership): ("/membership/fix", [], [("m", membership)])
        case .membershipGive: ("/membership/give", [], [])
        case .membershipGiven(let contribution): ("/membership/given", [], [("c", contribution)])
        case .demoPayments: ("/demo-payments", [], [])
        case .demoCheckoutPage(let session): ("/demo-payments/pay/:session", [session], [])
        case .demoPortalPage(let customer): ("/demo-payments/portal/:customer", [customer], [])
        case .liveComments(let articles): ("/comments/live", [], [("articles", articles)])
        case .comment(let id): ("/comments/:id", ["\(id)"], [])
        case .commentReview(let id, let extra): ("/comments/:id/review", ["\(id)"], [("extra", extra ? "1" : nil)])
        case .commentRate(let id): ("/comments/:id/rate", ["\(id)"], [])
        case .commentRecommend(let id): ("/comments/:id/recommend", ["\(id)"], [])
        case .commentFlag(let id): ("/comments/:id/flag", ["\(id)"], [])
        case .commentDelete(let id): ("/comments/:id/delete", ["\(id)"], [])
        case .review: ("/review", [], [])

        case .moderation(let queue): ("/moderation", [], [("queue", queue)])
        case .moderateComment(let id): ("/moderation/comments/:id", ["\(id)"], [])
        case .restoreCommenting(let id): ("/moderation/users/:id/restore-commenting", ["\(id)"], [])
        case .adminComments: ("/admin/comments", [], [])
        case .embedScript: ("/embed.js", [], [])
        case .countScript: ("/count.js", [], [])
        case .adminEmbedding: ("/admin/embedding", [], [])
        case .embedThread(let url, let title): ("/embed", [], [("url", url), ("title", title)])
        case .apiCounts: ("/api/v1/counts", [], [])

        case .signIn(let next): ("/signin", [], [("next", next)])
        case .signInCode(let request): ("/signin/code", [], [("request", request)])
        case .signInLink(let token): ("/signin/link", [], [("token", token)])
        case .signInPassword: ("/signin/password", [], [])
        case .signOut: ("/signout", [], [])
        case .account: ("/account", [], [])
        case .accountName: ("/account/name", [], [])
        case .accountEmail: ("/account/email", [], [])
        case .accountEmailConfirm(let token): ("/account/email/confirm", [], [("token", token)])
        case .accountRevokeSession: ("/account/sessions/revoke", [], [])
        case .accountSignOutEverywhere: ("/account/sessions/signout-everywhere", [], [])
        case .accountPassword: ("/account/password", [], [])
        case .accountExport: ("/account/export", [], [])
        case .accountDelete: ("/account/delete", [], [])

        case .adminUsers: ("/admin/users", [], [])
        case .adminUser(let id): ("/admin/users/:id", ["\(id)"], [])
        case .adminUserRoles(let id): ("/admin/users/:id/roles", ["\(id)"], [])
        case .adminUserStatus(let id): ("/admin/users/:id/status", ["\(id)"], [])
        case .adminInvitations: ("/admin/invitations", [], [])
        case .adminAudit: ("/admin/audit", [], [])
        case .adminMail: ("/admin/mail", [], [])
        case .adminMailRetry(let id): ("/admin/mail/:id/retry", ["\(id)"], [])
        case .adminSettings: ("/admin/settings", [], [])

        case .adminMembership: ("/admin/membership", [], [])
        case .adminMembers(let status, let q, let after): ("/admin/membership/members", [], [("status", status), ("q", q), ("after", after)])
        case .adminMembersExport(let status, let q): ("/admin/membership/members.csv", [], [("status", status), ("q", q)])
        case .adminMember(let id): ("/admin/membership/members/:id", [id], [])
        case .adminMemberRevoke(let id): ("/admin/membership/members/:id/revoke", [id], [])
        case .adminHonorary: ("/admin/membership/honorary", [], [])
        case .adminMembershipSettings: ("/admin/membership/settings", [], [])
        case .apiAdminMembershipDashboard: ("/api/admin/membership/dashboard", [], [])
        case .adminReadership: ("/admin/readership", [], [])
        case .apiAdminReadership: ("/api/admin/readership", [], [])
        case .adminPromotions: ("/admin/promotions", [], [])
        case .adminNewPromotion: ("/admin/promotions/new", [], [])
        case .adminPromotion(let id): ("/admin/promotions/:id", ["\(id)"], [])
        case .adminEditPromotion(let id): ("/admin/promotions/:id/edit", ["\(id)"], [])
        case .adminPromotionPreview: ("/admin/promotions/preview", [], [])
        case .adminPromotionDelete(let id): ("/admin/promotions/:id/delete", ["\(id)"], [])
        case .promotionClick(let id): ("/promotions/:id/click", ["\(id)"], [])
        case .shop: ("/shop", [], [])
        case .shopProduct(let slug): ("/shop/:slug", [slug], [])
        case .shopCart: ("/shop/cart", [], [])
        case .shopCartAdd: ("/shop/cart/add", [], [])
        case .shopCartUpdate: ("/shop/cart/update", [], [])
        case .shopCheckout: ("/shop/checkout", [], [])
        case .shopOrder(let id, let token): ("/shop/orders/:id", [id], [("t", token)])
        case .adminShop: ("/admin/shop", [], [])
        case .adminShopNewProduct: ("/admin/shop/products/new", [], [])
        case .adminShopProduct(let id): ("/admin/shop/products/:id", [id], [])
        case .adminShopPreview(let id): ("/admin/shop/products/:id/preview", [id], [])
        case .adminShopStock(let id): ("/admin/shop/products/:id/stock", [id], [])
        case .adminShopOrders(let status, let q): ("/admin/shop/orders", [], [("status", status), ("q", q)])
        case .adminShopOrder(let id): ("/admin/shop/orders/:id", [id], [])
        case .adminShopShip(let id): ("/admin/shop/orders/:id/ship", [id], [])
        case .adminShopRefund(let id): ("/admin/shop/orders/:id/refund", [id], [])
        case .adminShopPackingSlip(let id): ("/admin/shop/orders/:id/slip", [id], [])
        case .adminShopOrdersExport(let status, let q): ("/admin/shop/orders.csv", [], [("status", status), ("q", q)])
        case .adminShopDonations(let from, let to): ("/admin/shop/donations", [], [("from", from), ("to", to)])
        case .adminShopDonationsExport(let from, let to): ("/admin/shop/donations.csv", [], [("from", from), ("to", to)])

        case .asset(let name, let version): ("/assets/:name", [name], [("v", version)])
        case .favicon: ("/favicon.ico", [], [])
        case .health: ("/healthz", [], [])
        case .metrics: ("/metrics", [], [])
        case .openAPI: ("/api/openapi.json", [], [])

        case .apiArticles: ("/api/v1/articles", [], [])
        case .apiArticle(let slug): ("/api/v1/articles/:slug", [slug], [])
        case .apiSearch: ("/api/v1/search", [], [])
        case .apiSections: ("/api/v1/sections", [], [])
        case .apiSession: ("/api/v1/session", [], [])
        case .apiSignIn: ("/api/v1/signin", [], [])
        case .apiSignInCode: ("/api/v1/signin/code", [], [])
        case .apiSignOut: ("/api/v1/signout", [], [])
        case .apiArticleComments(let slug): ("/api/v1/articles/:slug/comments", [slug], [])
        case .apiComment(let id): ("/api/v1/comments/:id", ["\(id)"], [])
        case .apiReviewTaskFor(let id): ("/api/v1/comments/:id/review-task", ["\(id)"], [])
        case .apiReviewTask(let id): ("/api/v1/review-tasks/:id", ["\(id)"], [])
        case .apiSubmit(let id): ("/api/v1/comments/:id/submit", ["\(id)"], [])
        case .apiRecommend(let id): ("/api/v1/comments/:id/recommend", ["\(id)"], [])
        case .apiFlag(let id): ("/api/v1/comments/:id/flag", ["\(id)"], [])
        case .apiCommentCounts: ("/api/v1/comment-counts", [], [])
        case .apiModerationQueue(let queue): ("/api/v1/moderation/queues/:queue", [queue], [])
        case .apiModerateComment(let id): ("/api/v1/moderation/comments/:id", ["\(id)"], [])

        case .apiAdminArticles: ("/api/admin/v1/articles", [], [])
        case .apiAdminArticle(let id): ("/api/admin/v1/articles/:id", ["\(id)"], [])
        case .apiAdminPublish(let id): ("/api/admin/v1/articles/:id/publish", ["\(id)"], [])
        case .apiAdminSchedule(let id): ("/api/admin/v1/articles/:id/schedule", ["\(id)"], [])
        case .apiAdminCorrections(let id): ("/api/admin/v1/articles/:id/corrections", ["\(id)"], [])
        case .apiAdminImages: ("/api/admin/v1/images", [], [])
        case .apiAdminSections: ("/api/admin/v1/sections", [], [])
        case .apiAdminAuthors: ("/api/admin/v1/authors", [], [])
        }
    }

    /// The route pattern alone, e.g. `/article/:slug`.
    public var pattern: String { route.pattern }

    /// The path, starting with `/`, with its query if it has one.
    public var path: String {
        let (pattern, values, query) = route
        var path = ""
        path.reserveCapacity(pattern.utf8.count + 16)
        var value = values.makeIterator()
        for segment in pattern.split(separator: "/") {
            path += "/"
            if segment.first == ":" { path += value.next() ?? "" } else { path += segment }
        }
        if path.isEmpty { path = "/" }
        var separator = "?"
        for case let (name, text?) in query {
            path += separator + name + "=" + Self.encode(text, search: name == "q")
            separator = "&"
        }
        return path
    }

    /// The absolute URL on a site whose base is `base` (no trailing slash).
    public func absolute(_ base: String) -> String { base + path }

    /// Query values keep `/`, `:` and `?` readable (`next=/article/x`); what would end the value is escaped.
    /// Search terms escape everything but letters and digits, as they always have.
    static func encode(_ text: String, search: Bool) -> String {
        text.addingPercentEncoding(withAllowedCharacters: search ? .alphanumerics : queryValue) ?? ""
    }

    private static let queryValue: CharacterSet = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+=#"))
}

extension SiteURL {
    /// Only paths on this site: `/x` but never `//host` or `http://…`, so the link cannot send a reader elsewhere.
    public static func safeRedirect(_ next: String) -> String {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), next.count < 500,
              !next.contains(where: { $0.isNewline || $0 == "\0" })
        else { return "/" }
        return next
    }
}

/// A stand-in value for a capture, so that a case's constructor can name its route without a real value.
public protocol SiteURLPlaceholder { static var placeholder: Self { get } }
extension String: SiteURLPlaceholder { public static var placeholder: String { "" } }
extension Int64: SiteURLPlaceholder { public static var placeholder: Int64 { 0 } }
extension Bool: SiteURLPlaceholder { public static var placeholder: Bool { false } }
extension Optional: SiteURLPlaceholder { public static var placeholder: Wrapped? { nil } }

extension RouterPath {
    /// The route of `url`'s case (its values are not used): `router.get(RouterPath(SiteURL.account))`.
    public init(_ url: SiteURL) { self.init(url.pattern) }

    /// The route of a case that takes values: `router.get(RouterPath(SiteURL.article))`.
    public init<A: SiteURLPlaceholder>(_ url: (A) -> SiteURL) { self.init(url(.placeholder)) }
    public init<A: SiteURLPlaceholder, B: SiteURLPlaceholder>(_ url: (A, B) -> SiteURL) { self.init(url(.placeholder, .placeholder)) }
    public init<A: SiteURLPlaceholder, B: SiteURLPlaceholder, C: SiteURLPlaceholder>(_ url: (A, B, C) -> SiteURL) {
        self.init(url(.placeholder, .placeholder, .placeholder))
    }
}
