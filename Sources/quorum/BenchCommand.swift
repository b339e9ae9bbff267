import Accounts
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
        subcommands: [BenchSeedCommand.self, BenchReadersCommand.self]
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

struct BenchReadersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readers",
        abstract: "Create signed-in readers for a benchmark: one JSON line each with its session cookie and CSRF token.",
        discussion: "Migrates first. Readers are bench-reader-N@example.com; existing ones get a fresh session. Prints secrets: for benchmarks only."
    )

    @OptionGroup var site: SiteOptions

    @Option(help: "Readers to sign in.")
    var count: Int

    func validate() throws {
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be from 1 to 10000") }
    }

    func run() async throws {
        let configuration = try site.configuration()
        let lines = try await Store.using(configuration) { database in
            try await Migrator(database: database).migrate()
            let users = UserStore(database: database), sessions = SessionStore(database: database)
            var lines: [String] = []
            for n in 1...count {
                let email = "bench-reader-\(n)@example.com"
                var found = try await users.find(email: email)
                if found == nil { found = try await users.create(email: email, displayName: "Bench Reader \(n)", roles: []) }
                guard let user = found else { continue }
                let session = try await sessions.create(userID: user.id, userAgent: "quorum bench")
                let line = try JSONSerialization.data(withJSONObject: ["user": user.id, "cookie": session.id, "csrf": session.csrfToken], options: [.sortedKeys])
                lines.append(String(decoding: line, as: UTF8.self))
            }
            return lines
        }
        print(lines.joined(separator: "\n"))
    }
}
