import Hummingbird

import QuorumWeb

extension Publishing {
    /// Every route of publishing: reader pages, feeds and sitemaps, images, the public and admin APIs and the
    /// editors' pages. `articleSections` are the parts of the article page other features provide.
    public func addRoutes(to router: Router<QuorumContext>, articleSections: [any ArticlePageSection]) {
        ReaderRoutes(publishing: self, sections: articleSections).addRoutes(to: router)
        ImageRoutes(publishing: self).addRoutes(to: router)
        PublicAPIRoutes(publishing: self).addRoutes(to: router)
        AdminAPIRoutes(publishing: self).addRoutes(to: router)
        AdminPageRoutes(publishing: self).addRoutes(to: router)
    }
}
