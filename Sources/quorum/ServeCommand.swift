import ArgumentParser
import Hummingbird
import Logging

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumBus
import QuorumStore
import QuorumWeb

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the site (the default command)."
    )

    @OptionGroup var site: SiteOptions

    @Flag(name: .customLong("no-migrate"), help: "Do not apply pending migrations at start (refuse to start if any are pending).")
    var noMigrate = false

    func run() async throws {
        var configuration = try site.configuration()
        configuration.migrateOnStart = !noMigrate
        try await Server.run(configuration)
    }
}

/// Opens the store, brings its schema up to date, serves until SIGTERM or SIGINT, then closes the store.
enum Server {
    /// `demoPayments`: the demo's built-in test payment provider instead of the providers in the environment.
    static func run(_ configuration: QuorumConfiguration, demoPayments: DemoPayments? = nil,
                    afterMigrations: (@Sendable (Database, Logger) async throws -> Void)? = nil, onReady: (@Sendable () -> Void)? = nil) async throws {
        let logger = Logs.make(level: configuration.logLevel)
        let database = try await Database.open(configuration.database, options: configuration.databaseOptions, logger: logger)
        do {
            let migrator = Migrator(database: database)
            if configuration.migrateOnStart {
                try await migrator.migrate(logger: logger)
            } else {
                let pending = try await migrator.pending()
                if !pending.isEmpty {
                    throw ConfigurationError("\(pending.count) migration(s) are pending; run `quorum migrate` or start without --no-migrate")
                }
            }
            try await afterMigrations?(database, logger)
            for problem in try await settingsProblems(database: database) {
                logger.error("\(problem)")
            }
            // PostgreSQL: instances sharing the database tell each other what changed (LISTEN/NOTIFY).
            let bus = try defaultBus(database: database, logger: logger)
            let app = try buildApplication(configuration: configuration, database: database, logger: logger, bus: bus,
                                           payments: demoPayments?.providers) { router in demoPayments?.addRoutes(to: router) }
            let sharing = bus is PostgresBus ? "changes shared with other instances on channel \(PostgresBus.channel)" : "changes kept in this process"
            logger.info("serving \(configuration.siteBase) on \(configuration.host):\(configuration.port) with \(configuration.database); \(sharing)")
            onReady?()
            try await app.runService()
        } catch {
            await database.close()
            throw error
        }
        await database.close()
        logger.info("stopped")
    }
}
