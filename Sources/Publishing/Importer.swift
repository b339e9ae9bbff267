import Foundation
import QuorumBus
import QuorumStore
import QuorumWeb
import SQLKit

import Yams

/// `quorum import DIR`: Markdown files with YAML front matter become articles, all of them or none.
///
/// Every file is read and checked first; then all are written in one transaction, so an error in the last
/// file leaves the site as it was. Errors name the file and the line.
public struct ArticleImporter: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// A problem in one file, at one line.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let file: String
        public let line: Int
        public let message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// One file's article, checked but not yet stored.
    public struct Parsed: Sendable {
        public var file: String
        public var input: ArticleInput
        public var sectionName: String?
        public var authorNames: [String]
        public var status: ArticleStatus
        public var publishedAt: Timestamp?
        public var publishAt: Timestamp?
        /// The line each front-matter key is on, to point errors found later at the right line.
        public var lines: [String: Int]
    }

    static let knownKeys: Set<String> = [
        "slug", "headline", "standfirst", "section", "sectionName", "authors", "tags", "status", "published", "publishAt",
        "hero", "wireCredit", "commentsOpen", "allowEmbeds",
    ]

    /// Reads one file's text.
    public static func parse(file: String, text: String, now: Timestamp = .now) throws -> Parsed {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func fail(_ line: Int, _ message: String) -> Failure { Failure(file: file, line: line, message: message) }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else {
            throw fail(1, "the file must start with '---' and YAML front matter")
        }
        guard let close = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else {
            throw fail(1, "the front matter is not closed with a '---' line")
        }
        let yaml = lines[1..<close].joined(separator: "\n")
        let body = lines[(close + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        var keyLines: [String: Int] = [:]
        for (offset, line) in lines[1..<close].enumerated() {
            if let colon = line.firstIndex(of: ":"), !line.hasPrefix(" "), !line.hasPrefix("\t"), !line.hasPrefix("#") {
                keyLines[String(line[..<colon]).trimmingCharacters(in: .whitespaces)] = offset + 2
            }
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: yaml)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                throw fail(mark.line + 1, "front matter is not valid YAML: \(problem)")
            default:
                throw fail(2, "front matter is not valid YAML: \(error)")
            }
        }
        guard let fields = loaded as? [String: Any] else { throw fail(2, "the front matter must be a mapping of keys to values") }
        func line(_ key: String) -> Int { keyLines[key] ?? 1 }
        if let unknown = fields.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw fail(line(unknown), "unknown key '\(unknown)' (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String, required: Bool = false) throws -> String? {
            guard let value = fields[key], !(value is NSNull) else {
                if required { throw fail(close + 1, "'\(key)' is required") }
                return nil
            }
            if let text = value as? String { return text }
            if value is Bool || value is [Any] || value is [String: Any] { throw fail(line(key), "'\(key)' must be text") }
            return "\(value)"
        }
        func bool(_ key: String) throws -> Bool? {
            guard let value = fields[key] else { return nil }
            guard let flag = value as? Bool else { throw fail(line(key), "'\(key)' must be true or false") }
            return flag
        }
        func list(_ key: String) throws -> [String] {
            guard let value = fields[key], !(value is NSNull) else { return [] }
            if let text = value as? String { return [text] }
            guard let items = value as? [Any] else { throw fail(line(key), "'\(key)' must be a list") }
            return items.map { "\($0)" }
        }
        func time(_ key: String) throws -> Timestamp? {
            guard let value = fields[key], !(value is NSNull) else { return nil }
            if let date = value as? Date { return Timestamp(date) }
            if let text = value as? String, let date = ISOTime.parse(text) { return Timestamp(date) }
            throw fail(line(key), "'\(key)' must be a date-time such as 2026-05-01T09:00:00Z")
        }

        let slug = try string("slug", required: true)!
        guard Slug.isValid(slug) else { throw fail(line("slug"), "slug '\(slug)' must be lower-case letters, digits and single hyphens") }
        let headline = try string("headline", required: true)!
        guard !headline.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(line("headline"), "'headline' must not be empty") }
        let sectionSlug = try string("section", required: true)!
        guard Slug.isValid(sectionSlug) else { throw fail(line("section"), "section '\(sectionSlug)' must be a section slug") }
        var hero: HeroImage?
        if let value = fields["hero"], !(value is NSNull) {
            guard let map = value as? [String: Any], let url = map["url"] as? String, !url.isEmpty else {
                throw fail(line("hero"), "'hero' must have at least a 'url'")
            }
            guard url.hasPrefix("/") || url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw fail(line("hero"), "hero url '\(url)' must be a site path or an http(s) URL")
            }
            hero = HeroImage(url: url, alt: map["alt"] as? String ?? "", caption: map["caption"] as? String ?? "", credit: map["credit"] as? String ?? "")
        }
        let statusText = try string("status") ?? "published"
        guard let status = ArticleStatus(rawValue: statusText) else {
            throw fail(line("status"), "status '\(statusText)' must be draft, scheduled or published")
        }
        let publishAt = try time("publishAt")
        if status == .scheduled && publishAt == nil { throw fail(line("status"), "a scheduled article needs 'publishAt'") }
        let authorNames = try list("authors")
        return Parsed(
            file: file,
            input: ArticleInput(
                slug: slug, headline: headline, standfirst: try string("standfirst") ?? "", body: body, hero: hero,
                wireCredit: try string("wireCredit") ?? "", section: sectionSlug, authors: authorNames.map(Slug.make), tags: try list("tags"),
                commentsOpen: try bool("commentsOpen") ?? true, allowEmbeds: try bool("allowEmbeds") ?? false
            ),
            sectionName: try string("sectionName"),
            authorNames: authorNames,
            status: status,
            publishedAt: try time("published") ?? (status == .published ? now : nil),
            publishAt: publishAt,
            lines: keyLines
        )
    }

    /// Imports every `*.md` file in `directory` (sorted by name) in one transaction. Sections and authors
    /// that do not exist yet are created. Returns the number of articles imported.
    public func run(directory: String, now: Timestamp = .now, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Int {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError("\(directory) is not a folder")
        }
        let names = try manager.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".md") }.sorted()
        guard !names.isEmpty else { throw ConfigurationError("\(directory) has no .md files to import") }
        progress("checking \(names.count) file(s) in \(directory)")
        var parsed: [Parsed] = []
        var slugs: [String: String] = [:]
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = manager.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw Failure(file: path, line: 1, message: "cannot read the file as UTF-8 text")
            }
            let article = try Self.parse(file: path, text: text, now: now)
            if let other = slugs[article.input.slug] {
                throw Failure(file: path, line: article.lines["slug"] ?? 1, message: "slug '\(article.input.slug)' is also used by \(other)")
            }
            slugs[article.input.slug] = path
            parsed.append(article)
        }
        let dialect = database.dialect
        let total = parsed.count
        let toImport = parsed
        try await database.transaction { db in
            for (index, article) in toImport.enumerated() {
                do {
                    try await Self.ensureSection(db, slug: article.input.section, name: article.sectionName, now: now)
                    for name in article.authorNames { try await Self.ensureAuthor(db, name: name, now: now) }
                    let created = try await ArticleStore.create(
                        db, dialect: dialect, article.input, status: article.status == .published ? .published : .draft,
                        publishedAt: article.status == .published ? article.publishedAt : nil, now: article.publishedAt ?? now
                    )
                    if article.status == .scheduled, let at = article.publishAt {
                        try await db.update("articles").set("status", to: "scheduled").set("publish_at", to: at.milliseconds)
                            .where("id", .equal, created.id).run()
                    }
                    progress("[\(index + 1)/\(total)] \(article.file) → \(article.input.slug) (\(article.status.rawValue))")
                } catch let error as PublishingError {
                    let key = error.code == "duplicate_slug" ? "slug" : (error.code == "unknown_author" ? "authors" : "section")
                    throw Failure(file: article.file, line: article.lines[key] ?? 1, message: error.message)
                }
            }
        }
        return total
    }

    static func ensureSection(_ db: any SQLDatabase, slug: String, name: String?, now: Timestamp) async throws {
        guard try await db.select().column("id").from("sections").where("slug", .equal, slug).first() == nil else { return }
        let fallback = slug.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        _ = try await ArticleStore.createSection(db, slug: slug, name: name ?? fallback, description: "", position: 100, now: now)
    }

    static func ensureAuthor(_ db: any SQLDatabase, name: String, now: Timestamp) async throws {
        let slug = Slug.make(name)
        guard !slug.isEmpty, try await db.select().column("id").from("authors").where("slug", .equal, slug).first() == nil else { return }
        // A name given as a slug ("amara-velde") becomes "Amara Velde".
        let display = name.contains(" ") ? name : name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        _ = try await ArticleStore.createAuthor(db, slug: slug, name: display, bio: "", now: now)
    }
}
