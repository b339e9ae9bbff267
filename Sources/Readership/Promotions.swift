import Foundation
import NIOConcurrencyHelpers
import QuorumBus
import QuorumStore
import QuorumWeb
import ReadershipEngine
import SQLKit

/// An editor-defined promotion block.
struct Promotion: Sendable, Equatable {
    var id: Int64 = 0
    var kind: PromotionKind = .houseAd
    var name = ""
    var kicker = ""
    var heading = ""
    /// The text; for the call to action, the publisher's wording with `{share}`, `{complement}`, `{members}`,
    /// `{readers}`.
    var body = ""
    /// The call to action's wording until there are `minimumReaders` readers.
    var fallback = ""
    var minimumReaders = 500
    var linkText = ""
    /// A path on this site (`/membership`) or an http(s) address; reached through the counting redirect.
    var linkURL = ""
    var imageURL = ""
    var imageAlt = ""
    var audience: Audience = .everyone
    var section = ""
    var tag = ""
    var onArticles = true
    var onHome = false
    var priority = 0
    var startsAt: Timestamp?
    var endsAt: Timestamp?
    var enabled = true
    var views = 0
    var clicks = 0

    var rule: PromotionRule {
        PromotionRule(id: id, kind: kind, enabled: enabled, audience: audience, section: section.isEmpty ? nil : section,
                      tag: tag.isEmpty ? nil : tag, onHome: onHome, onArticles: onArticles, priority: priority,
                      startsAt: startsAt?.milliseconds, endsAt: endsAt?.milliseconds)
    }

    /// The block as a page shows it; the call to action's text from the live share.
    func block(share: ReaderShare, figures: [String: String] = [:]) -> ArticlePromotion {
        var text = body
        var heading = self.heading
        for (placeholder, value) in figures {
            text = text.replacingOccurrences(of: placeholder, with: value)
            heading = heading.replacingOccurrences(of: placeholder, with: value)
        }
        if kind == .callToAction {
            let wording = CallToActionWording(text: body, fallback: fallback, minimumReaders: minimumReaders)
            text = wording.render(share)
            heading = share.readers >= max(1, minimumReaders) ? CallToActionWording.fill(heading, share) : CallToActionWording.fill(Self.fallbackHeading(heading), share)
        }
        return ArticlePromotion(kicker: kicker, heading: heading, text: text, linkText: linkText, link: .promotionClick(id), id: id,
                                imageURL: imageURL.isEmpty ? nil : imageURL, imageAlt: imageURL.isEmpty ? nil : imageAlt)
    }

    /// A heading that quotes numbers is not shown before there are enough readers to quote.
    static func fallbackHeading(_ heading: String) -> String {
        CallToActionWording.placeholders.contains { heading.contains($0) } ? "Support independent journalism" : heading
    }

    /// Whether `text` is a link target a promotion may use: a path on this site or an http(s) URL.
    static func isSafeLink(_ text: String) -> Bool {
        if text.hasPrefix("/") { return SiteURL.safeRedirect(text) == text }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
        else { return false }
        return !text.contains(where: { $0.isWhitespace || $0.isNewline })
    }
}

/// Every promotion query.
struct PromotionStore: Sendable {
    let database: Database

    static let columns: SQLQueryString = """
        id, kind, name, kicker, heading, body, fallback, minimum_readers, link_text, link_url, image_url, image_alt, audience,
        section_slug, tag_slug, on_articles, on_home, priority, starts_at, ends_at, enabled, views, clicks
        """

    func all() async throws -> [Promotion] {
        try await database.read { db in
            try await db.raw("SELECT \(Self.columns) FROM promotions ORDER BY priority DESC, id").all().map(Self.promotion)
        }
    }

    func find(_ id: Int64) async throws -> Promotion? {
        try await database.read { db in
            try await db.raw("SELECT \(Self.columns) FROM promotions WHERE id = \(bind: id)").first().map(Self.promotion)
        }
    }

    static func promotion(_ row: any SQLRow) throws -> Promotion {
        var p = Promotion()
        p.id = try row.decode(column: "id", as: Int64.self)
        p.kind = PromotionKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .houseAd
        p.name = try row.decode(column: "name", as: String.self)
        p.kicker = try row.decode(column: "kicker", as: String.self)
        p.heading = try row.decode(column: "heading", as: String.self)
        p.body = try row.decode(column: "body", as: String.self)
        p.fallback = try row.decode(column: "fallback", as: String.self)
        p.minimumReaders = try row.decode(column: "minimum_readers", as: Int.self)
        p.linkText = try row.decode(column: "link_text", as: String.self)
        p.linkURL = try row.decode(column: "link_url", as: String.self)
        p.imageURL = try row.decode(column: "image_url", as: String.self)
        p.imageAlt = try row.decode(column: "image_alt", as: String.self)
        p.audience = Audience(rawValue: try row.decode(column: "audience", as: String.self)) ?? .everyone
        p.section = try row.decode(column: "section_slug", as: String.self)
        p.tag = try row.decode(column: "tag_slug", as: String.self)
        p.onArticles = try row.decode(column: "on_articles", as: Int.self) != 0
        p.onHome = try row.decode(column: "on_home", as: Int.self) != 0
        p.priority = try row.decode(column: "priority", as: Int.self)
        p.startsAt = try row.decode(column: "starts_at", as: Int64?.self).map(Timestamp.init(milliseconds:))
        p.endsAt = try row.decode(column: "ends_at", as: Int64?.self).map(Timestamp.init(milliseconds:))
        p.enabled = try row.decode(column: "enabled", as: Int.self) != 0
        p.views = try row.decode(column: "views", as: Int.self)
        p.clicks = try row.decode(column: "clicks", as: Int.self)
        return p
    }

    /// Inserts (id 0) or updates a promotion; returns its id.
    func save(_ p: Promotion, now: Timestamp) async throws -> Int64 {
        try await database.transaction { db in
            if p.id == 0 {
                let row = try await db.raw("""
                    INSERT INTO promotions (kind, name, kicker, heading, body, fallback, minimum_readers, link_text, link_url, image_url,
                        image_alt, audience, section_slug, tag_slug, on_articles, on_home, priority, starts_at, ends_at, enabled, created_at, updated_at)
                    VALUES (\(bind: p.kind.rawValue), \(bind: p.name), \(bind: p.kicker), \(bind: p.heading), \(bind: p.body), \(bind: p.fallback),
                        \(bind: p.minimumReaders), \(bind: p.linkText), \(bind: p.linkURL), \(bind: p.imageURL), \(bind: p.imageAlt),
                        \(bind: p.audience.rawValue), \(bind: p.section), \(bind: p.tag), \(bind: p.onArticles ? 1 : 0), \(bind: p.onHome ? 1 : 0),
                        \(bind: p.priority), \(bind: p.startsAt?.milliseconds), \(bind: p.endsAt?.milliseconds), \(bind: p.enabled ? 1 : 0),
                        \(bind: now.milliseconds), \(bind: now.milliseconds))
                    RETURNING id
                    """).first()
                return try row?.decode(column: "id", as: Int64.self) ?? 0
            }
            try await db.raw("""
                UPDATE promotions SET kind = \(bind: p.kind.rawValue), name = \(bind: p.name), kicker = \(bind: p.kicker),
                    heading = \(bind: p.heading), body = \(bind: p.body), fallback = \(bind: p.fallback), minimum_readers = \(bind: p.minimumReaders),
                    link_text = \(bind: p.linkText), link_url = \(bind: p.linkURL), image_url = \(bind: p.imageURL), image_alt = \(bind: p.imageAlt),
                    audience = \(bind: p.audience.rawValue), section_slug = \(bind: p.section), tag_slug = \(bind: p.tag),
                    on_articles = \(bind: p.onArticles ? 1 : 0), on_home = \(bind: p.onHome ? 1 : 0), priority = \(bind: p.priority),
                    starts_at = \(bind: p.startsAt?.milliseconds), ends_at = \(bind: p.endsAt?.milliseconds), enabled = \(bind: p.enabled ? 1 : 0),
                    updated_at = \(bind: now.milliseconds)
                WHERE id = \(bind: p.id)
                """).run()
            return p.id
        }
    }

    /// What deleted promotions had counted, kept so the totals of views and clicks stay whole.
    struct Retired: Sendable, Hashable, Codable {
        var promotions = 0
        var views = 0
        var clicks = 0
    }

    static let retiredKey = "promotions_retired"

    /// Deletes a promotion and adds its views and clicks to the retired totals, in one transaction (the settings
    /// row is locked by an update first, so two deletions at once on PostgreSQL both count). Nil: no such promotion.
    func delete(_ id: Int64, by actor: Int64?, now: Timestamp) async throws -> Promotion? {
        try await database.transaction { db in
            guard let p = try await db.raw("SELECT \(Self.columns) FROM promotions WHERE id = \(bind: id)").first().map(Self.promotion) else {
                return nil
            }
            try await db.raw("DELETE FROM promotions WHERE id = \(bind: id)").run()
            try await db.raw("""
                INSERT INTO settings ("key", value, updated_at) VALUES (\(bind: Self.retiredKey), \(bind: "{}"), \(bind: now.milliseconds))
                ON CONFLICT ("key") DO NOTHING
                """).run()
            try await db.raw("UPDATE settings SET updated_at = \(bind: now.milliseconds) WHERE \"key\" = \(bind: Self.retiredKey)").run()
            let stored = try await db.raw("SELECT value FROM settings WHERE \"key\" = \(bind: Self.retiredKey)").first()?
                .decode(column: "value", as: String.self)
            var retired = stored.flatMap { try? JSONDecoder().decode(Retired.self, from: Data($0.utf8)) } ?? Retired()
            retired.promotions += 1
            retired.views += p.views
            retired.clicks += p.clicks
            let json = String(decoding: try JSONEncoder().encode(retired), as: UTF8.self)
            try await db.raw("UPDATE settings SET value = \(bind: json) WHERE \"key\" = \(bind: Self.retiredKey)").run()
            try await AuditLog.record(actor: actor, action: "promotion.deleted", subject: "promotion:\(id)",
                                      details: "views=\(p.views) clicks=\(p.clicks) (kept in the retired totals)", now: now, on: db)
            return p
        }
    }

    /// The totals of deleted promotions (zero when none was deleted, or the row cannot be read).
    func retired() async throws -> Retired {
        try await SettingsStore(database: database).get(Self.retiredKey)
            .flatMap { try? JSONDecoder().decode(Retired.self, from: Data($0.utf8)) } ?? Retired()
    }

    /// Counts a click; returns the promotion's target, or nil when there is no such promotion.
    func click(_ id: Int64) async throws -> String? {
        try await database.transaction { db in
            try await db.raw("UPDATE promotions SET clicks = clicks + 1 WHERE id = \(bind: id)").run()
            return try await db.raw("SELECT link_url FROM promotions WHERE id = \(bind: id)").first()?.decode(column: "link_url", as: String.self)
        }
    }
}

/// Readership's side of the promotion seam: chooses the blocks of a page variant when it is rendered, fills in
/// the call to action's live share, and remembers what each cached variant shows, so its views count.
public struct ReadershipPromotions: PromotionSource {
    let service: ReadershipService
    /// Live figures for product promotions (the shop's donated count), filled into their wording.
    let figures: (any PromotionFigures)?
    private let rotation = NIOLockedValueBox<UInt64>(0)

    public init(service: ReadershipService, figures: (any PromotionFigures)? = nil) {
        self.service = service
        self.figures = figures
    }

    public func promotions(on page: PromotionPage, for reader: ReaderClass) async throws -> [ArticlePromotion] {
        let all = try await service.promotionStore.all()
        let placement: Placement
        let path: String
        switch page {
        case .article(let article, let section, let tags):
            placement = .article(section: section, tags: tags)
            path = SiteURL.article(article.slug).path
        case .home:
            placement = .home
            path = SiteURL.home.path
        }
        let turn = rotation.withLockedValue { value -> UInt64 in
            value &+= 1
            return value
        }
        let ids = PromotionChooser.choose(all.map(\.rule), at: placement, for: reader.kind, now: service.clock.now().milliseconds,
                                          rotation: turn &+ UInt64(truncatingIfNeeded: path.utf8.reduce(0) { $0 &+ Int($1) }))
        let chosen = ids.compactMap { id in all.first { $0.id == id } }
        let share = chosen.contains { $0.kind == .callToAction } ? try await service.share() : ReaderShare(members: 0, readers: 0)
        service.counter.recordShown(key: reader.key(path), ids: ids)
        var blocks: [ArticlePromotion] = []
        for p in chosen {
            let live = p.kind == .product ? (try? await figures?.figures(forLink: p.linkURL)) ?? [:] : [:]
            blocks.append(p.block(share: share, figures: live))
        }
        return blocks
    }
}

extension ReaderClass {
    var kind: ReaderKind {
        switch self {
        case .anonymous: .anonymous
        case .signedIn: .signedIn
        case .member: .member
        }
    }
}
