import Hummingbird
import Logging
import NIOCore

/// Builds the web application for an open store. The caller owns the database: it opens it (and migrates)
/// before, and closes it after the application has stopped.
///
/// `configureRouter` lets an embedding program or a test add routes next to Quorum's own. `clock` is the time
/// publishing reads (tests move it forward instead of sleeping); `bus` carries page-cache invalidations
/// between instances (one process: the default in-process bus).
public func buildApplication(
    configuration: QuorumConfiguration,
    database: Database,
    logger: Logger,
    clock: SiteClock = .system,
    bus: any InvalidationBus = LocalInvalidationBus(),
    configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil
) throws -> some ApplicationProtocol {
    let (router, publishing) = try buildRouter(
        configuration: configuration, database: database, logger: logger, clock: clock, bus: bus, configureRouter: configureRouter
    )
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: nil
        ),
        services: [PublishingScheduler(service: publishing.service, interval: configuration.schedulerInterval, logger: logger)],
        logger: logger
    )
}

/// The router with every route of the site, and the publishing feature behind it.
func buildRouter(
    configuration: QuorumConfiguration,
    database: Database,
    logger: Logger,
    clock: SiteClock = .system,
    bus: any InvalidationBus = LocalInvalidationBus(),
    configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil
) throws -> (Router<QuorumContext>, Publishing) {
    Telemetry.bootstrap()
    let theme = try Theme.load(overrides: configuration.themeDirectory)
    let site = Site(configuration: configuration, database: database, theme: theme, logger: logger)
    let publishing = Publishing(site: site, bus: bus, now: clock.now)

    let router = Router(context: QuorumContext.self)
    router.add(middleware: PageCacheFastPath(cache: publishing.cache))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(pages: site.pages))
    OperationsRoutes(site: site).addRoutes(to: router)
    AssetRoutes(site: site).addRoutes(to: router)
    ReaderRoutes(publishing: publishing).addRoutes(to: router)
    ImageRoutes(publishing: publishing).addRoutes(to: router)
    PublicAPIRoutes(publishing: publishing).addRoutes(to: router)
    AdminAPIRoutes(publishing: publishing).addRoutes(to: router)
    AdminPageRoutes(publishing: publishing).addRoutes(to: router)
    configureRouter?(router)
    return (router, publishing)
}
