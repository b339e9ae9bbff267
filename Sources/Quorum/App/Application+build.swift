import Hummingbird
import Logging
import NIOCore

/// Builds the web application for an open store. The caller owns the database: it opens it (and migrates)
/// before, and closes it after the application has stopped.
///
/// `configureRouter` lets an embedding program or a test add routes next to Quorum's own.
public func buildApplication(
    configuration: QuorumConfiguration,
    database: Database,
    logger: Logger,
    configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil
) throws -> some ApplicationProtocol {
    Telemetry.bootstrap()
    let theme = try Theme.load(overrides: configuration.themeDirectory)
    let site = Site(configuration: configuration, database: database, theme: theme, logger: logger)

    let router = Router(context: QuorumContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(pages: site.pages))
    OperationsRoutes(site: site).addRoutes(to: router)
    AssetRoutes(site: site).addRoutes(to: router)
    HomeRoutes(site: site).addRoutes(to: router)
    configureRouter?(router)

    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: nil
        ),
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
