/// Who a promotion is for. The reader's class comes from the page variant being rendered.
public enum Audience: String, Sendable, CaseIterable, Codable {
    case everyone
    case notMembers = "not_members"
    case signedOut = "signed_out"

    public func includes(_ reader: ReaderKind) -> Bool {
        switch self {
        case .everyone: true
        case .notMembers: reader != .member
        case .signedOut: reader == .anonymous
        }
    }
}

/// The three page variants (the web layer's reader class, without its cookie).
public enum ReaderKind: Sendable, Equatable, CaseIterable {
    case anonymous, signedIn, member
}

/// What kind of block a promotion is.
public enum PromotionKind: String, Sendable, CaseIterable, Codable {
    /// The membership call to action: its text is the publisher's wording with the live share filled in.
    case callToAction = "call_to_action"
    /// A product of the shop (name, text, price line, link).
    case product
    /// The newsroom's own advertisement: image, text, link.
    case houseAd = "house_ad"
}

/// Where a page shows promotions.
public enum Placement: Sendable, Equatable {
    /// Between an article and its comments.
    case article(section: String, tags: [String])
    /// On the home page.
    case home
}

/// What the chooser needs to know of a promotion.
public struct PromotionRule: Sendable, Equatable {
    public var id: Int64
    public var kind: PromotionKind
    public var enabled: Bool
    public var audience: Audience
    /// Only on articles of this section (slug), when set.
    public var section: String?
    /// Only on articles with this tag (slug), when set.
    public var tag: String?
    public var onHome: Bool
    public var onArticles: Bool
    public var priority: Int
    /// Milliseconds since 1970; nil for no limit. Shown from `startsAt` (inclusive) until `endsAt` (exclusive).
    public var startsAt: Int64?
    public var endsAt: Int64?

    public init(id: Int64, kind: PromotionKind, enabled: Bool = true, audience: Audience = .everyone, section: String? = nil,
                tag: String? = nil, onHome: Bool = false, onArticles: Bool = true, priority: Int = 0,
                startsAt: Int64? = nil, endsAt: Int64? = nil) {
        self.id = id
        self.kind = kind
        self.enabled = enabled
        self.audience = audience
        self.section = section
        self.tag = tag
        self.onHome = onHome
        self.onArticles = onArticles
        self.priority = priority
        self.startsAt = startsAt
        self.endsAt = endsAt
    }

    /// Whether this promotion may appear on this page, for this reader, at this moment.
    public func applies(at placement: Placement, for reader: ReaderKind, now: Int64) -> Bool {
        guard enabled, audience.includes(reader) else { return false }
        // A member is never asked to become one, whatever the audience says.
        if kind == .callToAction, reader == .member { return false }
        if let startsAt, now < startsAt { return false }
        if let endsAt, now >= endsAt { return false }
        switch placement {
        case .home:
            return onHome && section == nil && tag == nil
        case .article(let articleSection, let tags):
            guard onArticles else { return false }
            if let section, section != articleSection { return false }
            if let tag, !tags.contains(tag) { return false }
            return true
        }
    }

    /// Scheduled, running or ended at `now` (for the admin list).
    public func schedule(at now: Int64) -> String {
        if !enabled { return "paused" }
        if let startsAt, now < startsAt { return "scheduled" }
        if let endsAt, now >= endsAt { return "ended" }
        return "running"
    }
}

/// Chooses the blocks a page shows: the eligible promotions, highest priority first, at most `limit`. Among
/// promotions of equal priority the order rotates with `rotation` (the service passes a number that changes
/// with every rendering of the page), so each gets its turn.
public enum PromotionChooser {
    public static func choose(_ rules: [PromotionRule], at placement: Placement, for reader: ReaderKind, now: Int64,
                              rotation: UInt64, limit: Int = 2) -> [Int64] {
        let eligible = rules.filter { $0.applies(at: placement, for: reader, now: now) }
        let priorities = Set(eligible.map(\.priority)).sorted(by: >)
        var chosen: [Int64] = []
        for priority in priorities {
            let group = eligible.filter { $0.priority == priority }.sorted { $0.id < $1.id }
            let start = Int(rotation % UInt64(group.count))
            for offset in 0..<group.count {
                guard chosen.count < limit else { return chosen }
                chosen.append(group[(start + offset) % group.count].id)
            }
        }
        return chosen
    }
}
