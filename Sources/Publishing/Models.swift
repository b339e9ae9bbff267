import Foundation
import QuorumBus
import QuorumStore

import QuorumWeb

/// A part of the paper (World, Business …) with its own front, feed and place in the navigation.
public struct Section: Sendable, Codable, Equatable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var description: String
    public var position: Int64
}

/// A person who writes for the publication; an article can have several.
public struct Author: Sendable, Codable, Equatable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var bio: String
}

public struct Tag: Sendable, Codable, Equatable, Hashable {
    public var id: Int64
    public var slug: String
    public var name: String
}

public enum ArticleStatus: String, Sendable, Codable, CaseIterable {
    case draft, scheduled, published
}

/// A dated note on an article saying what was wrong and what was changed, shown on the page.
public struct Correction: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Timestamp
    public var note: String
}

/// The photo at the top of an article, with what the reader needs to know about it.
public struct HeroImage: Sendable, Codable, Equatable {
    /// Site path or absolute URL of the image.
    public var url: String
    /// Text alternative for people who cannot see it.
    public var alt: String
    /// What the photo shows.
    public var caption: String
    /// Who took it, e.g. "Photo: Harbour Wire / Ana Ruiz".
    public var credit: String

    public init(url: String, alt: String, caption: String, credit: String) {
        self.url = url
        self.alt = alt
        self.caption = caption
        self.credit = credit
    }
}

/// An article with everything needed to show it.
public struct Article: Sendable, Codable, Equatable {
    public var id: Int64
    public var slug: String
    public var headline: String
    public var standfirst: String
    /// Markdown.
    public var body: String
    public var hero: HeroImage?
    /// "Reporting by …; Editing by …" for agency copy.
    public var wireCredit: String
    public var section: Section
    public var authors: [Author]
    public var tags: [Tag]
    public var status: ArticleStatus
    /// When a scheduled article goes live.
    public var publishAt: Timestamp?
    public var publishedAt: Timestamp?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var corrections: [Correction]
    public var commentsOpen: Bool
    /// Raw HTML in the body (embeds) is kept only when an editor allows it for this article.
    public var allowEmbeds: Bool

    /// Published and due: what readers may see at `now`.
    public func isLive(at now: Timestamp) -> Bool {
        status == .published && (publishedAt.map { $0 <= now } ?? false)
    }

    /// The later of the last edit and the last correction: what "updated" means to a reader and a crawler.
    public var modifiedAt: Timestamp {
        max(updatedAt, corrections.map(\.at).max() ?? updatedAt)
    }
}

/// What an editor sends to create or change an article. Sections and authors are named by slug; tags by name.
public struct ArticleInput: Sendable, Equatable {
    public var slug: String
    public var headline: String
    public var standfirst: String = ""
    public var body: String = ""
    public var hero: HeroImage? = nil
    public var wireCredit: String = ""
    public var section: String
    public var authors: [String] = []
    public var tags: [String] = []
    public var commentsOpen: Bool = true
    public var allowEmbeds: Bool = false

    public init(
        slug: String, headline: String, standfirst: String = "", body: String = "", hero: HeroImage? = nil,
        wireCredit: String = "", section: String, authors: [String] = [], tags: [String] = [],
        commentsOpen: Bool = true, allowEmbeds: Bool = false
    ) {
        self.slug = slug
        self.headline = headline
        self.standfirst = standfirst
        self.body = body
        self.hero = hero
        self.wireCredit = wireCredit
        self.section = section
        self.authors = authors
        self.tags = tags
        self.commentsOpen = commentsOpen
        self.allowEmbeds = allowEmbeds
    }
}

/// A page of articles and whether more follow.
public struct ArticlePage: Sendable {
    public var articles: [Article]
    public var page: Int
    public var hasMore: Bool
}

public enum Slug {
    /// Lower-case ASCII letters, digits and single hyphens, 1–120 characters.
    public static func isValid(_ slug: String) -> Bool {
        guard (1...120).contains(slug.count), !slug.hasPrefix("-"), !slug.hasSuffix("-"), !slug.contains("--") else { return false }
        return slug.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// A slug made from a name: "Côte d'Ivoire votes" → "cote-d-ivoire-votes".
    public static func make(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en_US_POSIX")).lowercased()
        var out = ""
        for scalar in folded.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return String(out.prefix(120)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }
}
