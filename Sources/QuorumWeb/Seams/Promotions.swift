/// A block between an article and its comments that sends readers to another part of the site (membership, the
/// shop, a newsletter). The feature that serves the page it links to provides it, next to that page's route, and
/// the composition root hands the list to Publishing: a promotion cannot point at a page the site does not serve.
public struct ArticlePromotion: Sendable, Equatable {
    public var kicker: String
    public var heading: String
    public var text: String
    public var linkText: String
    public var link: SiteURL

    public init(kicker: String, heading: String, text: String, linkText: String, link: SiteURL) {
        self.kicker = kicker
        self.heading = heading
        self.text = text
        self.linkText = linkText
        self.link = link
    }
}
