import ArgumentParser

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations and print what was applied."
    )

    @OptionGroup var site: SiteOptions

    func run() async throws {
        let configuration = try site.configuration()
        let applied = try await Store.using(configuration) { database in try await Migrator(database: database).migrate() }
        if applied.isEmpty {
            print("The database at \(configuration.database) is up to date; nothing to apply.")
        } else {
            for migration in applied { print("applied \(migration.version) \(migration.name)") }
            print("\(applied.count) migration(s) applied to \(configuration.database).")
        }
    }
}
