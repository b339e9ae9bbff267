import Foundation
import SQLKit
import Testing
@testable import Comments
@testable import QuorumStore

/// An import killed part-way and run again ends with exactly the rows of one uninterrupted run, and a further
/// run adds nothing. The file is generated so that most replies come before their parents, some parents are
/// deleted or spam (and come later still), some are absent from the file, so every way of linking is exercised
/// across batch boundaries.
@Suite("Comment import resumed after a kill")
struct CommentImportResumeTests {
    struct Post {
        var id: String
        var parent: String?
        var skipped: Bool
        var thread: Int
        var author: Int
        var message: String
    }

    static let count = 1200

    /// Posts p0…p1199: a forest whose parents are up to 30 posts earlier in id order, written to the file in a
    /// scrambled order (id × 7919 mod 1200), so most replies are read before their parents.
    static let posts: [Post] = {
        var seed: UInt64 = 0x5eed
        func random(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int((seed >> 33) % UInt64(n)) }
        return (0..<count).map { j in
            var parent: String? = j > 0 && j % 6 != 0 ? "p\(max(0, j - 1 - random(30)))" : nil
            if j % 97 == 5 { parent = "gone\(j)" }   // a parent the file does not have
            let skipped = j % 13 == 3 || j % 29 == 4
            let message = j % 53 == 7 ? "<p> </p>" : "<p>Comment \(j) &amp; friends, café ☕</p><p>second paragraph</p>"
            return Post(id: "p\(j)", parent: parent, skipped: skipped, thread: j % 5, author: j % 40, message: message)
        }
    }()

    static func kept(_ post: Post) -> Bool { !post.skipped && !post.message.hasPrefix("<p> ") }

    /// The parent each kept post must end with: its nearest kept ancestor in the file, if any.
    static let expectedParents: [String: String] = {
        let byID = Dictionary(uniqueKeysWithValues: posts.map { ($0.id, $0) })
        var out: [String: String] = [:]
        for post in posts where kept(post) {
            var at = post.parent
            while let id = at, let ancestor = byID[id] {
                if kept(ancestor) { out[post.id] = id; break }
                at = ancestor.parent
            }
        }
        return out
    }()

    static func writeFile() throws -> String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">

            """
        for t in 0..<5 {
            xml += "<thread dsq:id=\"t\(t)\"><link>https://news.example/2026/story-\(t)/</link><title>Story \(t)</title></thread>\n"
        }
        for k in 0..<count {
            let post = posts[(k * 7919) % count]
            let author = post.author % 8 == 7
                ? "<author><name>Nameless \(post.author)</name></author>"
                : "<author><name>Reader \(post.author)</name><email>reader\(post.author)@example.com</email></author>"
            let parent = post.parent.map { "<parent dsq:id=\"\($0)\" />" } ?? ""
            xml += """
                <post dsq:id="\(post.id)"><message><![CDATA[\(post.message)]]></message>\
                <createdAt>2026-05-01T09:\(String(format: "%02d", k / 60 % 60)):\(String(format: "%02d", k % 60))Z</createdAt>\
                <isDeleted>\(post.skipped && post.author % 2 == 0)</isDeleted><isSpam>\(post.skipped && post.author % 2 == 1)</isSpam>\
                \(author)<thread dsq:id="t\(post.thread)" />\(parent)</post>

                """
        }
        xml += "</disqus>\n"
        let path = TestDatabases.folder + "/" + TestDatabases.uniqueName("resume") + ".xml"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every row the import makes, with ids replaced by what names them in the file, sorted.
    static func snapshot(_ db: Database) async throws -> [String] {
        try await db.read { db in
            var lines: [String] = []
            for row in try await db.raw("""
                SELECT ic.source_id, pic.source_id AS parent, u.email, e.url, c.body, c.status, c.created_at, c.submitted_at,
                       c.published_at, c.reviews_required, c.reviews_optional, ic.counted
                FROM imported_comments ic JOIN comments c ON c.id = ic.comment_id JOIN users u ON u.id = c.author_id
                JOIN embed_pages e ON e.article_id = c.article_id
                LEFT JOIN imported_comments pic ON pic.comment_id = c.parent_id
                """).all() {
                let parent = try row.decode(column: "parent", as: String?.self) ?? "-"
                lines.append("comment \(try row.decode(column: "source_id", as: String.self)) parent=\(parent) "
                    + "author=\(try row.decode(column: "email", as: String.self)) page=\(try row.decode(column: "url", as: String.self)) "
                    + "status=\(try row.decode(column: "status", as: String.self)) at=\(try row.decode(column: "created_at", as: Int64.self))/"
                    + "\(try row.decode(column: "submitted_at", as: Int64?.self) ?? -1)/\(try row.decode(column: "published_at", as: Int64?.self) ?? -1) "
                    + "reviews=\(try row.decode(column: "reviews_required", as: Int.self))/\(try row.decode(column: "reviews_optional", as: Int.self)) "
                    + "counted=\(try row.decode(column: "counted", as: Int.self)) body=\(try row.decode(column: "body", as: String.self).debugDescription)")
            }
            for row in try await db.raw("SELECT COUNT(*) AS n FROM comments").all() {
                lines.append("comments \(try row.decode(column: "n", as: Int.self))")
            }
            for row in try await db.raw("""
                SELECT u.email, u.display_name, u.status, r.role FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
                """).all() {
                lines.append("user \(try row.decode(column: "email", as: String.self)) \(try row.decode(column: "display_name", as: String.self)) "
                    + "\(try row.decode(column: "status", as: String.self)) \(try row.decode(column: "role", as: String?.self) ?? "-")")
            }
            for row in try await db.raw("""
                SELECT a.source, a.author_key, u.email FROM imported_authors a JOIN users u ON u.id = a.user_id
                """).all() {
                lines.append("imported author \(try row.decode(column: "source", as: String.self)) \(try row.decode(column: "author_key", as: String.self)) "
                    + "\(try row.decode(column: "email", as: String.self))")
            }
            for row in try await db.raw("SELECT source, source_id, parent_source_id, kept FROM imported_posts").all() {
                lines.append("post \(try row.decode(column: "source", as: String.self)) \(try row.decode(column: "source_id", as: String.self)) "
                    + "parent=\(try row.decode(column: "parent_source_id", as: String?.self) ?? "-") kept=\(try row.decode(column: "kept", as: Int.self))")
            }
            for row in try await db.raw("SELECT u.email, r.record FROM author_records r JOIN users u ON u.id = r.user_id").all() {
                var record = try JSONSerialization.jsonObject(with: Data(try row.decode(column: "record", as: String.self).utf8)) as! [String: Any]
                record["authorID"] = nil
                let json = String(decoding: try JSONSerialization.data(withJSONObject: record, options: .sortedKeys), as: UTF8.self)
                lines.append("record \(try row.decode(column: "email", as: String.self)) \(json)")
            }
            for row in try await db.raw("""
                SELECT e.url, e.origin, a.headline, a.status, n.published FROM embed_pages e JOIN articles a ON a.id = e.article_id
                LEFT JOIN comment_counts n ON n.article_id = e.article_id
                """).all() {
                lines.append("page \(try row.decode(column: "url", as: String.self)) \(try row.decode(column: "origin", as: String.self)) "
                    + "\(try row.decode(column: "headline", as: String.self)) \(try row.decode(column: "status", as: String.self)) "
                    + "count=\(try row.decode(column: "published", as: Int?.self) ?? -1)")
            }
            return lines.sorted()
        }
    }

    static func imported(_ db: Database) async throws -> Int {
        try await db.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM imported_comments").first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aKilledImportRunAgainEndsAsOneUninterruptedRun(kind: DatabaseKind) async throws {
        let file = try Self.writeFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let keptCount = Self.posts.filter(Self.kept).count
        try await TestDatabases.withDatabase(kind) { whole in
            try await TestDatabases.withDatabase(kind) { resumed in
                // One uninterrupted run, the whole file in one batch.
                let reference = try await QuorumProcess.run(["import-comments", "disqus", file], environment: ["QUORUM_DATABASE_URL": whole.url])
                #expect(reference.status == 0, "\(reference.stderr)")
                #expect(reference.stdout.contains("imported \(keptCount) comment(s) into 5 new thread(s) with 40 new author(s); 0 already imported"),
                        "\(reference.stdout)")
                let expected = try await Self.snapshot(whole.database)

                // The file's own answer: every kept post hangs from its nearest kept ancestor.
                let parents = try await whole.database.read { db in
                    try await db.raw("""
                        SELECT ic.source_id, pic.source_id AS parent FROM imported_comments ic JOIN comments c ON c.id = ic.comment_id
                        LEFT JOIN imported_comments pic ON pic.comment_id = c.parent_id
                        """).all().map { (try $0.decode(column: "source_id", as: String.self), try $0.decode(column: "parent", as: String?.self)) }
                }
                #expect(parents.count == keptCount)
                var wrong: [String] = []
                for (id, parent) in parents where parent != Self.expectedParents[id] {
                    wrong.append("\(id): \(parent ?? "top") instead of \(Self.expectedParents[id] ?? "top")")
                }
                #expect(wrong.isEmpty, "\(wrong.prefix(10))")
                #expect(Self.expectedParents.count > 700, "most kept posts are replies")

                // The same file in batches of 4, killed (SIGKILL) once some batches are committed.
                let log = TestDatabases.folder + "/" + TestDatabases.uniqueName("resume") + ".log"
                let child = try QuorumProcess.start(["import-comments", "disqus", file, "--batch-size", "4"],
                                                    environment: ["QUORUM_DATABASE_URL": resumed.url], log: log)
                let deadline = Date().addingTimeInterval(60)
                while child.isRunning && Date() < deadline {
                    if try await Self.imported(resumed.database) >= 40 { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                let killedWhileRunning = child.isRunning
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
                #expect(killedWhileRunning, "the import was killed part-way, not after it ended")
                let partial = try await Self.imported(resumed.database)
                #expect(partial > 0 && partial < keptCount, "killed with \(partial) of \(keptCount) written")

                // Run again (other batch boundaries): the rows are exactly the uninterrupted run's.
                let rerun = try await QuorumProcess.run(["import-comments", "disqus", file, "--batch-size", "7"],
                                                        environment: ["QUORUM_DATABASE_URL": resumed.url], timeout: 120)
                #expect(rerun.status == 0, "\(rerun.stderr)")
                #expect(rerun.stdout.contains("imported \(keptCount - partial) comment(s)"), "\(rerun.stdout) after \(partial)")
                let after = try await Self.snapshot(resumed.database)
                #expect(after.count == expected.count)
                let missing = Set(expected).subtracting(after), extra = Set(after).subtracting(expected)
                #expect(missing.isEmpty && extra.isEmpty, "missing \(missing.sorted().prefix(5)); extra \(extra.sorted().prefix(5))")

                // And a further full run adds nothing.
                let again = try await QuorumProcess.run(["import-comments", "disqus", file], environment: ["QUORUM_DATABASE_URL": resumed.url])
                #expect(again.status == 0, "\(again.stderr)")
                #expect(again.stdout.contains("imported 0 comment(s) into 0 new thread(s) with 0 new author(s); \(keptCount) already imported"),
                        "\(again.stdout)")
                #expect(try await Self.snapshot(resumed.database) == expected)
            }
        }
    }
}

/// The exports' two date forms are read without a formatter; the answer is the formatter's.
@Suite struct ExportDateTests {
    @Test func fastDatesAgreeWithTheFormatter() throws {
        let iso = ISO8601DateFormatter()
        var seed: UInt64 = 7
        for _ in 0..<2000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let seconds = Double(seed >> 34 % 4_000_000_000) - 100_000_000
            let text = iso.string(from: Date(timeIntervalSince1970: seconds.rounded()))
            #expect(ExportDelegate.fastDate(text) == iso.date(from: text), "\(text)")
        }
        #expect(ExportDelegate.fastDate("2024-02-29T23:59:59Z") == iso.date(from: "2024-02-29T23:59:59Z"))
        #expect(ExportDelegate.fastDate("2026-05-01 09:30:00") == iso.date(from: "2026-05-01T09:30:00Z"))
        for bad in ["2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-05-01T24:00:00Z", "2026-05-01T09:30:00+02:00", "yesterday"] {
            #expect(ExportDelegate.fastDate(bad) == nil, "\(bad)")
        }
    }

    @Test func layoutKeepsParagraphsAndLines() {
        #expect(CommentHTML.layout("  a  b \r\n c\n\n\n d \u{00A0}e\r") == "a b\nc\n\nd e\r")
        #expect(CommentHTML.layout(" \n \n\n ") == "")
        #expect(CommentHTML.layout("日本語\n\nçé") == "日本語\n\nçé")
    }
}
