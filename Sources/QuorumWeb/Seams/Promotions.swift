import QuorumBus

/// A block between an article and its comments that sends readers to another part of the site (membership, the
/// shop, a newsletter). The feature that serves the page it links to provides it, next to that page's route, and
/// the composition root hands the list to Publishing: a promotion cannot point at a page the site does not serve.
public struct ArticlePromotion: Sendable, Equatable {
    public var kicker: String
    public var heading: String
    public var text: String
    public var linkText: String
    public var link: SiteURL
    /// An editor-defined block's id (its views are counted), its picture and the picture's text.
    public var id: Int64?
    public var imageURL: String?
    public var imageAlt: String?

    public init(kicker: String, heading: String, text: String, linkText: String, link: SiteURL, id: Int64? = nil,
                imageURL: String? = nil, imageAlt: String? = nil) {
        self.kicker = kicker
        self.heading = heading
        self.text = text
        self.linkText = linkText
        self.link = link
        self.id = id
        self.imageURL = imageURL
        self.imageAlt = imageAlt
    }
}

/// The page promotions are chosen for: an article (with its section and tags, for targeting) or the home page.
public enum PromotionPage: Sendable {
    case article(ArticleSummary, section: String, tags: [String])
    case home
}

/// Chooses the promotions a page shows to a class of reader, when the page is rendered (it is then cached per
/// class). Readership provides it; the composition root gives it to Publishing. Pages carrying promotions are
/// tagged `CacheTag.promotions`, which the provider invalidates when promotions change.
public protocol PromotionSource: Sendable {
    func promotions(on page: PromotionPage, for reader: ReaderClass) async throws -> [ArticlePromotion]
}

extension CacheTag {
    /// Every page that shows promotions (article and home pages).
    public static let promotions = CacheTag("promotions", "all")
}

/// Live figures an editor's promotion may quote, from the feature that serves the page it links to. The shop
/// gives a product's `{donated}` (copies donated so far), `{partner}` and `{price}` for links to `/shop/SLUG`;
/// it invalidates `CacheTag.promotions` when they change, so cached pages show them within seconds.
public protocol PromotionFigures: Sendable {
    /// Placeholder → value for a promotion linking to `link`; empty when the link is not this feature's.
    func figures(forLink link: String) async throws -> [String: String]
}
