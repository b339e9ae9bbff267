import Hummingbird
import Logging
import NIOCore

/// Builds the web application for an open store. The caller owns the database: it opens it (and migrates)
/// before, and closes it after the application has stopped.
///
/// `configureRouter` lets an embedding program or a test add routes next to Quorum's own.
/// `mailTransport` replaces where email goes (tests); by default it is the configured SMTP server, or a folder.
public func buildApplication(
    configuration: QuorumConfiguration,
    database: Database,
    logger: Logger,
    mailTransport: (any MailTransport)? = nil,
    configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil
) throws -> some ApplicationProtocol {
    Telemetry.bootstrap()
    let theme = try Theme.load(overrides: configuration.themeDirectory)
    let site = Site(configuration: configuration, database: database, theme: theme, logger: logger)

    let router = Router(context: QuorumContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(pages: site.pages))
    router.add(middleware: SessionMiddleware(sessions: site.sessions, secureCookies: site.secureCookies))
    router.add(middleware: PostRateLimitMiddleware(limiter: site.limiter, settings: site.settings))
    router.add(middleware: CSRFMiddleware(siteOrigin: CSRFMiddleware.origin(of: configuration.siteURL) ?? configuration.siteBase))
    OperationsRoutes(site: site).addRoutes(to: router)
    AssetRoutes(site: site).addRoutes(to: router)
    HomeRoutes(site: site).addRoutes(to: router)
    SignInRoutes(site: site).addRoutes(to: router)
    AccountRoutes(site: site).addRoutes(to: router)
    AdminUserRoutes(site: site).addRoutes(to: router)
    configureRouter?(router)

    let transport = mailTransport ?? MailTransports.make(configuration: configuration, logger: logger)
    let delivery = MailDelivery(database: database, transport: transport, signal: site.mail, logger: logger)

    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: nil
        ),
        services: [delivery],
        logger: logger
    )
}

/// The front page.
struct HomeRoutes {
    let site: Site

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("/") { _, _ in
            try site.pages.html("home", ["message": "Independent journalism, moderated by its readers."])
        }
    }
}
