import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// The comment thread on the article page: its first page, oldest first, as every reader sees it. Comment
/// changes invalidate `.article(slug)`, so the cached page follows the thread.
public struct CommentThreadSection: ArticlePageSection {
    let comments: CommentService

    public init(comments: CommentService) { self.comments = comments }

    public func contribute(to model: inout [String: Any], article: ArticleSummary) async throws {
        let thread = try await comments.thread(articleID: article.id, sort: .oldest)
        model["thread"] = CommentViews.thread(thread, slug: article.slug, sort: .oldest)
    }
}
