import Accounts
import Comments
import Foundation
import Publishing
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb
import Yams

/// The demo newsroom that `quorum demo` loads on first start: an admin, five sections, six authors, more than
/// thirty published articles with generated photos, one scheduled and one draft. The articles are Markdown files
/// in `Resources/demo/`, loaded through the importer, so the demo exercises `quorum import`. Loading again is a no-op.
public enum DemoContent {
    public static let adminEmail = "admin@demo.quorum.test"
    /// The article with every element of a wire story page; the demo seeds its comment thread.
    public static let flagshipSlug = "coastal-states-agree-patrol-data-sharing"

    /// Loads what is missing and says what it did.
    public static func load(into database: Database, configuration: QuorumConfiguration, now: Timestamp = .now) async throws -> String {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        var done: [String] = []
        let users = UserStore(database: database)
        if try await users.find(email: adminEmail) == nil {
            _ = try await users.create(email: adminEmail, displayName: "Demo Admin", roles: [.admin, .editor, .moderator])
            done.append("created the demo admin \(adminEmail)")
        }
        let store = ArticleStore(database: database)
        if try await store.sections().isEmpty {
            let count = try await loadNewsroom(store: store, configuration: configuration, now: now)
            done.append("loaded \(count) articles")
        }
        let comments = try await DemoComments.load(into: database, articleSlug: flagshipSlug, now: now)
        if comments > 0 { done.append("loaded \(comments) comments on \(flagshipSlug)") }
        let members = try await DemoMembership.load(into: database, configuration: configuration, now: now.date)
        if members > 0 { done.append("loaded a year of history for \(members) memberships") }
        let orders = try await DemoShop.load(into: database, now: now.date)
        if orders > 0 { done.append("loaded \(orders) paid pre-orders of \(DemoShop.slug)") }
        return done.isEmpty ? "already loaded" : done.joined(separator: "; ")
    }

    /// The demo's files: `Resources/demo/newsroom.yaml` (sections, authors, the moment the dates are written for)
    /// and `Resources/demo/articles/*.md`, Markdown with front matter as `quorum import` reads it.
    static var folder: String { Bundle.module.bundleURL.appendingPathComponent("Resources/demo").path }

    /// `newsroom.yaml`.
    struct Newsroom: Decodable {
        struct Section: Decodable { var slug: String; var name: String; var description: String }
        struct Author: Decodable { var slug: String; var name: String; var bio: String }
        var writtenAt: Date
        var sections: [Section]
        var authors: [Author]

        static func load(_ path: String) throws -> Newsroom {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("the demo's \(path) is missing")
            }
            do {
                return try YAMLDecoder().decode(Newsroom.self, from: text)
            } catch {
                throw ConfigurationError("the demo's \(path) is malformed: \(error)")
            }
        }
    }

    /// The address a demo article's hero gives for the N-th generated picture (1-based).
    static func picturePlaceholder(_ number: Int) -> String { "/images/demo-picture-\(number).png" }

    static func loadNewsroom(store: ArticleStore, configuration: QuorumConfiguration, now: Timestamp) async throws -> Int {
        let newsroom = try Newsroom.load(folder + "/newsroom.yaml")
        let images = ImageStore(database: store.database, folder: configuration.dataDirectory + "/images", maxBytes: .max)
        for (position, section) in newsroom.sections.enumerated() {
            try await store.createSection(slug: section.slug, name: section.name, description: section.description, position: Int64(position), now: now)
        }
        for author in newsroom.authors {
            try await store.createAuthor(slug: Slug.make(author.slug), name: author.name, bio: author.bio, now: now)
        }
        // One picture per palette, shared by articles, so the demo folder stays small.
        var pictures: [String: String] = [:]
        for (index, photo) in DemoPicture.photos.enumerated() {
            pictures[picturePlaceholder(index + 1)] = try await images.save(photo, now: now).url
        }
        // The same importer as `quorum import`; only the dates move (to now) and the pictures get their addresses.
        var articles = try ArticleImporter.read(directory: folder + "/articles", now: now)
        let shift = now.milliseconds - Timestamp(newsroom.writtenAt).milliseconds
        func moved(_ time: Timestamp) -> Timestamp { Timestamp(milliseconds: time.milliseconds + shift) }
        for index in articles.indices {
            articles[index].publishedAt = articles[index].publishedAt.map(moved)
            articles[index].publishAt = articles[index].publishAt.map(moved)
            for c in articles[index].corrections.indices {
                articles[index].corrections[c].at = moved(articles[index].corrections[c].at)
            }
            if let url = articles[index].input.hero?.url, url.hasPrefix("/images/demo-picture-") {
                guard let stored = pictures[url] else {
                    throw ConfigurationError("\(articles[index].file): the demo draws no picture \(url)")
                }
                articles[index].input.hero?.url = stored
            }
        }
        return try await ArticleImporter(database: store.database).write(articles, now: now)
    }
}
