import Foundation
import SQLKit
import Testing
@testable import Comments
@testable import QuorumStore
@testable import QuorumWeb

/// `quorum import-comments` run as a separate process on fixtures written from the published formats (a Disqus
/// export; WordPress WXR 1.2), then the database read back.
@Suite("Comment import")
struct CommentImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/import").path

    struct Row: Equatable {
        var body: String
        var parent: String?
        var author: String
        var email: String
        var page: String
        var publishedAt: Int64?
        var status: String
    }

    /// Every comment, keyed by its body's first line, with its parent's first line and its thread's address.
    static func comments(_ db: Database) async throws -> [String: Row] {
        let rows = try await db.read { db in
            try await db.raw("""
                SELECT c.body, p.body AS parent, u.display_name, u.email, e.url, c.published_at, c.status
                FROM comments c JOIN users u ON u.id = c.author_id JOIN embed_pages e ON e.article_id = c.article_id
                LEFT JOIN comments p ON p.id = c.parent_id
                """).all()
        }
        var out: [String: Row] = [:]
        for row in rows {
            let body = try row.decode(column: "body", as: String.self)
            let key = String(body.split(separator: "\n").first ?? "")
            out[key] = Row(body: body, parent: try row.decode(column: "parent", as: String?.self).map { String($0.split(separator: "\n").first ?? "") },
                           author: try row.decode(column: "display_name", as: String.self), email: try row.decode(column: "email", as: String.self),
                           page: try row.decode(column: "url", as: String.self), publishedAt: try row.decode(column: "published_at", as: Int64?.self),
                           status: try row.decode(column: "status", as: String.self))
        }
        return out
    }

    static func run(_ format: String, _ file: String, _ test: TestDatabase) async throws -> QuorumProcess.Result {
        try await QuorumProcess.run(["import-comments", format, fixtures + "/" + file], environment: ["QUORUM_DATABASE_URL": test.url])
    }

    static func ms(_ text: String) -> Int64 { Timestamp(ISOTime.parse(text)!).milliseconds }

    @Test(arguments: TestDatabases.kinds)
    func disqusExportKeepsNestingSkipsDeletedAndSpamAndIsIdempotent(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let first = try await Self.run("disqus", "disqus.xml", test)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("imported 8 comment(s) into 2 new thread(s) with 4 new author(s); 0 already imported, 2 skipped"), "\(first.stdout)")
            #expect(first.stderr.contains("100% line 117/117: 8 imported"), "\(first.stderr)")
            #expect(first.stderr.contains("s left"))

            let rows = try await Self.comments(test.database)
            #expect(rows.count == 8)
            let harbour = "https://news.example/2026/harbour-vote"
            let top = try #require(rows["Tom & Jerry <3 the harbour"])
            #expect(top.body == "Tom & Jerry <3 the harbour\n\nSecond paragraph with the plan (https://example.org/plan).\nNew line.")
            #expect(top.parent == nil)
            #expect(top.page == harbour)
            #expect(top.author == "Zoë Ångström")
            #expect(top.email == "reader@example.com")
            #expect(top.publishedAt == Self.ms("2026-05-01T09:30:00Z"))
            #expect(top.status == "published")
            // Six deep, the sixth before its parent in the file.
            #expect(rows["Escaped & twice: 日本語 ✓"]?.parent == "Tom & Jerry <3 the harbour")
            #expect(rows["Depth three"]?.parent == "Escaped & twice: 日本語 ✓")
            #expect(rows["Depth four"]?.parent == "Depth three")
            #expect(rows["Depth five"]?.parent == "Depth four")
            #expect(rows["Depth six, written before its parent in the file"]?.parent == "Depth five")
            // The reply to a deleted comment hangs from the deleted one's parent; its author had no email.
            let orphan = try #require(rows["Reply to a deleted comment"])
            #expect(orphan.parent == "Escaped & twice: 日本語 ✓")
            #expect(orphan.author == "No Email Person")
            #expect(orphan.email.hasSuffix("@import.invalid"))
            #expect(rows["This was deleted"] == nil && rows["Buy cheap watches"] == nil)
            let anonymous = try #require(rows["No author at all on the café"])
            #expect(anonymous.author == "Anonymous")
            #expect(anonymous.page == "https://news.example/2026/caf%C3%A9-review")

            // Counted in the authors' records and in the thread's count.
            let records = try await test.database.read { db in
                try await db.raw("SELECT u.email, r.record FROM author_records r JOIN users u ON u.id = r.user_id").all()
            }
            var published: [String: Int] = [:]
            for row in records {
                let record = try JSONDecoder().decode(AuthorRecordProbe.self, from: Data(try row.decode(column: "record", as: String.self).utf8))
                published[try row.decode(column: "email", as: String.self)] = record.published
            }
            #expect(published["reader@example.com"] == 3)
            #expect(published["ben@example.com"] == 3)

            let second = try await Self.run("disqus", "disqus.xml", test)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("imported 0 comment(s) into 0 new thread(s) with 0 new author(s); 8 already imported"), "\(second.stdout)")
            #expect(try await Self.comments(test.database).count == 8)
            let again = try await test.database.read { db in
                try await db.raw("SELECT r.record FROM author_records r JOIN users u ON u.id = r.user_id WHERE u.email = 'reader@example.com'").first(decodingColumn: "record", as: String.self)
            }
            #expect(try JSONDecoder().decode(AuthorRecordProbe.self, from: Data(try #require(again).utf8)).published == 3, "a second run counts nothing again")
        }
    }

    struct AuthorRecordProbe: Decodable { var published: Int }

    @Test(arguments: TestDatabases.kinds)
    func wordpressExportKeepsApprovedCommentsOnly(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let first = try await Self.run("wordpress", "wordpress.xml", test)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("imported 3 comment(s) into 1 new thread(s) with 3 new author(s); 0 already imported, 3 skipped"), "\(first.stdout)")
            let rows = try await Self.comments(test.database)
            #expect(Set(rows.keys) == ["First from WordPress & friends", "Reply to the spam, so to the first", "Anonymous, with emphasis"])
            #expect(rows["First from WordPress & friends"]?.publishedAt == Self.ms("2026-05-01T09:30:00Z"))
            #expect(rows["First from WordPress & friends"]?.page == "https://news.example/2026/harbour-vote")
            #expect(rows["Reply to the spam, so to the first"]?.parent == "First from WordPress & friends")
            #expect(rows["Anonymous, with emphasis"]?.parent == "Reply to the spam, so to the first")
            #expect(rows["Anonymous, with emphasis"]?.author == "Anonymous")
            let second = try await Self.run("wordpress", "wordpress.xml", test)
            #expect(second.stdout.contains("imported 0 comment(s)"), "\(second.stdout)")
            #expect(try await Self.comments(test.database).count == 3)
        }
    }

    @Test func brokenFilesNameTheLine() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let broken = try await Self.run("disqus", "disqus-broken.xml", test)
            #expect(broken.status == 1)
            #expect(broken.stderr.contains("disqus-broken.xml:8: the XML is not well-formed"), "\(broken.stderr)")
            // What came before the error is kept, and a fixed file would add only the rest.
            #expect(try await Self.comments(test.database).keys.sorted() == ["ok"])
            let wrongFormat = try await QuorumProcess.run(["import-comments", "livefyre", Self.fixtures + "/disqus.xml"], environment: ["QUORUM_DATABASE_URL": test.url])
            #expect(wrongFormat.status != 0)
            #expect(wrongFormat.stderr.contains("disqus or wordpress"))
        }
    }

    /// An imported author's account is claimed by signing in with the emailed code to the same address: the
    /// session is that account's, so its comments are the reader's.
    @Test(arguments: TestDatabases.kinds)
    func aReaderClaimsTheirImportedCommentsByTheEmailedCode(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let imported = try await Self.run("disqus", "disqus.xml", test)
            #expect(imported.status == 0, "\(imported.stderr)")
            let author = try #require(try await test.database.read { db in try await UserRows.find(where: "email", equals: "reader@example.com", on: db) })
            let sessionsBefore = try await test.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM sessions WHERE user_id = \(bind: author.id)").first(decodingColumn: "n", as: Int.self)
            }
            #expect(sessionsBefore == 0, "nobody is signed in as an imported author")
            try await LiveServer.signIn(browser, mail, email: "reader@example.com")
            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.text.contains("reader@example.com"))
            let sessions = try await test.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM sessions WHERE user_id = \(bind: author.id)").first(decodingColumn: "n", as: Int.self)
            }
            #expect(sessions == 1, "the emailed code signs the reader into the imported account")
            let users = try await test.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM users WHERE email = 'reader@example.com'").first(decodingColumn: "n", as: Int.self)
            }
            #expect(users == 1)
        }
    }
}
