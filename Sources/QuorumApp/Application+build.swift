import Accounts
import Comments
import Hummingbird
import Logging
import Membership
import NIOCore
import Payments
import Publishing
import Readership
import Shop
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

import ServiceLifecycle

/// Builds the web application for an open store. The caller owns the database: it opens it (and migrates)
/// before, and closes it after the application has stopped.
///
/// `configureRouter` lets an embedding program or a test add routes next to Quorum's own. `clock` is the time
/// publishing reads (tests move it forward instead of sleeping); `bus` carries page-cache invalidations and
/// comment notices between instances: by default ``PostgresBus`` on PostgreSQL (instances may share the
/// database), ``LocalInvalidationBus`` on SQLite (one process). A bus that is also a `Service` (the PostgreSQL
/// one listens on a connection of its own) runs with the application and stops with it. `mailTransport`
/// replaces where email goes (tests); by default it is the configured SMTP server, or a folder. `payments` are the
/// membership's providers; by default those configured in the environment (``PaymentSettings``).
public func buildApplication(
    configuration: QuorumConfiguration,
    database: Database,
    logger: Logger,
    clock: SiteClock = .system,
    bus: (any InvalidationBus)? = nil,
    mailTransport: (any MailTransport)? = nil,
    payments: [any PaymentProvider]? = nil,
    readership: ReadershipSettings = .fromEnvironment(),
    configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil,
    activeMembers: (@Sendable () async throws -> Int)? = nil
) throws -> some ApplicationProtocol {
    let bus = try bus ?? defaultBus(database: database, logger: logger)
    let built = try buildRouter(
        configuration: configuration, database: database, logger: logger, clock: clock, bus: bus, payments: payments,
        readership: readership, configureRouter: configureRouter, activeMembers: activeMembers
    )
    let cache = built.publishing.cache
    let transport = mailTransport ?? MailTransports.make(configuration: configuration, logger: logger)
    return Application(
        // The embed's frame (/embed/…) answers the site's own thread pages, so it comes before the routing.
        router: EmbedFrameRouting(router: built.router, embed: built.embed),
        server: .http1(configuration: .init(additionalChannelHandlers: [CachedPageChannelHandler(cache: cache, installsWireTier: true)])),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: nil
        ),
        services: [
            PublishingScheduler(service: built.publishing.service, interval: configuration.schedulerInterval, logger: logger),
            MailDelivery(database: database, transport: transport, signal: built.site.mail, logger: logger),
            CommentSweeper(comments: built.comments, interval: .seconds(60)),
            RateLimitPruner(limiter: built.site.limiter, logger: logger),
            MembershipUpkeep(service: built.membership),
            MembershipSettingsRefresh(configuration: built.membership.configuration, settings: built.site.settings, logger: logger),
            ReadershipFlusher(service: built.readership),
            ShopUpkeep(service: built.shop),
        ] + [bus].compactMap { $0 as? any Service },
        logger: logger
    )
}

/// The bus a site gets unless told otherwise: PostgreSQL's between instances, else in-process.
public func defaultBus(database: Database, logger: Logger) throws -> any InvalidationBus {
    try PostgresBus.forSite(database: database, logger: logger) ?? LocalInvalidationBus()
}

/// The router with every route of the site, and the features behind it. This is the one place that knows every
/// feature: it builds each, wires the seams between them (Publishing's article directory for Comments, the
/// comment thread as a section of the article page, every feature's part of the API description) and installs
/// their routes behind the site-wide middleware.
func buildRouter(
    configuration: QuorumConfiguration,
    database: Database,
    logger: Logger,
    clock: SiteClock = .system,
    bus: any InvalidationBus = LocalInvalidationBus(),
    payments: [any PaymentProvider]? = nil,
    readership readershipSettings: ReadershipSettings = ReadershipSettings(),
    configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil,
    activeMembers: (@Sendable () async throws -> Int)? = nil
) throws -> (router: Router<QuorumContext>, site: Site, publishing: Publishing, comments: CommentService, membership: MembershipService,
             readership: ReadershipService, embed: EmbedService, shop: ShopService) {
    Telemetry.bootstrap()
    let theme = try Theme.load(overrides: configuration.themeDirectory)
    let site = Site(configuration: configuration, database: database, theme: theme, logger: logger)
    // Readership counts every reader page, the page cache's fast path included (one call per answer).
    let counter = ReadershipCounter(settings: readershipSettings, clock: clock, siteURL: configuration.siteURL)
    let readership = ReadershipService(database: database, counter: counter, bus: bus, logger: logger, activeMembers: activeMembers)
    let security = SecurityHeaders(configuration: configuration)
    let cache = PageCache(bus: bus, views: counter, extraHeaders: security.fields)
    let publishing = Publishing(site: site, bus: bus, cache: cache, users: site.users, now: clock.now)
    let comments = CommentService(
        site: site, bus: bus, articles: PublishedArticles(), screen: SitePreScreen.configured(site: site),
        events: CommentEvents(bus: bus), now: clock.now
    )

    let router = Router(context: QuorumContext.self)
    router.add(middleware: SecurityHeadersMiddleware(headers: security))
    router.add(middleware: CompressionMiddleware())
    router.add(middleware: PageCacheFastPath(cache: cache))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(pages: site.pages))
    let routeMethods = RouteMethods()
    router.add(middleware: MethodNotAllowedMiddleware(routes: routeMethods))
    AccountsFeature.addMiddleware(to: router, site: site)
    // Every feature's /api/admin/ endpoints take bearer tokens only (after the session, whose identity it replaces).
    router.add(middleware: publishing.adminAPIAuthentication)
    router.add(middleware: readership.middleware)
    OperationsRoutes(site: site, apiParts: { [OpenAPI.publishing, OpenAPI.comments, OpenAPI.membership, OpenAPI.readership, OpenAPI.embedding] },
                     readershipCounting: { [counter] in counter.isCounting }).addRoutes(to: router)
    AssetRoutes(site: site).addRoutes(to: router)
    // Providers given by the caller (tests) win; otherwise the site's settings, the environment until saved.
    var membership = MembershipService(database: database, configuration: MembershipConfiguration(providers: payments),
                                       roles: UserRoleGrants(), siteURL: configuration.siteURL, logger: logger,
                                       now: { clock.now().date })
    // The shop takes payments through membership's providers and webhooks: order payments (`ord_` ids) are its.
    let shop = ShopService(database: database, bus: bus, mail: ShopMail(site: site), logger: logger, now: { clock.now().date })
    membership.orders = ShopPayments(shop: shop)
    let shopPages = ShopPages(site: site, service: shop, checkoutProvider: { [membership] in membership.configuration.checkoutProvider },
                              navigation: SectionNavigation(publishing: publishing), markdown: { Markdown.html($0) })
    let membershipPages = MembershipPages(site: site, service: membership, navigation: SectionNavigation(publishing: publishing),
                                          signIn: SignInOnPage(site: site))
    AccountsFeature.addRoutes(to: router, site: site, accountSections: [membershipPages.accountSection, ShopAccountSection(pages: shopPages)])
    // Promotions are the editors' (readership): the membership call to action among them, linking to /membership.
    publishing.addRoutes(to: router, articleSections: [CommentThreadSection(comments: comments)],
                         promotionSource: ReadershipPromotions(service: readership, figures: ShopPromotionFigures(service: shop)))
    readership.addRoutes(to: router, site: site)
    comments.addRoutes(to: router, cache: cache)
    // Threads on other sites: pages there stand as articles never shown as such (Publishing's).
    let embed = EmbedService(comments: comments, pages: ExternalArticles(), signIn: ExternalAccounts(site: site))
    embed.addRoutes(to: router)
    membership.addRoutes(to: router)
    membershipPages.addRoutes(to: router)
    shopPages.addRoutes(to: router)
    ShopAdmin(pages: shopPages, providers: { [membership] in membership.providers },
              storeImage: { [images = publishing.images] in try await images.save($0).name }, imageLimit: publishing.images.maxBytes)
        .addRoutes(to: router)
    // Conversion on the membership dashboard: new members ÷ the readership's 30-day unique readers.
    MembershipAdmin(site: site, service: membership, uniqueReaders: { [readership] in try await readership.uniqueReaders(lastDays: 30) })
        .addRoutes(to: router)
    configureRouter?(router)
    routeMethods.load(router)
    return (router, site, publishing, comments, membership, readership, embed, shop)
}
