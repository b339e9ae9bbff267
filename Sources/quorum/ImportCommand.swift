import ArgumentParser
import Foundation

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import Markdown files with YAML front matter as articles (all or nothing)."
    )

    @OptionGroup var site: SiteOptions

    @Argument(help: "Folder of .md files; each starts with YAML front matter (slug, headline, section, …).")
    var directory: String

    func run() async throws {
        let configuration = try site.configuration()
        do {
            let count = try await Store.using(configuration, migrate: true) { database in
                try await ArticleImporter(database: database).run(directory: directory) { line in print(line) }
            }
            print("imported \(count) article(s)")
        } catch let failure as ArticleImporter.Failure {
            throw ConfigurationError("\(failure.description) (nothing was imported)")
        }
    }
}
