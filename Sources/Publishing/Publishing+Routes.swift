import Hummingbird

import QuorumWeb

extension Publishing {
    /// Every route of publishing: reader pages, feeds and sitemaps, images, the public and admin APIs and the
    /// editors' pages. `articleSections` are the parts of the article page other features provide;
    /// `promotions` the blocks between an article and its comments, each from the feature that serves its page.
    /// `promotionSource`, when given, chooses editor-defined promotions per page and class of reader.
    public func addRoutes(to router: Router<QuorumContext>, articleSections: [any ArticlePageSection], promotions: [ArticlePromotion] = [],
                          promotionSource: (any PromotionSource)? = nil) {
        ReaderRoutes(publishing: self, sections: articleSections, promotions: promotions, promotionSource: promotionSource).addRoutes(to: router)
        ImageRoutes(publishing: self).addRoutes(to: router)
        PublicAPIRoutes(publishing: self).addRoutes(to: router)
        AdminAPIRoutes(publishing: self).addRoutes(to: router)
        AdminPageRoutes(publishing: self, promotions: promotions).addRoutes(to: router)
    }
}
