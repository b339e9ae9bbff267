import ArgumentParser
import Foundation
import Quorum

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
        let database = try await Database.open(configuration.database, options: configuration.databaseOptions, logger: Logs.make(level: .warning))
        do {
            try await Migrator(database: database).migrate()
            let count = try await ArticleImporter(database: database).run(directory: directory) { line in print(line) }
            print("imported \(count) article(s)")
        } catch let failure as ArticleImporter.Failure {
            await database.close()
            throw ConfigurationError("\(failure.description) (nothing was imported)")
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
