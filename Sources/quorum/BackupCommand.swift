import ArgumentParser

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite site to a file while it is serving (PostgreSQL: explains pg_dump)."
    )

    @OptionGroup var site: SiteOptions

    @Option(help: "The file to write; it must not exist yet.")
    var to: String

    func run() async throws {
        let configuration = try site.configuration()
        let bytes = try await Store.using(configuration) { database in try await Backup.copy(database, to: to) }
        print("backed up \(configuration.database) to \(to) (\(bytes) bytes)")
    }
}
