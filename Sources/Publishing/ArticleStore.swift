import Foundation
import QuorumBus
import QuorumStore
import QuorumWeb

import SQLKit

/// Reads and writes sections, authors, tags and articles. One SQL code path for both engines; the only
/// engine-specific part, full-text search, is asked of the dialect.
///
/// The `static` functions take a connection so that a caller (the importer) can run many of them in one
/// transaction; the instance methods open their own.
public struct ArticleStore: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    var dialect: any StoreDialect { database.dialect }

    // MARK: Sections, authors, tags

    @discardableResult
    public func createSection(slug: String, name: String, description: String = "", position: Int64 = 0, now: Timestamp = .now) async throws -> Section {
        try await database.transaction { db in
            try await Self.createSection(db, slug: slug, name: name, description: description, position: position, now: now)
        }
    }

    static func createSection(_ db: any SQLDatabase, slug: String, name: String, description: String, position: Int64, now: Timestamp) async throws -> Section {
        guard Slug.isValid(slug) else { throw PublishingError.invalid(field: "slug", "must be lower-case letters, digits and hyphens") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw PublishingError.invalid(field: "name", "must not be empty") }
        if try await db.select().column("id").from("sections").where("slug", .equal, slug).first() != nil {
            throw PublishingError(.conflict, code: "duplicate_slug", "A section with the slug '\(slug)' already exists.")
        }
        let id = try await db.insert(into: "sections").columns("slug", "name", "description", "position", "created_at")
            .values(SQLBind(slug), SQLBind(name), SQLBind(description), SQLBind(position), SQLBind(now.milliseconds))
            .returning("id").first(decodingColumn: "id", as: Int64.self)!
        return Section(id: id, slug: slug, name: name, description: description, position: position)
    }

    /// The site's sections (not the one that holds pages elsewhere, ``ExternalArticles``).
    public func sections() async throws -> [Section] {
        try await database.read { db in try await Self.sections(db).filter { $0.slug != ExternalArticles.section } }
    }

    static func sections(_ db: any SQLDatabase) async throws -> [Section] {
        try await db.select().columns("id", "slug", "name", "description", "position").from("sections")
            .orderBy("position").orderBy("name").all().map(Self.section(from:))
    }

    public func section(slug: String) async throws -> Section? {
        try await database.read { db in
            try await db.select().columns("id", "slug", "name", "description", "position").from("sections")
                .where("slug", .equal, slug).first().map(Self.section(from:))
        }
    }

    static func section(from row: any SQLRow) throws -> Section {
        Section(
            id: try row.decode(column: "id", as: Int64.self), slug: try row.decode(column: "slug", as: String.self),
            name: try row.decode(column: "name", as: String.self), description: try row.decode(column: "description", as: String.self),
            position: try row.decode(column: "position", as: Int64.self)
        )
    }

    @discardableResult
    public func createAuthor(slug: String, name: String, bio: String = "", now: Timestamp = .now) async throws -> Author {
        try await database.transaction { db in try await Self.createAuthor(db, slug: slug, name: name, bio: bio, now: now) }
    }

    static func createAuthor(_ db: any SQLDatabase, slug: String, name: String, bio: String, now: Timestamp) async throws -> Author {
        guard Slug.isValid(slug) else { throw PublishingError.invalid(field: "slug", "must be lower-case letters, digits and hyphens") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw PublishingError.invalid(field: "name", "must not be empty") }
        if try await db.select().column("id").from("authors").where("slug", .equal, slug).first() != nil {
            throw PublishingError(.conflict, code: "duplicate_slug", "An author with the slug '\(slug)' already exists.")
        }
        let id = try await db.insert(into: "authors").columns("slug", "name", "bio", "created_at")
            .values(SQLBind(slug), SQLBind(name), SQLBind(bio), SQLBind(now.milliseconds))
            .returning("id").first(decodingColumn: "id", as: Int64.self)!
        return Author(id: id, slug: slug, name: name, bio: bio)
    }

    public func authors() async throws -> [Author] {
        try await database.read { db in
            try await db.select().columns("id", "slug", "name", "bio").from("authors").orderBy("name").all().map(Self.author(from:))
        }
    }

    public func author(slug: String) async throws -> Author? {
        try await database.read { db in
            try await db.select().columns("id", "slug", "name", "bio").from("authors").where("slug", .equal, slug).first().map(Self.author(from:))
        }
    }

    static func author(from row: any SQLRow) throws -> Author {
        Author(
            id: try row.decode(column: "id", as: Int64.self), slug: try row.decode(column: "slug", as: String.self),
            name: try row.decode(column: "name", as: String.self), bio: try row.decode(column: "bio", as: String.self)
        )
    }

    public func tag(slug: String) async throws -> Tag? {
        try await database.read { db in
            try await db.select().columns("id", "slug", "name").from("tags").where("slug", .equal, slug).first().map {
                Tag(id: try $0.decode(column: "id", as: Int64.self), slug: try $0.decode(column: "slug", as: String.self), name: try $0.decode(column: "name", as: String.self))
            }
        }
    }

    // MARK: Writing articles

    /// Creates a draft. A duplicate slug is a conflict; an unknown section or author names the field.
    public func create(_ input: ArticleInput, now: Timestamp = .now) async throws -> Article {
        let dialect = self.dialect
        return try await database.transaction { db in try await Self.create(db, dialect: dialect, input, now: now) }
    }

    static func create(_ db: any SQLDatabase, dialect: any StoreDialect, _ input: ArticleInput, status: ArticleStatus = .draft, publishedAt: Timestamp? = nil, now: Timestamp) async throws -> Article {
        try validate(input)
        if try await db.select().column("id").from("articles").where("slug", .equal, input.slug).first() != nil {
            throw PublishingError.duplicateSlug(input.slug)
        }
        let sectionID = try await sectionID(db, input.section)
        let id = try await db.insert(into: "articles")
            .columns("slug", "headline", "standfirst", "body", "hero_image", "hero_alt", "hero_caption", "hero_credit", "wire_credit",
                     "section_id", "status", "published_at", "created_at", "updated_at", "comments_open", "allow_embeds")
            .values(
                SQLBind(input.slug), SQLBind(input.headline), SQLBind(input.standfirst), SQLBind(input.body),
                SQLBind(input.hero?.url), SQLBind(input.hero?.alt ?? ""), SQLBind(input.hero?.caption ?? ""), SQLBind(input.hero?.credit ?? ""),
                SQLBind(input.wireCredit), SQLBind(sectionID), SQLBind(status.rawValue), SQLBind(publishedAt?.milliseconds),
                SQLBind(now.milliseconds), SQLBind(now.milliseconds), SQLBind(input.commentsOpen ? 1 : 0), SQLBind(input.allowEmbeds ? 1 : 0)
            )
            .returning("id").first(decodingColumn: "id", as: Int64.self)!
        try await setBylinesAndTags(db, articleID: id, input: input)
        try await dialect.indexArticle(db, id: id, headline: input.headline, standfirst: input.standfirst, body: input.body)
        return try await article(db, id: id)!
    }

    /// Replaces an article's content; status and times other than `updated_at` are kept. Returns (before, after).
    public func update(id: Int64, _ input: ArticleInput, now: Timestamp = .now) async throws -> (before: Article, after: Article) {
        let dialect = self.dialect
        return try await database.transaction { db in
            try Self.validate(input)
            guard let before = try await Self.article(db, id: id) else { throw PublishingError.notFound("Article \(id)") }
            if input.slug != before.slug,
               try await db.select().column("id").from("articles").where("slug", .equal, input.slug).first() != nil {
                throw PublishingError.duplicateSlug(input.slug)
            }
            let sectionID = try await Self.sectionID(db, input.section)
            try await db.update("articles")
                .set("slug", to: input.slug).set("headline", to: input.headline).set("standfirst", to: input.standfirst)
                .set("body", to: input.body).set("hero_image", to: input.hero?.url).set("hero_alt", to: input.hero?.alt ?? "")
                .set("hero_caption", to: input.hero?.caption ?? "").set("hero_credit", to: input.hero?.credit ?? "")
                .set("wire_credit", to: input.wireCredit).set("section_id", to: sectionID)
                .set("comments_open", to: input.commentsOpen ? 1 : 0).set("allow_embeds", to: input.allowEmbeds ? 1 : 0)
                .set("updated_at", to: now.milliseconds)
                .where("id", .equal, id).run()
            try await db.delete(from: "article_authors").where("article_id", .equal, id).run()
            try await db.delete(from: "article_tags").where("article_id", .equal, id).run()
            try await Self.setBylinesAndTags(db, articleID: id, input: input)
            try await dialect.indexArticle(db, id: id, headline: input.headline, standfirst: input.standfirst, body: input.body)
            return (before, try await Self.article(db, id: id)!)
        }
    }

    public func delete(id: Int64) async throws -> Article {
        let dialect = self.dialect
        return try await database.transaction { db in
            guard let article = try await Self.article(db, id: id) else { throw PublishingError.notFound("Article \(id)") }
            try await dialect.removeArticleFromIndex(db, id: id)
            try await db.delete(from: "corrections").where("article_id", .equal, id).run()
            try await db.delete(from: "article_authors").where("article_id", .equal, id).run()
            try await db.delete(from: "article_tags").where("article_id", .equal, id).run()
            try await db.delete(from: "articles").where("id", .equal, id).run()
            return article
        }
    }

    /// Publishes now. Publishing again keeps the first publication time.
    public func publish(id: Int64, now: Timestamp = .now) async throws -> Article {
        try await database.transaction { db in
            guard let article = try await Self.article(db, id: id) else { throw PublishingError.notFound("Article \(id)") }
            let publishedAt = article.status == .published ? (article.publishedAt ?? now) : now
            try await db.update("articles").set("status", to: "published").set("published_at", to: publishedAt.milliseconds)
                .set("publish_at", to: SQLLiteral.null).set("updated_at", to: now.milliseconds)
                .where("id", .equal, id).run()
            return try await Self.article(db, id: id)!
        }
    }

    /// Schedules for `at` (must be in the future); the scheduler publishes it then.
    public func schedule(id: Int64, at: Timestamp, now: Timestamp = .now) async throws -> Article {
        guard at > now else { throw PublishingError.invalid(field: "publishAt", "must be in the future") }
        return try await database.transaction { db in
            guard let article = try await Self.article(db, id: id) else { throw PublishingError.notFound("Article \(id)") }
            guard article.status != .published else {
                throw PublishingError(.conflict, code: "already_published", "The article is already published.")
            }
            try await db.update("articles").set("status", to: "scheduled").set("publish_at", to: at.milliseconds)
                .set("updated_at", to: now.milliseconds).where("id", .equal, id).run()
            return try await Self.article(db, id: id)!
        }
    }

    /// Publishes every scheduled article whose time has come, at its scheduled time, and returns them.
    public func publishDue(now: Timestamp) async throws -> [Article] {
        try await database.transaction { db in
            let due = try await db.select().columns("id", "publish_at").from("articles")
                .where("status", .equal, "scheduled").where("publish_at", .lessThanOrEqual, now.milliseconds).all()
            var published: [Article] = []
            for row in due {
                let id = try row.decode(column: "id", as: Int64.self)
                let at = try row.decode(column: "publish_at", as: Int64.self)
                // Conditional on still being scheduled, so that of several instances running the scheduler only
                // one reports (and invalidates) each article.
                let changed = try await db.update("articles").set("status", to: "published").set("published_at", to: at)
                    .set("publish_at", to: SQLLiteral.null).where("id", .equal, id).where("status", .equal, "scheduled")
                    .returning("id").first()
                if changed != nil, let article = try await Self.article(db, id: id) { published.append(article) }
            }
            return published
        }
    }

    public func addCorrection(articleID: Int64, note: String, now: Timestamp = .now) async throws -> Article {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty else { throw PublishingError.invalid(field: "note", "must not be empty") }
        return try await database.transaction { db in
            guard try await Self.article(db, id: articleID) != nil else { throw PublishingError.notFound("Article \(articleID)") }
            try await Self.insertCorrection(db, articleID: articleID, note: note, at: now)
            return try await Self.article(db, id: articleID)!
        }
    }

    static func insertCorrection(_ db: any SQLDatabase, articleID: Int64, note: String, at: Timestamp) async throws {
        try await db.insert(into: "corrections").columns("article_id", "at", "note")
            .values(SQLBind(articleID), SQLBind(at.milliseconds), SQLBind(note)).run()
    }

    static func validate(_ input: ArticleInput) throws {
        guard Slug.isValid(input.slug) else { throw PublishingError.invalid(field: "slug", "must be 1–120 lower-case letters, digits and single hyphens") }
        guard !input.headline.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw PublishingError.invalid(field: "headline", "must not be empty") }
        guard input.headline.count <= 300 else { throw PublishingError.invalid(field: "headline", "must be at most 300 characters") }
        if let hero = input.hero {
            guard !hero.url.isEmpty else { throw PublishingError.invalid(field: "hero.url", "must not be empty") }
            guard hero.url.hasPrefix("/") || hero.url.hasPrefix("https://") || hero.url.hasPrefix("http://") else {
                throw PublishingError.invalid(field: "hero.url", "must be a site path or an http(s) URL")
            }
        }
    }

    static func sectionID(_ db: any SQLDatabase, _ slug: String) async throws -> Int64 {
        guard let id = try await db.select().column("id").from("sections").where("slug", .equal, slug).first(decodingColumn: "id", as: Int64.self) else {
            throw PublishingError.unknown(field: "section", "section", slug)
        }
        return id
    }

    private static func setBylinesAndTags(_ db: any SQLDatabase, articleID: Int64, input: ArticleInput) async throws {
        var seenAuthors = Set<String>()
        for (position, slug) in input.authors.enumerated() where seenAuthors.insert(slug).inserted {
            guard let authorID = try await db.select().column("id").from("authors").where("slug", .equal, slug)
                .first(decodingColumn: "id", as: Int64.self)
            else { throw PublishingError.unknown(field: "authors", "author", slug) }
            try await db.insert(into: "article_authors").columns("article_id", "author_id", "position")
                .values(SQLBind(articleID), SQLBind(authorID), SQLBind(Int64(position))).run()
        }
        var seenTags = Set<String>()
        for name in input.tags {
            let slug = Slug.make(name)
            guard !slug.isEmpty, seenTags.insert(slug).inserted else { continue }
            let tagID: Int64
            if let existing = try await db.select().column("id").from("tags").where("slug", .equal, slug).first(decodingColumn: "id", as: Int64.self) {
                tagID = existing
            } else {
                tagID = try await db.insert(into: "tags").columns("slug", "name").values(SQLBind(slug), SQLBind(name.trimmingCharacters(in: .whitespaces)))
                    .returning("id").first(decodingColumn: "id", as: Int64.self)!
            }
            try await db.insert(into: "article_tags").columns("article_id", "tag_id").values(SQLBind(articleID), SQLBind(tagID)).run()
        }
    }

    // MARK: Reading articles

    public func article(id: Int64) async throws -> Article? {
        try await database.read { db in try await Self.article(db, id: id) }
    }

    public func article(slug: String) async throws -> Article? {
        try await database.read { db in
            guard let id = try await db.select().column("id").from("articles").where("slug", .equal, slug).first(decodingColumn: "id", as: Int64.self) else { return nil }
            return try await Self.article(db, id: id)
        }
    }

    static func article(_ db: any SQLDatabase, id: Int64) async throws -> Article? {
        let rows = try await db.select().columns(articleColumns.map { SQLColumn($0) }).from("articles").where("id", .equal, id).all()
        return try await hydrate(db, rows).first
    }

    /// Which published articles a listing shows.
    public enum Filter: Sendable, Equatable {
        case all
        case section(Int64)
        case tag(Int64)
        case author(Int64)
    }

    /// Live articles, newest first, `perPage` at a time (page 1 is the first).
    public func latest(_ filter: Filter = .all, now: Timestamp = .now, page: Int = 1, perPage: Int = 20) async throws -> ArticlePage {
        let page = max(1, page)
        return try await database.read { db in
            var query = db.select().columns(Self.articleColumns.map { SQLColumn($0, table: "articles") }).from("articles")
                .where(SQLColumn("status", table: "articles"), .equal, SQLBind("published"))
                .where(SQLColumn("published_at", table: "articles"), .lessThanOrEqual, SQLBind(now.milliseconds))
            switch filter {
            case .all: break
            case .section(let id): query = query.where(SQLColumn("section_id", table: "articles"), .equal, SQLBind(id))
            case .tag(let id):
                query = query.join("article_tags", on: SQLColumn("article_id", table: "article_tags"), .equal, SQLColumn("id", table: "articles"))
                    .where(SQLColumn("tag_id", table: "article_tags"), .equal, SQLBind(id))
            case .author(let id):
                query = query.join("article_authors", on: SQLColumn("article_id", table: "article_authors"), .equal, SQLColumn("id", table: "articles"))
                    .where(SQLColumn("author_id", table: "article_authors"), .equal, SQLBind(id))
            }
            let rows = try await query.orderBy(SQLOrderBy(expression: SQLColumn("published_at", table: "articles"), direction: SQLDirection.descending))
                .orderBy(SQLOrderBy(expression: SQLColumn("id", table: "articles"), direction: SQLDirection.descending))
                .limit(perPage + 1).offset((page - 1) * perPage).all()
            let articles = try await Self.hydrate(db, Array(rows.prefix(perPage)))
            return ArticlePage(articles: articles, page: page, hasMore: rows.count > perPage)
        }
    }

    /// Every article whatever its status, most recently changed first, for editors.
    public func allForEditors(page: Int = 1, perPage: Int = 50) async throws -> ArticlePage {
        let page = max(1, page)
        return try await database.read { db in
            let rows = try await db.select().columns(Self.articleColumns.map { SQLColumn($0) }).from("articles")
                .where("status", .notEqual, ExternalArticles.status)
                .orderBy("updated_at", .descending).orderBy("id", .descending)
                .limit(perPage + 1).offset((page - 1) * perPage).all()
            return ArticlePage(articles: try await Self.hydrate(db, Array(rows.prefix(perPage))), page: page, hasMore: rows.count > perPage)
        }
    }

    /// Live articles published since `since`, newest first (for the news sitemap).
    public func publishedSince(_ since: Timestamp, now: Timestamp = .now, limit: Int) async throws -> [Article] {
        try await database.read { db in
            let rows = try await db.select().columns(Self.articleColumns.map { SQLColumn($0) }).from("articles")
                .where("status", .equal, "published").where("published_at", .lessThanOrEqual, now.milliseconds)
                .where("published_at", .greaterThanOrEqual, since.milliseconds)
                .orderBy("published_at", .descending).limit(limit).all()
            return try await Self.hydrate(db, rows)
        }
    }

    /// Full-text search of live articles, best match first.
    public func search(_ query: String, now: Timestamp = .now, page: Int = 1, perPage: Int = 20) async throws -> ArticlePage {
        let page = max(1, page)
        let dialect = self.dialect
        return try await database.read { db in
            let ids = try await dialect.searchPublishedArticles(db, query: query, now: now, limit: perPage + 1, offset: (page - 1) * perPage)
            let wanted = Array(ids.prefix(perPage))
            guard !wanted.isEmpty else { return ArticlePage(articles: [], page: page, hasMore: false) }
            let rows = try await db.select().columns(Self.articleColumns.map { SQLColumn($0) }).from("articles").where(SQLColumn("id"), .in, SQLBind.group(wanted)).all()
            let byID = Dictionary(uniqueKeysWithValues: try await Self.hydrate(db, rows).map { ($0.id, $0) })
            return ArticlePage(articles: wanted.compactMap { byID[$0] }, page: page, hasMore: ids.count > perPage)
        }
    }

    static let articleColumns = [
        "id", "slug", "headline", "standfirst", "body", "hero_image", "hero_alt", "hero_caption", "hero_credit", "wire_credit",
        "section_id", "status", "publish_at", "published_at", "created_at", "updated_at", "comments_open", "allow_embeds",
    ]

    /// Turns article rows into articles, loading sections, bylines, tags and corrections in one query each.
    static func hydrate(_ db: any SQLDatabase, _ rows: [any SQLRow]) async throws -> [Article] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        let sections = Dictionary(uniqueKeysWithValues: try await Self.sections(db).map { ($0.id, $0) })
        var authors: [Int64: [Author]] = [:]
        for row in try await db.select()
            .columns(SQLColumn("article_id", table: "article_authors"), SQLColumn("id", table: "authors"), SQLColumn("slug", table: "authors"),
                     SQLColumn("name", table: "authors"), SQLColumn("bio", table: "authors"))
            .from("article_authors").join("authors", on: SQLColumn("author_id", table: "article_authors"), .equal, SQLColumn("id", table: "authors"))
            .where(SQLColumn("article_id", table: "article_authors"), .in, SQLBind.group(ids))
            .orderBy(SQLColumn("position", table: "article_authors")).all()
        {
            authors[try row.decode(column: "article_id", as: Int64.self), default: []].append(try author(from: row))
        }
        var tags: [Int64: [Tag]] = [:]
        for row in try await db.select()
            .columns(SQLColumn("article_id", table: "article_tags"), SQLColumn("id", table: "tags"), SQLColumn("slug", table: "tags"), SQLColumn("name", table: "tags"))
            .from("article_tags").join("tags", on: SQLColumn("tag_id", table: "article_tags"), .equal, SQLColumn("id", table: "tags"))
            .where(SQLColumn("article_id", table: "article_tags"), .in, SQLBind.group(ids))
            .orderBy(SQLColumn("name", table: "tags")).all()
        {
            tags[try row.decode(column: "article_id", as: Int64.self), default: []].append(
                Tag(id: try row.decode(column: "id", as: Int64.self), slug: try row.decode(column: "slug", as: String.self), name: try row.decode(column: "name", as: String.self))
            )
        }
        var corrections: [Int64: [Correction]] = [:]
        for row in try await db.select().columns("id", "article_id", "at", "note").from("corrections")
            .where(SQLColumn("article_id"), .in, SQLBind.group(ids)).orderBy("at").orderBy("id").all()
        {
            corrections[try row.decode(column: "article_id", as: Int64.self), default: []].append(
                Correction(id: try row.decode(column: "id", as: Int64.self), at: Timestamp(milliseconds: try row.decode(column: "at", as: Int64.self)), note: try row.decode(column: "note", as: String.self))
            )
        }
        return try zip(rows, ids).map { row, id in
            let heroURL = try row.decode(column: "hero_image", as: String?.self)
            let sectionID = try row.decode(column: "section_id", as: Int64.self)
            guard let section = sections[sectionID] else { throw PublishingError.notFound("Section \(sectionID)") }
            return Article(
                id: id,
                slug: try row.decode(column: "slug", as: String.self),
                headline: try row.decode(column: "headline", as: String.self),
                standfirst: try row.decode(column: "standfirst", as: String.self),
                body: try row.decode(column: "body", as: String.self),
                hero: heroURL.map { url in
                    HeroImage(url: url, alt: (try? row.decode(column: "hero_alt", as: String.self)) ?? "",
                              caption: (try? row.decode(column: "hero_caption", as: String.self)) ?? "",
                              credit: (try? row.decode(column: "hero_credit", as: String.self)) ?? "")
                },
                wireCredit: try row.decode(column: "wire_credit", as: String.self),
                section: section,
                authors: authors[id] ?? [],
                tags: tags[id] ?? [],
                status: ArticleStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft,
                publishAt: try row.decode(column: "publish_at", as: Int64?.self).map(Timestamp.init(milliseconds:)),
                publishedAt: try row.decode(column: "published_at", as: Int64?.self).map(Timestamp.init(milliseconds:)),
                createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
                updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)),
                corrections: corrections[id] ?? [],
                commentsOpen: try row.decode(column: "comments_open", as: Int64.self) != 0,
                allowEmbeds: try row.decode(column: "allow_embeds", as: Int64.self) != 0
            )
        }
    }
}
