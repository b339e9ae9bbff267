import Foundation
import HTTPTypes
import Hummingbird
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import ServiceLifecycle

/// The comment pages. Every step works as a plain form; the article page's small script only makes it inline.
struct CommentRoutes {
    let comments: CommentService
    /// Thread pages are the same for every reader: answered from the page cache, invalidated with the article.
    var cache: PageCache?
    var site: Site { comments.site }

    func addRoutes(to router: Router<QuorumContext>) {
        router.get(RouterPath(SiteURL.comments)) { request, context in try await threadPage(request, context) }
        router.get(RouterPath(SiteURL.commentWrite)) { request, context in try await writePage(request, context) }
        router.post(RouterPath(SiteURL.comments)) { request, context in try await write(request, context) }
        router.get(RouterPath(SiteURL.commentsLive)) { request, context in try await live(request, context) }
        router.get(RouterPath(SiteURL.liveComments)) { request, context in try await liveForArticles(request, context) }
        router.get(RouterPath(SiteURL.comment)) { _, context in try await statusPage(context) }
        router.get(RouterPath(SiteURL.commentReview)) { request, context in try await reviewPage(request, context) }
        router.post(RouterPath(SiteURL.commentReview)) { request, context in try await review(request, context) }
        router.get(RouterPath(SiteURL.commentRate)) { _, context in try await ratePage(context) }
        router.post(RouterPath(SiteURL.commentRate)) { request, context in try await rate(request, context) }
        router.get(RouterPath(SiteURL.commentRecommend)) { _, context in try await actPage(context, verb: "recommend") }
        router.get(RouterPath(SiteURL.commentFlag)) { _, context in try await actPage(context, verb: "flag") }
        router.post(RouterPath(SiteURL.commentRecommend)) { _, context in
            let user = try signedIn(context, next: SiteURL.home.path)
            let id = try commentID(context)
            try await comments.recommend(commentID: id, user: user)
            return try await backToArticle(id)
        }
        router.post(RouterPath(SiteURL.commentFlag)) { request, context in
            let user = try signedIn(context, next: SiteURL.home.path)
            var request = request
            let form = try await Form.read(&request)
            guard let reason = CommentFlagReason(rawValue: form["reason"] ?? "") else { throw CommentError.invalidFlag }
            try await comments.flag(commentID: try commentID(context), user: user, reason: reason, note: form["note"] ?? "")
            return try site.messagePage("Thank you", "A moderator will look at this comment.", link: (SiteURL.home.path, "Front page"), context: context)
        }
        router.post(RouterPath(SiteURL.commentDelete)) { _, context in
            let user = try signedIn(context, next: SiteURL.home.path)
            let id = try commentID(context)
            try await comments.delete(commentID: id, author: user)
            return try await backToArticle(id)
        }
        router.get(RouterPath(SiteURL.review)) { _, context in try await voluntaryPage(context) }
        router.post(RouterPath(SiteURL.review)) { request, context in
            let user = try signedIn(context, next: SiteURL.review.path)
            var request = request
            let form = try await Form.read(&request)
            try await comments.review(taskID: try taskID(form), reviewer: user, try Self.reviewInput(form))
            return Response.seeOther(SiteURL.review.path)
        }
    }

    // MARK: Helpers

    func signedIn(_ context: QuorumContext, next: String) throws -> User {
        guard let user = context.user else { throw RedirectToSignIn(next: next) }
        return user
    }

    func commentID(_ context: QuorumContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw CommentError.notFound }
        return id
    }

    func taskID(_ form: Form) throws -> Int64 {
        guard let id = form["task"].flatMap(Int64.init) else { throw CommentError.noTask }
        return id
    }

    static func reviewInput(_ form: Form) throws -> CommentService.ReviewInput {
        guard let civility = CivilityVote(rawValue: form["civil"] ?? ""), let quality = QualityVote(rawValue: form["quality"] ?? "") else {
            throw CommentError.invalidVote
        }
        var flags: [CommentFlagReason] = []
        for value in form.fields["flag"] ?? [] {
            guard let flag = CommentFlagReason(rawValue: value) else { throw CommentError.invalidFlag }
            flags.append(flag)
        }
        return .init(civility: civility, quality: quality, flags: flags)
    }

    func articleRef(_ context: QuorumContext) async throws -> ArticleSummary {
        guard let slug = context.parameters.get("slug"), let article = try await comments.article(slug: slug) else {
            throw CommentError.articleNotFound
        }
        return article
    }

    func backToArticle(_ commentID: Int64) async throws -> Response {
        guard let comment = try await comments.comment(commentID) else { throw CommentError.notFound }
        let slug = try await comments.slug(ofArticle: comment.articleID) ?? ""
        return .seeOther(SiteURL.article(slug).path + "#comment-\(commentID)")
    }

    /// Recommend and flag from a page that carries no per-reader token (the cached article page) go through
    /// a small confirmation page with the form.
    private func actPage(_ context: QuorumContext, verb: String) async throws -> Response {
        let id = try commentID(context)
        let here = (verb == "flag" ? SiteURL.commentFlag(id) : SiteURL.commentRecommend(id)).path
        _ = try signedIn(context, next: here)
        guard let comment = try await comments.comment(id), comment.status == .published else { throw CommentError.notFound }
        var model: [String: Any] = [
            "comment": CommentViews.comment(comment), "verb": verb,
            "action": here,
        ]
        if verb == "flag" {
            model["flag"] = true
            model["choices"] = CommentViews.flagChoices
            model["heading"] = "Flag this comment for a moderator"
            model["button"] = "Send to moderators"
        } else {
            model["heading"] = "Recommend this comment"
            model["button"] = "Recommend"
        }
        return try site.formPage("comment-act", model, context: context)
    }

    // MARK: Reading

    /// A page of the thread (or, with `fragment`, the thread alone, for the page's script). The same for every
    /// reader, so cached like the article page; always revalidated (`max-age=0`), so a live update's reload is
    /// never answered by the browser's own copy.
    private func threadPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let query = try ThreadQuery(request)
        let slug = context.parameters.get("slug") ?? ""
        let render = { () async throws -> (text: String, lastModified: Timestamp) in
            let article = try await articleRef(context)
            let thread = try await comments.thread(articleID: article.id, sort: query.sort, page: query.page, after: query.after)
            var model = CommentViews.thread(thread, slug: article.slug, sort: query.sort)
            model["headline"] = article.headline
            model["open"] = comments.isOpen(article, rules: try await comments.rules())
            model["site"] = site.pages.siteModel
            return (try site.pages.theme.render(query.fragment ? "comments-thread" : "comments-page", model), comments.now())
        }
        let cacheControl = "public, max-age=0, must-revalidate"
        if query.canonical, let cache {
            return try await cache.serve(request, key: "/article/\(slug)/comments?" + query.queryString, tags: [.article(slug)],
                                         cacheControl: cacheControl, render: render)
        }
        let rendered = try await render()
        return CachedPage(html: rendered.text, lastModified: rendered.lastModified, cacheControl: cacheControl).response(to: request)
    }

    /// Server-Sent Events for one article (see ``liveStream(slugs:_:)``); pages use `/comments/live`, which
    /// carries every article a browser shows on one stream.
    private func live(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let article = try await articleRef(context)
        return try await liveStream(slugs: [article.slug], context)
    }

    // MARK: 1. Write

    private func writePage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let article = try await articleRef(context)
        let user = try signedIn(context, next: SiteURL.commentWrite(article.slug).path)
        let rules = try await comments.rules()
        guard comments.isOpen(article, rules: rules) else { throw CommentError.closed }
        try await comments.checkMayComment(user, rules: rules)
        var model: [String: Any] = [
            "slug": article.slug, "headline": article.headline, "maximum": rules.maximumLength,
            "articleURL": SiteURL.article(article.slug).path, "action": SiteURL.comments(article.slug).path,
        ]
        if let parentID = request.uri.queryParameters["parent"].flatMap({ Int64(String($0)) }),
           let parent = try await comments.comment(parentID), parent.status == .published, parent.articleID == article.id
        {
            model["parent"] = CommentViews.comment(parent)
        }
        let waiting = try await comments.unpublished(articleID: article.id, author: user.id).filter { $0.status != .draft }
        model["mine"] = waiting.map { c -> [String: Any] in
            var m = CommentViews.comment(c)
            m["statusTitle"] = CommentViews.statusText(c).title
            m["url"] = SiteURL.comment(c.id).path
            return m
        }
        return try site.formPage("comment-write", model, context: context)
    }

    private func write(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let article = try await articleRef(context)
        let user = try signedIn(context, next: SiteURL.commentWrite(article.slug).path)
        var request = request
        let form = try await Form.read(&request)
        let comment = try await comments.write(articleID: article.id, author: user, body: form["body"] ?? "",
                                               parentID: form["parent"].flatMap { Int64($0) })
        return .seeOther(SiteURL.commentReview(comment.id).path)
    }

    // MARK: 2. Review

    private func reviewPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: SiteURL.home.path)
        let id = try commentID(context)
        let draft = try await comments.own(id, by: user)
        guard draft.status == .draft else { return .seeOther(SiteURL.comment(id).path) }
        let extra = request.uri.queryParameters["extra"] == "1"
        guard let task = try await comments.currentTask(reviewer: user, forComment: id, extra: extra) else {
            return .seeOther(SiteURL.commentRate(id).path)
        }
        var model = taskModel(task, action: SiteURL.commentReview(id).path)
        if task.isOptional { model["optional"] = ["rate": SiteURL.commentRate(id).path] }
        return try site.formPage("comment-review", model, context: context)
    }

    func taskModel(_ task: ReviewTask, action: String) -> [String: Any] {
        [
            "action": action, "task": task.id, "position": task.position, "required": task.required,
            "paragraphs": CommentViews.paragraphs(task.body), "headline": task.articleHeadline,
            "qualities": CommentViews.qualityChoices, "flags": CommentViews.flagChoices,
        ]
    }

    private func review(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: SiteURL.home.path)
        let id = try commentID(context)
        var request = request
        let form = try await Form.read(&request)
        try await comments.review(taskID: try taskID(form), reviewer: user, try Self.reviewInput(form))
        return .seeOther(SiteURL.commentReview(id).path)
    }

    private func voluntaryPage(_ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: SiteURL.review.path)
        guard let task = try await comments.voluntaryTask(reviewer: user) else {
            return try site.messagePage("Nothing to review", "There are no comments waiting for review right now. Thank you for helping.", link: (SiteURL.home.path, "Front page"), context: context)
        }
        var model = taskModel(task, action: SiteURL.review.path)
        model["voluntary"] = true  // outside the posting flow: no steps, no "1 of 1"
        return try site.formPage("comment-review", model, context: context)
    }

    // MARK: 3. Rate your own

    private func ratePage(_ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: SiteURL.home.path)
        let id = try commentID(context)
        let comment = try await comments.own(id, by: user)
        guard comment.status == .draft || comment.status == .rejected else { return .seeOther(SiteURL.comment(id).path) }
        if try await comments.owesReviews(comment, writer: user) {
            return .seeOther(SiteURL.commentReview(id).path)
        }
        var model: [String: Any] = [
            "id": id, "body": comment.body, "maximum": try await comments.rules().maximumLength, "action": SiteURL.commentRate(id).path,
        ]
        if comment.status == .rejected { model["reason"] = comment.moderationReason ?? "" }
        let offered = try await comments.optionalReviewsLeft(reviewer: user, forComment: id)
        if offered.left > 0 {
            model["extraReview"] = ["href": SiteURL.commentReview(id, extra: true).path, "waiting": offered.waiting, "several": offered.waiting != 1]
        }
        return try site.formPage("comment-rate", model, context: context)
    }

    private func rate(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: SiteURL.home.path)
        let id = try commentID(context)
        var request = request
        let form = try await Form.read(&request)
        guard let rating = CivilityVote(rawValue: form["civil"] ?? "") else {
            throw CommentError.refused("invalid_rating", "Please say whether your comment is civil.")
        }
        _ = try await comments.submit(commentID: id, author: user, selfRating: rating, body: form["body"])
        return .seeOther(SiteURL.comment(id).path)
    }

    private func statusPage(_ context: QuorumContext) async throws -> Response {
        let id = try commentID(context)
        guard let comment = try await comments.comment(id) else { throw CommentError.notFound }
        guard let user = context.user, user.id == comment.authorID else {
            if comment.status == .published { return try await backToArticle(id) }
            throw CommentError.notFound
        }
        let (title, text) = CommentViews.statusText(comment)
        let slug = try await comments.slug(ofArticle: comment.articleID) ?? ""
        return try site.formPage("comment-status", [
            "comment": CommentViews.comment(comment), "title": title, "text": text, "slug": slug,
            "articleURL": SiteURL.article(slug).path + "#comments",
            "continueURL": SiteURL.commentReview(id).path, "resubmitURL": SiteURL.commentRate(id).path,
            "waiting": comment.status == .pending, "canResubmit": comment.status == .rejected, "isDraft": comment.status == .draft,
        ], context: context)
    }
}
