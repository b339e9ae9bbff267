import Hummingbird

import QuorumWeb

extension CommentService {
    /// Every route of comments: the flow as pages and as JSON, live updates, moderation and the settings page.
    /// `cache` holds the thread pages and the anonymous JSON, dropped by the article's tag when comments change.
    public func addRoutes(to router: Router<QuorumContext>, cache: PageCache) {
        CommentRoutes(comments: self, cache: cache).addRoutes(to: router)
        ModerationRoutes(comments: self).addRoutes(to: router)
        CommentAPIRoutes(comments: self, cache: cache).addRoutes(to: router)
        CommentSettingsRoutes(comments: self).addRoutes(to: router)
    }
}
