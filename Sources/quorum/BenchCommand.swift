import ArgumentParser
import Foundation
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

/// Tools for benchmarks (bench/ scripts), not for running a site.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark tools: fill a database with realistic data.",
        subcommands: [BenchSeedCommand.self]
    )
}

struct BenchSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Give one article a large comment thread: authors, replies, statuses, picks, recommendations and reviews.",
        discussion: "Migrates first. The article is created (published, section news) if it does not exist. Deterministic for a --seed."
    )

    @OptionGroup var site: SiteOptions

    @Option(help: "Published comments to add (besides about 4% more in other states).")
    var comments: Int

    @Option(help: "The article's slug.")
    var article: String

    @Option(help: "Authors to create.")
    var authors: Int = 5_000

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 42

    func validate() throws {
        guard comments >= 1 else { throw ValidationError("--comments must be at least 1") }
        guard authors >= 4 else { throw ValidationError("--authors must be at least 4 (reviews need three other readers)") }
        guard Slug.isValid(article) else { throw ValidationError("--article must be a slug: lower-case letters, digits and hyphens") }
    }

    func run() async throws {
        let configuration = try site.configuration()
        var seeder = ThreadSeeder(comments: comments)
        seeder.authors = authors
        seeder.seed = seed
        let summary = try await Store.using(configuration) { database in
            try await Migrator(database: database).migrate()
            return try await seeder.run(database: database, articleSlug: article) { line in
                FileHandle.standardError.write(Data("seed: \(line)\n".utf8))
            }
        }
        print("Seeded \(summary).")
    }
}
