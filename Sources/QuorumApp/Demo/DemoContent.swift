import Accounts
import Comments
import Foundation
import Publishing
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// The demo newsroom that `quorum demo` loads on first start: an admin, five sections, six authors, more than
/// thirty published articles with generated photos, one scheduled and one draft. Loading again is a no-op.
public enum DemoContent {
    public static let adminEmail = "admin@demo.quorum.test"
    public static let flagshipSlug = DemoArticles.flagship.slug

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
        return done.isEmpty ? "already loaded" : done.joined(separator: "; ")
    }

    static func loadNewsroom(store: ArticleStore, configuration: QuorumConfiguration, now: Timestamp) async throws -> Int {
        let images = ImageStore(database: store.database, folder: configuration.dataDirectory + "/images", maxBytes: .max)
        for (position, section) in DemoArticles.sections.enumerated() {
            try await store.createSection(slug: section.slug, name: section.name, description: section.description, position: Int64(position), now: now)
        }
        for author in DemoArticles.authors {
            try await store.createAuthor(slug: Slug.make(author.slug), name: author.name, bio: author.bio, now: now)
        }
        // One picture per palette, shared by articles, so the demo folder stays small.
        var pictures: [String] = []
        for (index, palette) in DemoPicture.palettes.enumerated() {
            pictures.append(try await images.save(DemoPicture.png(palette: palette, seed: index + 3), now: now).url)
        }
        var count = 0
        for (index, story) in DemoArticles.stories.enumerated() {
            let input = ArticleInput(
                slug: story.slug, headline: story.headline, standfirst: story.standfirst,
                body: body(story), hero: HeroImage(
                    url: pictures[index % pictures.count],
                    alt: "An illustration for “\(story.headline)”: hills and a town skyline under a coloured sky",
                    caption: "An illustration for this story.", credit: "Illustration: Quorum demo"
                ),
                section: story.section, authors: story.authors.map(Slug.make), tags: story.tags
            )
            let published = now.adding(seconds: -story.hoursAgo * 3600)
            _ = try await store.create(input, now: published)
            _ = try await store.publish(id: try await store.article(slug: story.slug)!.id, now: published)
            count += 1
        }
        let flagship = DemoArticles.flagship
        let input = ArticleInput(
            slug: flagship.slug, headline: flagship.headline, standfirst: flagship.standfirst,
            body: body(flagship) + DemoArticles.flagshipExtra,
            hero: HeroImage(
                url: pictures[0],
                alt: "Foreign ministers walk into the summit hall in Calden, the harbour visible through the windows behind them",
                caption: "Marovian Foreign Minister Elin Sarkis (centre) speaks with the foreign ministers of Ostrava Bay (left) and the Lumen Islands as they enter the hall for the Coastal States Summit in Calden on 4 June.",
                credit: "Photo: Harbour Wire / Lena Okafor / Pool"
            ),
            wireCredit: "Reporting by Ines Marlow and Tomas Rieck; Editing by Priya Nand and Owen Hale.",
            section: flagship.section, authors: flagship.authors, tags: flagship.tags
        )
        let published = now.adding(seconds: -flagship.hoursAgo * 3600)
        let article = try await store.create(input, now: published)
        _ = try await store.publish(id: article.id, now: published)
        _ = try await store.addCorrection(
            articleID: article.id,
            note: "An earlier version of this article gave the wrong day for the draft agreement's circulation. It was Tuesday, not Monday.",
            now: published.adding(seconds: 1800)
        )
        count += 1

        let scheduled = try await store.create(ArticleInput(
            slug: "summit-communique-expected", headline: "Summit communiqué expected on patrol boats and harbour access",
            standfirst: "Officials say the text is agreed except for one paragraph on fuel.",
            body: "Diplomats worked through the night on the final wording.\n\n> “One paragraph, and it is about diesel,” an official said.",
            section: "world", authors: ["amara-velde"], tags: ["Diplomacy"]
        ), now: now)
        _ = try await store.schedule(id: scheduled.id, at: now.adding(seconds: 3600), now: now)
        _ = try await store.create(ArticleInput(
            slug: "draft-harbour-feature", headline: "Draft: a day in the life of the harbour master",
            body: "Notes for a feature. Not ready for readers.", section: "world", authors: ["amara-velde"]
        ), now: now)
        return count + 2
    }

    static func body(_ story: DemoArticles.Story) -> String {
        var parts = story.paragraphs
        // Attributed the way wire copy does it: “… they are,” Sarkis said.
        var text = story.quote.text
        if text.hasSuffix(".") { text = String(text.dropLast()) + "," }
        let quote = "> “\(text)” \(story.quote.who.prefix(1).uppercased() + story.quote.who.dropFirst()) said."
        parts.insert(quote, at: min(2, parts.count))
        return parts.joined(separator: "\n\n")
    }
}
