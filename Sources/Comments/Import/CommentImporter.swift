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
/// - Idempotent: each comment is recorded by (source, its id there); one already recorded is not written again.
/// - Replies: a comment's parent is the nearest ancestor that was kept. A reply to a deleted, spam or missing
///   comment hangs from that comment's own parent, and so on up; with no kept ancestor it is top level. Parents
///   that come later in the file are attached once the file is read.
/// - Authors: one account per (source, email) — or per name when the export has no email — made unclaimed: its
///   address is the author's own, it has no password, so nobody signs in as it until a reader proves that
///   address by the emailed code; then the account, and its comments, are theirs. An address already in use is
///   that person's account. Authors without an email get an address under `.invalid` that reaches nobody.
/// - Comments are published at once with their original date, and count in the authors' records.
public struct CommentImporter: Sendable {
    public let database: Database
    public let source: String
    let pages: any ExternalPageArticles
    let settings: EmbedSettings
    /// Comments written per transaction.
    public var batchSize = 500

    public init(database: Database, source: String, pages: any ExternalPageArticles) async throws {
        self.database = database
        self.source = source
        self.pages = pages
        self.settings = try await EmbedSettingsCache(settings: SettingsStore(database: database)).current()
    }

    /// State across batches: id maps only, never the comments themselves.
    final class Maps: @unchecked Sendable {
        /// Every comment of the file seen so far: its parent there, and its comment here when kept.
        var parents: [String: String] = [:]
        var written: [String: Int64] = [:]
        /// Comments written whose parent had not been written yet: (comment here, parent's id there).
        var orphans: [(Int64, String)] = []
        var threads: [String: Int64] = [:]
        var authors: [String: Int64] = [:]
        var published: [Int64: Int] = [:]
        var counts = CommentImportCounts()
    }

    /// Reads `batches` (from a parser on its own thread) and writes each in one transaction.
    public func write(_ batches: ExportBatches, file: String,
                      progress: @Sendable (CommentImportCounts) -> Void) async throws -> CommentImportCounts {
        let maps = Maps()
        for try await batch in batches {
            try await database.transaction { db in
                for comment in batch { try await write(comment, maps: maps, file: file, on: db) }
            }
            progress(maps.counts)
        }
        try await finish(maps)
        return maps.counts
    }

    func write(_ comment: ImportedComment, maps: Maps, file: String, on db: any SQLDatabase) async throws {
        if let parent = comment.parentSourceID, !parent.isEmpty { maps.parents[comment.sourceID] = parent }
        if comment.skipped { maps.counts.skipped += 1; return }
        if let existing = try await db.select().column("comment_id").from("imported_comments")
            .where("source", .equal, source).where("source_id", .equal, comment.sourceID)
            .first(decodingColumn: "comment_id", as: Int64.self) {
            maps.written[comment.sourceID] = existing
            maps.counts.alreadyImported += 1
            return
        }
        let text = CommentHTML.text(comment.html)
        guard !text.isEmpty else { maps.counts.skipped += 1; return }
        let address: PageAddress
        do { address = try settings.address(comment.pageURL) } catch {
            throw CommentImportFailure(file: file, line: comment.line, message: "the page address '\(comment.pageURL)' is not usable: \(error)")
        }
        let articleID = try await thread(address, title: comment.pageTitle, maps: maps, on: db)
        let authorID = try await author(name: comment.authorName, email: comment.authorEmail, maps: maps, on: db)
        let parentID = comment.parentSourceID.flatMap { maps.written[$0] }
        let at = Timestamp(comment.createdAt).milliseconds
        let id = try await db.insert(into: "comments")
            .columns("article_id", "author_id", "parent_id", "body", "status", "created_at", "submitted_at", "published_at",
                     "reviews_required", "reviews_optional")
            .values(SQLBind(articleID), SQLBind(authorID), SQLBind(parentID), SQLBind(text), SQLBind(CommentStatus.published.rawValue),
                    SQLBind(at), SQLBind(at), SQLBind(at), SQLBind(0), SQLBind(0))
            .returning("id").first(decodingColumn: "id", as: Int64.self)!
        try await db.insert(into: "imported_comments").columns("source", "source_id", "comment_id")
            .values(SQLBind(source), SQLBind(comment.sourceID), SQLBind(id)).run()
        maps.written[comment.sourceID] = id
        if let parent = comment.parentSourceID, !parent.isEmpty, parentID == nil { maps.orphans.append((id, parent)) }
        maps.published[authorID, default: 0] += 1
        maps.counts.imported += 1
    }

    func thread(_ address: PageAddress, title: String, maps: Maps, on db: any SQLDatabase) async throws -> Int64 {
        if let id = maps.threads[address.url] { return id }
        let id: Int64
        if let found = try await db.select().column("article_id").from("embed_pages").where("url", .equal, SQLBind(address.url))
            .first(decodingColumn: "article_id", as: Int64.self) {
            id = found
        } else {
            id = try await EmbedService.makeThread(address, title: title, pages: pages, on: db).id
            maps.counts.threads += 1
        }
        maps.threads[address.url] = id
        return id
    }

    func author(name rawName: String, email rawEmail: String, maps: Maps, on db: any SQLDatabase) async throws -> Int64 {
        let email = EmailAddress.normalise(rawEmail)
        let name = String(rawName.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80))
        let key = email ?? "name:" + name.lowercased()
        if let id = maps.authors[key] { return id }
        if let id = try await db.select().column("user_id").from("imported_authors").where("source", .equal, source)
            .where("author_key", .equal, key).first(decodingColumn: "user_id", as: Int64.self) {
            maps.authors[key] = id
            return id
        }
        let address = email ?? "imported-\(source)-" + Secrets.hash(key).prefix(16).lowercased() + "@import.invalid"
        let id: Int64
        if let existing = try await UserRows.find(where: "email", equals: address, on: db) {
            id = existing.id
        } else {
            let now = Timestamp.now.milliseconds
            let shown = name.isEmpty ? "Anonymous" : name
            id = try await db.insert(into: "users").columns("email", "display_name", "status", "created_at", "updated_at")
                .values(SQLBind(address), SQLBind(shown), SQLBind("active"), SQLBind(now), SQLBind(now))
                .returning("id").first(decodingColumn: "id", as: Int64.self)!
            try await db.insert(into: "user_roles").columns("user_id", "role", "granted_at")
                .values(SQLBind(id), SQLBind(Role.reader.rawValue), SQLBind(now)).run()
            maps.counts.authors += 1
        }
        try await db.insert(into: "imported_authors").columns("source", "author_key", "user_id")
            .values(SQLBind(source), SQLBind(key), SQLBind(id)).run()
        maps.authors[key] = id
        return id
    }

    /// Attaches replies whose parent came later or was skipped, and adds the comments to the authors' records.
    func finish(_ maps: Maps) async throws {
        let orphans = maps.orphans
        let published = maps.published
        try await database.transaction { db in
            for (id, parent) in orphans {
                var ancestor: String? = parent
                var seen: Set<String> = []
                var target: Int64?
                while let current = ancestor, seen.insert(current).inserted {
                    if let found = maps.written[current] { target = found; break }
                    ancestor = maps.parents[current]
                }
                if let target, target != id {
                    try await db.update("comments").set("parent_id", to: SQLBind(target)).where("id", .equal, id).run()
                }
            }
            let now = Timestamp.now
            for (authorID, count) in published.sorted(by: { $0.key < $1.key }) {
                var record = try await CommentRows.authorRecord(authorID, on: db)
                record.published += count
                try await CommentRows.save(record, now: now, on: db)
            }
        }
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
        let decoded = decode(out).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\u{00A0}", with: " ")
        var paragraphs: [String] = []
        for block in decoded.components(separatedBy: "\n\n") {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true)
                .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }.filter { !$0.isEmpty }
            if !lines.isEmpty { paragraphs.append(lines.joined(separator: "\n")) }
        }
        return paragraphs.joined(separator: "\n\n")
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
