import Foundation
import QuorumStore
import QuorumWeb
import ReviewEngine
import SQLKit

/// One comment as an export describes it, before it is written.
public struct ImportedComment: Sendable, Equatable {
    public var sourceID: String
    /// The page's address as the export wrote it, and its title.
    public var pageURL: String
    public var pageTitle: String
    public var parentSourceID: String?
    public var authorName: String
    public var authorEmail: String
    public var createdAt: Date
    /// The export's HTML (reduced by ``CommentHTML/text(_:)`` before it is stored).
    public var html: String
    /// Deleted, spam, unapproved or trash where it came from: never written.
    public var skipped: Bool
    /// The line of the file the comment starts on, for errors.
    public var line: Int
}

/// A problem in the export, at a line of it.
public struct CommentImportFailure: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int
    public let message: String
    public init(file: String, line: Int, message: String) { self.file = file; self.line = line; self.message = message }
    public var description: String { "\(file):\(line): \(message)" }
}

/// What an import did.
public struct CommentImportCounts: Sendable, Equatable {
    public var imported = 0
    public var alreadyImported = 0
    public var skipped = 0
    public var threads = 0
    public var authors = 0
    public init() {}
}

/// Writes comments read from a Disqus or WordPress export (``DisqusExport``, ``WordPressExport``).
///
/// - Threads: each page's address is normalised (``PageAddress``, with the site's kept query parameters) and
///   its thread made through the same seam as an embedded page's first use, so the embed finds it.
/// - Batches: each batch of the file (``batchSize`` posts) is one transaction of a few multi-row statements:
///   one lookup of the batch's posts already recorded, one of its authors and one of its pages not in memory,
///   one insert each of comments, their records and the posts read. Comment ids are reserved before the insert
///   (a sequence on PostgreSQL; past the table's highest id inside SQLite's write lock), so replies within a
///   batch are linked in the same statement.
/// - Idempotent and resumable: every post read is recorded by (source, its id there) with its parent's id there
///   and whether it was kept (`imported_posts`), each comment written by the same key (`imported_comments`), in
///   the transaction that writes it. A post already recorded is not written again, so a run interrupted at any
///   point (killed, a failure) and run again ends with the rows one uninterrupted run makes.
/// - Replies: a comment's parent is the nearest ancestor that was kept. A reply to a deleted, spam or missing
///   comment hangs from that comment's own parent, and so on up; with no kept ancestor it is top level. A reply
///   whose parent comes later in the file is linked when the parent is written (each batch looks up the recorded
///   posts that name its posts as parent) and, for chains through skipped posts, by the pass at the end; both read
///   the recorded posts, not memory, so a rerun after an interruption links them too.
/// - Authors: one account per (source, email) — or per name when the export has no email — made unclaimed: its
///   address is the author's own, it has no password, so nobody signs in as it until a reader proves that
///   address by the emailed code; then the account, and its comments, are theirs. An address already in use is
///   that person's account. Authors without an email get an address under `.invalid` that reaches nobody.
/// - Comments are published at once with their original date, and count in the authors' records: the pass at
///   the end adds each author's comments not counted yet and marks them counted in the same transaction.
/// - Memory: the file is streamed; authors, pages and recently written comments are remembered in maps of at
///   most ``mapLimit`` entries each (the older half is forgotten when one fills, and looked up again if needed).
public struct CommentImporter: Sendable {
    public let database: Database
    public let source: String
    let pages: any ExternalPageArticles
    let settings: EmbedSettings
    /// Posts written per transaction.
    public var batchSize = 1000
    /// Entries each in-memory map (authors, pages, written comments) holds at most.
    public var mapLimit = 100_000
    /// Rows a multi-row statement carries at most (well inside both engines' limits on bound values).
    static let rowsPerStatement = 1000
    /// Authors whose records one transaction of the counting pass updates.
    static let authorsPerRecordPage = 5000

    public init(database: Database, source: String, pages: any ExternalPageArticles) async throws {
        self.database = database
        self.source = source
        self.pages = pages
        self.settings = try await EmbedSettingsCache(settings: SettingsStore(database: database)).current()
    }

    /// What is remembered across batches: bounded maps, and the counts. Changed only after a batch committed.
    final class Maps: @unchecked Sendable {
        var threads: BoundedMap<Int64>
        var authors: BoundedMap<Int64>
        /// Source id → comment id, of comments written or found recently (most parents are recent).
        var written: BoundedMap<Int64>
        var counts = CommentImportCounts()
        init(limit: Int) {
            threads = BoundedMap(limit: limit); authors = BoundedMap(limit: limit); written = BoundedMap(limit: limit)
        }
    }

    /// A post made ready to write (outside the transaction: reducing HTML and normalising addresses is CPU work).
    struct Prepared: Sendable {
        var comment: ImportedComment
        var text: String
        var address: PageAddress?
        var authorKey: String
        var authorAddress: String
        var authorName: String
        /// Written unless skipped where it came from or empty once reduced.
        var keep: Bool { address != nil }
        var parent: String? { comment.parentSourceID.flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// What one committed batch adds to the maps and counts.
    struct Outcome: Sendable {
        var threads: [(String, Int64)] = []
        var authors: [(String, Int64)] = []
        var written: [(String, Int64)] = []
        var counts = CommentImportCounts()
    }

    /// Reads `batches` (from a parser on its own thread) and writes each in one transaction, then links what is
    /// left to link and counts the comments in their authors' records.
    public func write(_ batches: ExportBatches, file: String,
                      progress: @Sendable (CommentImportCounts) -> Void) async throws -> CommentImportCounts {
        let maps = Maps(limit: mapLimit)
        for try await batch in batches {
            var prepared: [Prepared] = []
            prepared.reserveCapacity(batch.count)
            var failure: CommentImportFailure?
            for comment in batch {
                do { prepared.append(try prepare(comment, file: file)) } catch let error as CommentImportFailure { failure = error; break }
            }
            // What came before a bad post is written: a rerun of the fixed file adds only the rest.
            if !prepared.isEmpty { try await write(prepared, maps: maps) }
            if let failure { throw failure }
            progress(maps.counts)
        }
        try await linkPending()
        try await countInRecords()
        return maps.counts
    }

    func prepare(_ comment: ImportedComment, file: String) throws -> Prepared {
        let email = EmailAddress.normalise(comment.authorEmail)
        let name = String(comment.authorName.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80))
        let key = email ?? "name:" + name.lowercased()
        let authorAddress = email ?? "imported-\(source)-" + Secrets.hash(key).prefix(16).lowercased() + "@import.invalid"
        var prepared = Prepared(comment: comment, text: "", address: nil, authorKey: key, authorAddress: authorAddress,
                                authorName: name.isEmpty ? "Anonymous" : name)
        guard !comment.skipped else { return prepared }
        prepared.text = CommentHTML.text(comment.html)
        guard !prepared.text.isEmpty else { return prepared }
        do { prepared.address = try settings.address(comment.pageURL) } catch {
            throw CommentImportFailure(file: file, line: comment.line, message: "the page address '\(comment.pageURL)' is not usable: \(error)")
        }
        return prepared
    }

    /// One batch in one transaction; the maps and counts change only once it committed.
    func write(_ batch: [Prepared], maps: Maps) async throws {
        // Within the file, the first post with an id is the one that counts (as an uninterrupted run would have it).
        var firsts: Set<String> = []
        let posts = batch.filter { firsts.insert($0.comment.sourceID).inserted }
        let known = (threads: maps.threads.snapshot(posts.compactMap { $0.address?.url }),
                     authors: maps.authors.snapshot(posts.filter(\.keep).map(\.authorKey)),
                     written: maps.written.snapshot(posts.compactMap(\.parent)))
        let outcome = try await database.transaction { db in
            try await self.write(posts, known: known, on: db)
        }
        for (key, id) in outcome.threads { maps.threads.set(key, id) }
        for (key, id) in outcome.authors { maps.authors.set(key, id) }
        for (key, id) in outcome.written { maps.written.set(key, id) }
        maps.counts.imported += outcome.counts.imported
        maps.counts.alreadyImported += outcome.counts.alreadyImported
        maps.counts.skipped += outcome.counts.skipped
        maps.counts.threads += outcome.counts.threads
        maps.counts.authors += outcome.counts.authors
    }

    func write(_ posts: [Prepared], known: (threads: [String: Int64], authors: [String: Int64], written: [String: Int64]),
               on db: any SQLDatabase) async throws -> Outcome {
        var outcome = Outcome()
        let ids = posts.map(\.comment.sourceID)

        // Posts recorded before (by an earlier run, or one interrupted): counted, never written again.
        var recorded = try await Self.lookUp(ids, source: source, on: db)
        var fresh: [Prepared] = []
        for post in posts {
            switch recorded[post.comment.sourceID] {
            case .kept(let id)?: outcome.counts.alreadyImported += 1; outcome.written.append((post.comment.sourceID, id))
            case .skipped?: outcome.counts.skipped += 1
            case nil: fresh.append(post)
            }
        }
        let writes = fresh.filter(\.keep)
        outcome.counts.skipped += fresh.count - writes.count

        let threads = try await threadIDs(writes, known: known.threads, outcome: &outcome, on: db)
        let authors = try await authorIDs(writes, known: known.authors, outcome: &outcome, on: db)
        let commentIDs = try await reserveCommentIDs(writes.count, on: db)

        // This batch's posts are known before any parent is looked for, so a reply may come before its parent.
        for post in fresh where !post.keep { recorded[post.comment.sourceID] = .skipped(parent: post.parent) }
        for (post, id) in zip(writes, commentIDs) { recorded[post.comment.sourceID] = .kept(id) }
        for (key, id) in known.written where recorded[key] == nil { recorded[key] = .kept(id) }
        let parents = try await Self.nearestKept(Set(writes.compactMap(\.parent)), known: recorded, source: source, on: db)

        let status = CommentStatus.published.rawValue
        for start in stride(from: 0, to: writes.count, by: Self.rowsPerStatement) {
            let end = min(start + Self.rowsPerStatement, writes.count)
            let comments = db.insert(into: "comments")
                .columns("id", "article_id", "author_id", "parent_id", "body", "status", "created_at", "submitted_at", "published_at",
                         "reviews_required", "reviews_optional")
            let records = db.insert(into: "imported_comments").columns("source", "source_id", "comment_id", "counted")
            // A parent in a later statement of this batch is not there yet: the reply is linked after the batch's
            // inserts, with the replies of earlier batches.
            let later = Set(commentIDs[end...])
            for index in start..<end {
                let post = writes[index], id = commentIDs[index]
                let at = Timestamp(post.comment.createdAt).milliseconds
                let parentID = post.parent.flatMap { parents[$0] ?? nil }.flatMap { $0 == id || later.contains($0) ? nil : $0 }
                comments.values(SQLBind(id), SQLBind(threads[post.address!.url]!), SQLBind(authors[post.authorKey]!), SQLBind(parentID),
                                SQLBind(post.text), SQLBind(status), SQLBind(at), SQLBind(at), SQLBind(at), SQLBind(0), SQLBind(0))
                records.values(SQLBind(source), SQLBind(post.comment.sourceID), SQLBind(id), SQLBind(0))
                outcome.written.append((post.comment.sourceID, id))
            }
            try await comments.run()
            try await records.run()
        }
        // Every post read, kept or not, with its parent there: what linking later replies, and a rerun, go by.
        let alreadyPosted = try await Self.postsRecorded(ids, source: source, on: db)
        let unposted = posts.filter { !alreadyPosted.contains($0.comment.sourceID) }
        for start in stride(from: 0, to: unposted.count, by: Self.rowsPerStatement) {
            let insert = db.insert(into: "imported_posts").columns("source", "source_id", "parent_source_id", "kept")
            for post in unposted[start..<min(start + Self.rowsPerStatement, unposted.count)] {
                var kept = false
                if case .kept? = recorded[post.comment.sourceID] { kept = true }
                insert.values(SQLBind(source), SQLBind(post.comment.sourceID), SQLBind(post.parent), SQLBind(kept ? 1 : 0))
            }
            try await insert.run()
        }
        // Replies read earlier whose parent is one of this batch's posts (or hangs from one): linked now. Two
        // lookups by index (children by parent id, then their comments, the unlinked ones kept here), not one join
        // with `parent_id IS NULL`: SQLite's planner walked every top-level comment for it, a scan that grew with
        // the import (the rate fell from ~900 to ~300 posts/s by 150,000 posts).
        let newPosts = fresh.map(\.comment.sourceID)
        if !newPosts.isEmpty {
            var children: [String: String] = [:]   // child's id there → its parent's id there
            for start in stride(from: 0, to: newPosts.count, by: Self.rowsPerStatement) {
                let chunk = Array(newPosts[start..<min(start + Self.rowsPerStatement, newPosts.count)])
                for row in try await db.raw("""
                    SELECT source_id, parent_source_id FROM imported_posts
                    WHERE source = \(bind: source) AND parent_source_id IN \(SQLBind.group(chunk)) AND kept = 1
                    """).all() {
                    children[try row.decode(column: "source_id", as: String.self)] = try row.decode(column: "parent_source_id", as: String.self)
                }
            }
            let candidates = children.keys.sorted()
            var waiting: [(Int64, String)] = []
            for start in stride(from: 0, to: candidates.count, by: Self.rowsPerStatement) {
                let chunk = Array(candidates[start..<min(start + Self.rowsPerStatement, candidates.count)])
                for row in try await db.raw("""
                    SELECT ic.source_id, ic.comment_id, c.parent_id FROM imported_comments ic JOIN comments c ON c.id = ic.comment_id
                    WHERE ic.source = \(bind: source) AND ic.source_id IN \(SQLBind.group(chunk))
                    """).all() where try row.decode(column: "parent_id", as: Int64?.self) == nil {
                    let child = try row.decode(column: "source_id", as: String.self)
                    waiting.append((try row.decode(column: "comment_id", as: Int64.self), children[child]!))
                }
            }
            try await link(waiting, known: recorded, on: db)
        }
        outcome.counts.imported += writes.count
        return outcome
    }

    /// Sets each waiting comment's parent to its nearest kept ancestor, where one is recorded.
    func link(_ waiting: [(Int64, String)], known: [String: Recorded], on db: any SQLDatabase) async throws {
        guard !waiting.isEmpty else { return }
        let parents = try await Self.nearestKept(Set(waiting.map(\.1)), known: known, source: source, on: db)
        for (id, parent) in waiting {
            guard let target = parents[parent] ?? nil, target != id else { continue }
            try await db.update("comments").set("parent_id", to: SQLBind(target)).where("id", .equal, id).run()
        }
    }

    /// A post as recorded: written as a comment, or skipped (with its parent's id there).
    enum Recorded: Sendable { case kept(Int64), skipped(parent: String?) }

    /// The recorded state of `ids`: kept (in `imported_comments`) or skipped (only in `imported_posts`).
    static func lookUp(_ ids: [String], source: String, on db: any SQLDatabase) async throws -> [String: Recorded] {
        var out: [String: Recorded] = [:]
        for start in stride(from: 0, to: ids.count, by: rowsPerStatement) {
            let chunk = Array(ids[start..<min(start + rowsPerStatement, ids.count)])
            for row in try await db.raw("""
                SELECT source_id, parent_source_id FROM imported_posts
                WHERE source = \(bind: source) AND kept = 0 AND source_id IN \(SQLBind.group(chunk))
                """).all() {
                out[try row.decode(column: "source_id", as: String.self)] = .skipped(parent: try row.decode(column: "parent_source_id", as: String?.self))
            }
            for row in try await db.raw("""
                SELECT source_id, comment_id FROM imported_comments WHERE source = \(bind: source) AND source_id IN \(SQLBind.group(chunk))
                """).all() {
                out[try row.decode(column: "source_id", as: String.self)] = .kept(try row.decode(column: "comment_id", as: Int64.self))
            }
        }
        return out
    }

    static func postsRecorded(_ ids: [String], source: String, on db: any SQLDatabase) async throws -> Set<String> {
        var out: Set<String> = []
        for start in stride(from: 0, to: ids.count, by: rowsPerStatement) {
            let chunk = Array(ids[start..<min(start + rowsPerStatement, ids.count)])
            for row in try await db.raw("""
                SELECT source_id FROM imported_posts WHERE source = \(bind: source) AND source_id IN \(SQLBind.group(chunk))
                """).all() {
                out.insert(try row.decode(column: "source_id", as: String.self))
            }
        }
        return out
    }

    /// For each post id, the comment of its nearest kept ancestor-or-self (nil: none recorded). `known` is
    /// consulted first; what it lacks is looked up in the records, a level of the chain per query.
    static func nearestKept(_ starts: Set<String>, known: [String: Recorded], source: String,
                            on db: any SQLDatabase) async throws -> [String: Int64?] {
        var known = known
        var absent: Set<String> = []
        var result: [String: Int64?] = [:]
        // Each start's walk: the post it has reached, and the posts it went through (a cycle ends it).
        var walks: [(start: String, at: String, seen: Set<String>)] = starts.map { ($0, $0, [$0]) }
        while !walks.isEmpty {
            var next: [(start: String, at: String, seen: Set<String>)] = []
            var missing: Set<String> = []
            for var walk in walks {
                while true {
                    if let state = known[walk.at] {
                        switch state {
                        case .kept(let id): result[walk.start] = id
                        case .skipped(let parent):
                            if let parent, walk.seen.insert(parent).inserted { walk.at = parent; continue }
                            result[walk.start] = .some(nil)
                        }
                    } else if absent.contains(walk.at) {
                        result[walk.start] = .some(nil)
                    } else {
                        missing.insert(walk.at)
                        next.append(walk)
                    }
                    break
                }
            }
            if !missing.isEmpty {
                let found = try await lookUp(Array(missing), source: source, on: db)
                for id in missing { if let state = found[id] { known[id] = state } else { absent.insert(id) } }
            }
            walks = next
        }
        return result
    }

    /// The thread of each write's page: from memory, then `embed_pages`, else made as the embed makes it.
    func threadIDs(_ writes: [Prepared], known: [String: Int64], outcome: inout Outcome, on db: any SQLDatabase) async throws -> [String: Int64] {
        var ids = known
        var titles: [String: (PageAddress, String)] = [:]
        for post in writes where ids[post.address!.url] == nil && titles[post.address!.url] == nil {
            titles[post.address!.url] = (post.address!, post.comment.pageTitle)
        }
        guard !titles.isEmpty else { return ids }
        for row in try await db.select().columns("url", "article_id").from("embed_pages")
            .where("url", .in, SQLBind.group(Array(titles.keys))).all() {
            let url = try row.decode(column: "url", as: String.self)
            ids[url] = try row.decode(column: "article_id", as: Int64.self)
            outcome.threads.append((url, ids[url]!))
            titles[url] = nil
        }
        for (url, (address, title)) in titles.sorted(by: { $0.key < $1.key }) {
            ids[url] = try await EmbedService.makeThread(address, title: title, pages: pages, on: db).id
            outcome.threads.append((url, ids[url]!))
            outcome.counts.threads += 1
        }
        return ids
    }

    /// The account of each write's author: from memory, then `imported_authors`, then an account with that
    /// address, else a new unclaimed one (multi-row inserts).
    func authorIDs(_ writes: [Prepared], known: [String: Int64], outcome: inout Outcome, on db: any SQLDatabase) async throws -> [String: Int64] {
        var ids = known
        var wanted: [String: Prepared] = [:]
        for post in writes where ids[post.authorKey] == nil && wanted[post.authorKey] == nil { wanted[post.authorKey] = post }
        guard !wanted.isEmpty else { return ids }
        for row in try await db.raw("""
            SELECT author_key, user_id FROM imported_authors WHERE source = \(bind: source) AND author_key IN \(SQLBind.group(Array(wanted.keys)))
            """).all() {
            let key = try row.decode(column: "author_key", as: String.self)
            ids[key] = try row.decode(column: "user_id", as: Int64.self)
            outcome.authors.append((key, ids[key]!))
            wanted[key] = nil
        }
        guard !wanted.isEmpty else { return ids }
        let byAddress = Dictionary(wanted.values.map { ($0.authorAddress, $0) }, uniquingKeysWith: { first, _ in first })
        var accounts: [String: Int64] = [:]
        for row in try await db.select().columns("id", "email").from("users").where("email", .in, SQLBind.group(Array(byAddress.keys))).all() {
            accounts[try row.decode(column: "email", as: String.self)] = try row.decode(column: "id", as: Int64.self)
        }
        let new = byAddress.keys.filter { accounts[$0] == nil }.sorted()
        if !new.isEmpty {
            let now = Timestamp.now.milliseconds
            let users = db.insert(into: "users").columns("email", "display_name", "status", "created_at", "updated_at")
            for address in new { users.values(SQLBind(address), SQLBind(byAddress[address]!.authorName), SQLBind("active"), SQLBind(now), SQLBind(now)) }
            for row in try await users.returning("id", "email").all() {
                accounts[try row.decode(column: "email", as: String.self)] = try row.decode(column: "id", as: Int64.self)
            }
            let roles = db.insert(into: "user_roles").columns("user_id", "role", "granted_at")
            for address in new { roles.values(SQLBind(accounts[address]!), SQLBind(Role.reader.rawValue), SQLBind(now)) }
            try await roles.run()
            outcome.counts.authors += new.count
        }
        let links = db.insert(into: "imported_authors").columns("source", "author_key", "user_id")
        for (key, post) in wanted.sorted(by: { $0.key < $1.key }) {
            let id = accounts[post.authorAddress]!
            links.values(SQLBind(source), SQLBind(key), SQLBind(id))
            ids[key] = id
            outcome.authors.append((key, id))
        }
        try await links.run()
        return ids
    }

    /// `count` new comment ids, ascending, that nothing else will take: drawn from the identity sequence on
    /// PostgreSQL; on SQLite, past both the table's highest id and its AUTOINCREMENT counter (this transaction
    /// holds the write lock, so nobody else inserts meanwhile; inserting them moves the counter on).
    func reserveCommentIDs(_ count: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard count > 0 else { return [] }
        switch database.kind {
        case .postgres:
            return try await db.raw("""
                SELECT nextval(pg_get_serial_sequence('comments', 'id')) AS id FROM generate_series(1, \(bind: count)) ORDER BY 1
                """).all().map { try $0.decode(column: "id", as: Int64.self) }
        case .sqlite:
            let top = try await db.raw("""
                SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'comments'), 0), COALESCE((SELECT MAX(id) FROM comments), 0)) AS top
                """).first(decodingColumn: "top", as: Int64.self) ?? 0
            return (1...Int64(count)).map { top + $0 }
        }
    }

    /// Links every comment of this source still waiting for a parent recorded since (chains through skipped
    /// posts whose kept ancestor came later): a pass over the recorded replies in id order, a page per
    /// transaction, each page two lookups by index (the replies, then their comments).
    func linkPending() async throws {
        var after = ""
        while true {
            let from = after
            let last = try await database.transaction { db -> String? in
                var replies: [String: String] = [:]
                var last: String?
                for row in try await db.raw("""
                    SELECT source_id, parent_source_id FROM imported_posts
                    WHERE source = \(bind: self.source) AND kept = 1 AND parent_source_id IS NOT NULL AND source_id > \(bind: from)
                    ORDER BY source_id LIMIT \(bind: Self.rowsPerStatement)
                    """).all() {
                    let id = try row.decode(column: "source_id", as: String.self)
                    replies[id] = try row.decode(column: "parent_source_id", as: String.self)
                    last = id
                }
                guard !replies.isEmpty else { return nil }
                var waiting: [(Int64, String)] = []
                for row in try await db.raw("""
                    SELECT ic.source_id, ic.comment_id, c.parent_id FROM imported_comments ic JOIN comments c ON c.id = ic.comment_id
                    WHERE ic.source = \(bind: self.source) AND ic.source_id IN \(SQLBind.group(Array(replies.keys)))
                    """).all() where try row.decode(column: "parent_id", as: Int64?.self) == nil {
                    waiting.append((try row.decode(column: "comment_id", as: Int64.self), replies[try row.decode(column: "source_id", as: String.self)]!))
                }
                try await self.link(waiting, known: [:], on: db)
                return last
            }
            guard let last else { return }
            after = last
        }
    }

    /// Adds the comments of this source not yet counted to their authors' records, and marks them counted, in
    /// the same transaction (a page of authors each): an interrupted run counts each comment once.
    func countInRecords() async throws {
        while true {
            let done = try await database.transaction { db -> Bool in
                let rows = try await db.raw("""
                    SELECT c.author_id, COUNT(*) AS n FROM imported_comments ic JOIN comments c ON c.id = ic.comment_id
                    WHERE ic.source = \(bind: self.source) AND ic.counted = 0
                    GROUP BY c.author_id ORDER BY c.author_id LIMIT \(bind: Self.authorsPerRecordPage)
                    """).all()
                guard !rows.isEmpty else { return true }
                let now = Timestamp.now
                var authors: [Int64] = []
                for row in rows {
                    let author = try row.decode(column: "author_id", as: Int64.self)
                    var record = try await CommentRows.authorRecord(author, on: db)
                    record.published += try row.decode(column: "n", as: Int.self)
                    try await CommentRows.save(record, now: now, on: db)
                    authors.append(author)
                }
                try await db.raw("""
                    UPDATE imported_comments SET counted = 1 WHERE source = \(bind: self.source) AND counted = 0
                    AND comment_id IN (SELECT id FROM comments WHERE author_id IN \(SQLBind.group(authors)))
                    """).run()
                return false
            }
            if done { return }
        }
    }
}

/// A map of at most `limit` entries: when the newer half fills, it becomes the older half and the older is
/// forgotten (an entry found in the older half is moved back to the newer).
struct BoundedMap<Value: Sendable>: Sendable {
    let limit: Int
    private var newer: [String: Value] = [:]
    private var older: [String: Value] = [:]
    init(limit: Int) { self.limit = max(2, limit) }

    var count: Int { newer.count + older.count }

    mutating func get(_ key: String) -> Value? {
        if let value = newer[key] { return value }
        guard let value = older[key] else { return nil }
        set(key, value)
        return value
    }

    mutating func set(_ key: String, _ value: Value) {
        newer[key] = value
        if newer.count >= limit / 2 { older = newer; newer = [:] }
    }

    /// The entries for `keys` that are remembered.
    mutating func snapshot(_ keys: [String]) -> [String: Value] {
        var out: [String: Value] = [:]
        for key in keys where out[key] == nil { if let value = get(key) { out[key] = value } }
        return out
    }
}

/// HTML from an export reduced to the comment format: plain text, paragraphs separated by a blank line, line
/// breaks kept, links written as their text followed by the address in brackets when it differs. Every other
/// tag is dropped (its text kept, except inside `script` and `style`), entities decoded.
public enum CommentHTML {
    public static func text(_ html: String) -> String {
        var out = ""
        var index = html.startIndex
        var skipping: String?
        var href: String?
        var linkText = ""
        func emit(_ s: String) { if href != nil { linkText += s } else { out += s } }
        while index < html.endIndex {
            let c = html[index]
            if c == "<", let close = html[index...].firstIndex(of: ">") {
                let tag = html[html.index(after: index)..<close]
                index = html.index(after: close)
                let closing = tag.hasPrefix("/")
                let name = tag.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter || $0.isNumber }).lowercased()
                if let skip = skipping { if closing && name == skip { skipping = nil }; continue }
                switch name {
                case "script", "style": if !closing { skipping = name }
                case "br": emit("\n")
                case "p", "div", "blockquote", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6": emit("\n\n")
                case "li": if !closing { emit("\n- ") }
                case "a":
                    if closing, let target = href {
                        href = nil
                        let shown = decode(linkText).trimmingCharacters(in: .whitespaces)
                        out += shown.isEmpty ? target : (shown == target ? shown : "\(shown) (\(target))")
                        linkText = ""
                    } else if !closing {
                        href = attribute("href", in: String(tag)).map(decode).flatMap { $0.hasPrefix("http://") || $0.hasPrefix("https://") ? $0 : nil } ?? ""
                        if href == "" { href = nil }
                    }
                default: break
                }
                continue
            }
            index = html.index(after: index)
            if skipping != nil { continue }
            emit(String(c))
        }
        if let target = href { out += decode(linkText) + " (\(target))" }
        return layout(decode(out))
    }

    /// Paragraphs (split at blank lines) of non-empty lines whose runs of spaces are one space; CRLF is LF and a
    /// no-break space a space. Done on Unicode scalars: Foundation's string searching costs more than the rest of
    /// an import.
    static func layout(_ text: String) -> String {
        let newline: Unicode.Scalar = "\n", space: Unicode.Scalar = " ", carriageReturn: Unicode.Scalar = "\r"
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.utf8.count)
        var pendingCR = false
        for scalar in text.unicodeScalars {
            if pendingCR { if scalar != newline { scalars.append(carriageReturn) }; pendingCR = false }
            if scalar == carriageReturn { pendingCR = true; continue }
            scalars.append(scalar == "\u{00A0}" ? space : scalar)
        }
        if pendingCR { scalars.append(carriageReturn) }
        var out = String.UnicodeScalarView()
        var paragraph = String.UnicodeScalarView()   // the current paragraph's lines so far
        var line = String.UnicodeScalarView()        // the current line, spaces collapsed
        var spacePending = false
        func endLine() {
            if !line.isEmpty {
                if !paragraph.isEmpty { paragraph.append(newline) }
                paragraph.append(contentsOf: line)
            }
            line = String.UnicodeScalarView(); spacePending = false
        }
        func endParagraph() {
            endLine()
            if !paragraph.isEmpty {
                if !out.isEmpty { out.append(newline); out.append(newline) }
                out.append(contentsOf: paragraph)
            }
            paragraph = String.UnicodeScalarView()
        }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == newline {
                if index + 1 < scalars.count && scalars[index + 1] == newline { endParagraph(); index += 2; continue }
                endLine()
            } else if scalar == space {
                if !line.isEmpty { spacePending = true }
            } else {
                if spacePending { line.append(space); spacePending = false }
                line.append(scalar)
            }
            index += 1
        }
        endParagraph()
        return String(out)
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        guard let range = tag.range(of: name + "=", options: .caseInsensitive) else { return nil }
        let rest = tag[range.upperBound...]
        guard let quote = rest.first else { return nil }
        if quote == "\"" || quote == "'" {
            let body = rest.dropFirst()
            return String(body.prefix(while: { $0 != quote }))
        }
        return String(rest.prefix(while: { !$0.isWhitespace }))
    }

    static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
                                          "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”"]

    /// Decodes character references: named (the common ones), decimal and hexadecimal.
    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "&", let semi = text[index...].prefix(12).firstIndex(of: ";") {
                let entity = text[text.index(after: index)..<semi]
                var value: String?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    value = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if entity.hasPrefix("#") {
                    value = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    value = named[String(entity)]
                }
                if let value { out += value; index = text.index(after: semi); continue }
            }
            out.append(text[index])
            index = text.index(after: index)
        }
        return out
    }
}
