import Hummingbird

import QuorumWeb

extension CommentService {
    /// Every route of comments: the flow as pages and as JSON, live updates, moderation and the settings page.
    /// `cache` holds the anonymous thread pages and JSON, dropped by the article's tag when comments change.
    public func addRoutes(to router: Router<QuorumContext>, cache: PageCache) {
        CommentRoutes(comments: self).addRoutes(to: router)
        ModerationRoutes(comments: self).addRoutes(to: router)
        CommentAPIRoutes(comments: self, cache: cache).addRoutes(to: router)
        CommentSettingsRoutes(comments: self).addRoutes(to: router)
    }
}
