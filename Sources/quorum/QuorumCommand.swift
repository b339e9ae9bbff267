import ArgumentParser
import Foundation
import Logging
import NIOCore

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

@main
struct QuorumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "A newsroom: articles, reader-moderated comments, membership and a shop.",
        subcommands: [
            ServeCommand.self, DemoCommand.self, MigrateCommand.self, UserCommand.self, BackupCommand.self,
        ] + extraSubcommands,
        defaultSubcommand: ServeCommand.self
    )

    /// Runs the command; problems with configuration or the environment end in one line and exit status 1.
    static func main() async {
        // Before anything opens the database: metrics made before the backend exists would go nowhere.
        Telemetry.bootstrap()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationError {
            fail(error.message)
        } catch let error as MigrationError {
            fail(error.description)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            fail("the address is already in use: another program is listening on that host and port (choose another with --port or QUORUM_LISTEN)")
        } catch let error as IOError where error.errnoCode == EACCES {
            fail("permission denied to listen on that port (ports below 1024 need privileges; choose another with --port)")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            fail("cannot listen on that host: the address is not available on this machine")
        } catch let error as UserStore.Failure {
            fail(error.description)
        } catch {
            exit(withError: error)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("quorum: error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// Settings shared by every command that touches the site, over the `QUORUM_*` environment.
struct SiteOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "Database URL (overrides QUORUM_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Address to listen on (overrides QUORUM_LISTEN's host).")
    var host: String?

    @Option(help: "Port to listen on (overrides QUORUM_LISTEN's port).")
    var port: Int?

    @Option(name: .customLong("site-url"), help: "Public URL of the site (overrides QUORUM_SITE_URL).")
    var siteURL: String?

    @Option(name: .customLong("theme-dir"), help: "Theme folder overriding the default theme (overrides QUORUM_THEME_DIR).")
    var themeDirectory: String?

    @Option(name: .customLong("data-dir"), help: "Folder for uploads and files (overrides QUORUM_DATA_DIR).")
    var dataDirectory: String?

    func configuration(defaults: [String: String] = [:]) throws -> QuorumConfiguration {
        var environment = defaults.merging(ProcessInfo.processInfo.environment) { _, new in new }
        if let databaseURL { environment["QUORUM_DATABASE_URL"] = databaseURL }
        if let themeDirectory { environment["QUORUM_THEME_DIR"] = themeDirectory }
        if let dataDirectory { environment["QUORUM_DATA_DIR"] = dataDirectory }
        if host != nil || port != nil {
            let current = try QuorumConfiguration.fromEnvironment(environment)
            environment["QUORUM_LISTEN"] = "\(host ?? current.host):\(port ?? current.port)"
            if siteURL == nil, environment["QUORUM_SITE_URL"] == nil || defaults["QUORUM_SITE_URL"] != nil {
                environment["QUORUM_SITE_URL"] = nil
            }
        }
        if let siteURL { environment["QUORUM_SITE_URL"] = siteURL }
        return try QuorumConfiguration.fromEnvironment(environment)
    }
}

enum Store {
    /// Opens the configured store, optionally brings its schema up to date, runs `body`, and closes the store
    /// whatever happens: the shape of every command that works on the site's data.
    static func using<R>(_ configuration: QuorumConfiguration, migrate: Bool = false, _ body: (Database) async throws -> R) async throws -> R {
        let database = try await Database.open(configuration.database, options: configuration.databaseOptions, logger: Logs.make(level: .warning))
        do {
            if migrate { try await Migrator(database: database).migrate() }
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }
}

enum Logs {
    /// One handler for the process, writing to standard output with each line's metadata (the request id among it).
    static func make(level: Logger.Level) -> Logger {
        LoggingBootstrap.once()
        var logger = Logger(label: "quorum")
        logger.logLevel = level
        return logger
    }
}
