import Foundation
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Import")
struct ImportTests {
    static func folder(_ files: [String: String]) throws -> String {
        let folder = TestDatabases.folder + "/" + TestDatabases.uniqueName("import")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        return folder
    }

    static let good = """
    ---
    slug: imported-one
    headline: "Imported: the first"
    standfirst: A standfirst
    section: world
    sectionName: World
    authors: [Ana Ruiz, ben-okafor]
    tags: [Ports, Weather]
    published: 2026-05-01T09:00:00Z
    hero:
      url: /images/0123456789abcdef.png
      alt: A pier
      caption: The pier at dusk.
      credit: "Photo: Wire / Someone"
    wireCredit: Reporting by A; Editing by B
    ---
    The body, in *Markdown*.

    > A quote.
    """

    @Test(arguments: TestDatabases.kinds)
    func importsEverythingInOneGo(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let folder = try Self.folder([
                "01-one.md": Self.good,
                "02-two.md": "---\nslug: imported-two\nheadline: Second\nsection: new-desk\nstatus: draft\n---\nDraft body.\n",
                "03-three.md": "---\nslug: imported-three\nheadline: Third\nsection: world\nstatus: scheduled\npublishAt: 2099-01-01T00:00:00Z\n---\nLater.\n",
                "notes.txt": "ignored",
            ])
            let lines = LinesBox()
            let count = try await ArticleImporter(database: test.database).run(directory: folder) { lines.append($0) }
            #expect(count == 3)
            #expect(lines.all.count == 4)
            #expect(lines.all.last?.contains("[3/3]") == true)
            let store = ArticleStore(database: test.database)
            let one = try #require(try await store.article(slug: "imported-one"))
            #expect(one.status == .published)
            #expect(one.publishedAt == Timestamp(ISOTime.parse("2026-05-01T09:00:00Z")!))
            #expect(one.authors.map(\.name) == ["Ana Ruiz", "Ben Okafor"])
            #expect(one.hero?.credit == "Photo: Wire / Someone")
            #expect(one.body.hasPrefix("The body, in *Markdown*."))
            #expect(try await store.article(slug: "imported-two")?.status == .draft)
            #expect(try await store.section(slug: "new-desk")?.name == "New Desk")
            #expect(try await store.article(slug: "imported-three")?.status == .scheduled)
            #expect(try await store.search("markdown").articles.map(\.slug) == ["imported-one"])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func correctionsAreImportedWithTheirDates(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let text = "---\nslug: corrected\nheadline: C\nsection: world\npublished: 2026-05-01T09:00:00Z\ncorrections:\n"
                + "  - at: 2026-05-01T10:30:00Z\n    note: \"An earlier version gave the wrong day.\"\n  - {at: \"2026-05-02T08:00:00Z\", note: Second fix}\n---\nBody.\n"
            let parsed = try ArticleImporter.parse(file: "c.md", text: text)
            #expect(parsed.corrections == [
                .init(at: Timestamp(ISOTime.parse("2026-05-01T10:30:00Z")!), note: "An earlier version gave the wrong day."),
                .init(at: Timestamp(ISOTime.parse("2026-05-02T08:00:00Z")!), note: "Second fix"),
            ])
            _ = try await ArticleImporter(database: test.database).run(directory: try Self.folder(["c.md": text]))
            let article = try #require(try await ArticleStore(database: test.database).article(slug: "corrected"))
            #expect(article.corrections.map(\.note) == ["An earlier version gave the wrong day.", "Second fix"])
            #expect(article.corrections.first?.at == Timestamp(ISOTime.parse("2026-05-01T10:30:00Z")!))
            for bad in ["corrections: oops", "corrections:\n  - at: 2026-05-01T10:30:00Z", "corrections:\n  - note: x\n    at: soon"] {
                #expect(throws: ArticleImporter.Failure.self, "\(bad)") {
                    try ArticleImporter.parse(file: "c.md", text: "---\nslug: c\nheadline: C\nsection: world\n\(bad)\n---\nx")
                }
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aBadFileNamesItsLineAndNothingIsImported(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let importer = ArticleImporter(database: test.database)
            let store = ArticleStore(database: test.database)
            func failure(_ files: [String: String]) async throws -> ArticleImporter.Failure? {
                let folder = try Self.folder(files)
                do {
                    _ = try await importer.run(directory: folder)
                    return nil
                } catch let failure as ArticleImporter.Failure {
                    return failure
                }
            }
            // YAML syntax error on line 4 of the second file.
            let yaml = try #require(try await failure(["a.md": Self.good, "b.md": "---\nslug: b\nheadline: B\ntags: [unclosed\nsection: world\n---\nx"]))
            #expect(yaml.file.hasSuffix("b.md"))
            #expect(yaml.line == 4 || yaml.line == 5, "\(yaml)")
            #expect(yaml.description.contains("b.md:\(yaml.line): front matter is not valid YAML"))
            #expect(try await store.article(slug: "imported-one") == nil, "nothing imported")

            let badSlug = try #require(try await failure(["a.md": Self.good, "b.md": "---\nheadline: B\nslug: Not Valid\nsection: world\n---\n"]))
            #expect(badSlug.line == 3)
            let missing = try #require(try await failure(["b.md": "---\nslug: b\nsection: world\n---\nbody"]))
            #expect(missing.message.contains("'headline' is required"))
            let unknown = try #require(try await failure(["b.md": "---\nslug: b\nheadline: B\nsection: world\nhedline: typo\n---\n"]))
            #expect(unknown.line == 5)
            #expect(try #require(try await failure(["b.md": "no front matter"])).line == 1)

            // A slug already on the site is found while writing: the transaction rolls back the files before it.
            let existing = try await Fixtures.newsroom(test.database)
            _ = try await existing.create(Fixtures.input("taken"))
            let conflict = try #require(try await failure(["a.md": Self.good, "b.md": "---\nheadline: B\nsection: world\nslug: taken\n---\n"]))
            #expect(conflict.file.hasSuffix("b.md"))
            #expect(conflict.line == 4)
            #expect(conflict.message.contains("already exists"))
            #expect(try await store.article(slug: "imported-one") == nil, "nothing imported")
            #expect(try await store.author(slug: "ana-ruiz")?.bio == "Correspondent", "authors untouched")
        }
    }
}

final class LinesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

@Suite("Publishing commands", .serialized)
struct PublishingCommandTests {
    let folder: String = {
        let path = TestDatabases.folder + "/" + TestDatabases.uniqueName("pubcli")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test func importShowsProgressAndFailsWithFileAndLine() async throws {
        let url = "sqlite://\(folder)/import.sqlite"
        let good = try ImportTests.folder(["one.md": ImportTests.good])
        let result = try await QuorumProcess.run(["import", good], environment: ["QUORUM_DATABASE_URL": url])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("[1/1] "))
        #expect(result.stdout.contains("imported 1 article(s)"))
        let bad = try ImportTests.folder(["a.md": ImportTests.good.replacingOccurrences(of: "imported-one", with: "imported-two"), "b.md": "---\nslug: b\nheadline: [\n---\n"])
        let failed = try await QuorumProcess.run(["import", bad], environment: ["QUORUM_DATABASE_URL": url])
        #expect(failed.status == 1)
        #expect(failed.stderr.hasPrefix("quorum: error: \(bad)/b.md:"), "\(failed.stderr)")
        #expect(failed.stderr.contains("nothing was imported"))
        #expect(failed.stderr.split(separator: "\n").count == 1)
    }

    @Test func tokenCreatePrintsATokenOnce() async throws {
        let url = "sqlite://\(folder)/token.sqlite"
        _ = try await QuorumProcess.run(["user", "create", "--email", "ed@example.com", "--role", "editor"], environment: ["QUORUM_DATABASE_URL": url])
        let created = try await QuorumProcess.run(["token", "create", "--email", "ed@example.com", "--name", "cms"], environment: ["QUORUM_DATABASE_URL": url])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(token.hasPrefix("qrm_") && token.count == 68)
        let missing = try await QuorumProcess.run(["token", "create", "--email", "nobody@example.com"], environment: ["QUORUM_DATABASE_URL": url])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no user with email nobody@example.com"))
        let help = try await QuorumProcess.run(["--help"])
        #expect(help.stdout.contains("  import ") && help.stdout.contains("  token "))
    }
}
