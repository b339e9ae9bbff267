import QuorumStore
import QuorumWeb

import SQLKit

/// Publishing's side of the external-page seam: an article with status `external` in a section of its own
/// (`_pages`, a slug editors cannot type), which no listing, feed, sitemap or search reads (they read
/// `published`), and whose reader page answers 404.
public struct ExternalArticles: ExternalPageArticles {
    static let status = "external"
    static let section = "_pages"

    public init() {}

    public func article(forPage key: String, title: String, on db: any SQLDatabase) async throws -> ArticleSummary {
        if let found = try await PublishedArticles().article(slug: key, on: db) { return found }
        let now = Timestamp.now
        let sectionID: Int64
        if let id = try await db.select().column("id").from("sections").where("slug", .equal, Self.section).first(decodingColumn: "id", as: Int64.self) {
            sectionID = id
        } else {
            sectionID = try await db.insert(into: "sections").columns("slug", "name", "description", "position", "created_at")
                .values(SQLBind(Self.section), SQLBind("Pages elsewhere"), SQLBind("Pages on other sites that show a thread."),
                        SQLBind(Int64.max / 2), SQLBind(now.milliseconds))
                .returning("id").first(decodingColumn: "id", as: Int64.self)!
        }
        let headline = String(title.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))
        _ = try await db.insert(into: "articles")
            .columns("slug", "headline", "section_id", "status", "published_at", "created_at", "updated_at", "comments_open")
            .values(SQLBind(key), SQLBind(headline.isEmpty ? key : headline), SQLBind(sectionID), SQLBind(Self.status),
                    SQLBind(now.milliseconds), SQLBind(now.milliseconds), SQLBind(now.milliseconds), SQLBind(1))
            .run()
        return try await PublishedArticles().article(slug: key, on: db)!
    }
}
