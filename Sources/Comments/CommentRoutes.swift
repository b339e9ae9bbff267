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
        router.get("article/:slug/comments") { request, context in try await threadPage(request, context) }
        router.get("article/:slug/comments/new") { request, context in try await writePage(request, context) }
        router.post("article/:slug/comments") { request, context in try await write(request, context) }
        router.get("article/:slug/comments/live") { request, context in try await live(request, context) }
        router.get("comments/live") { request, context in try await liveForArticles(request, context) }
        router.get("comments/:id") { _, context in try await statusPage(context) }
        router.get("comments/:id/review") { request, context in try await reviewPage(request, context) }
        router.post("comments/:id/review") { request, context in try await review(request, context) }
        router.get("comments/:id/rate") { _, context in try await ratePage(context) }
        router.post("comments/:id/rate") { request, context in try await rate(request, context) }
        router.get("comments/:id/recommend") { _, context in try await actPage(context, verb: "recommend") }
        router.get("comments/:id/flag") { _, context in try await actPage(context, verb: "flag") }
        router.post("comments/:id/recommend") { _, context in
            let user = try signedIn(context, next: "/")
            let id = try commentID(context)
            try await comments.recommend(commentID: id, user: user)
            return try await backToArticle(id)
        }
        router.post("comments/:id/flag") { request, context in
            let user = try signedIn(context, next: "/")
            var request = request
            let form = try await Form.read(&request)
            guard let reason = CommentFlagReason(rawValue: form["reason"] ?? "") else { throw CommentError.invalidFlag }
            try await comments.flag(commentID: try commentID(context), user: user, reason: reason, note: form["note"] ?? "")
            return try site.messagePage("Thank you", "A moderator will look at this comment.", link: ("/", "Front page"), context: context)
        }
        router.post("comments/:id/delete") { _, context in
            let user = try signedIn(context, next: "/")
            let id = try commentID(context)
            try await comments.delete(commentID: id, author: user)
            return try await backToArticle(id)
        }
        router.get("review") { _, context in try await voluntaryPage(context) }
        router.post("review") { request, context in
            let user = try signedIn(context, next: "/review")
            var request = request
            let form = try await Form.read(&request)
            try await comments.review(taskID: try taskID(form), reviewer: user, try Self.reviewInput(form))
            return Response.seeOther("/review")
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
        return .seeOther("/article/\(slug)#comment-\(commentID)")
    }

    /// Recommend and flag from a page that carries no per-reader token (the cached article page) go through
    /// a small confirmation page with the form.
    private func actPage(_ context: QuorumContext, verb: String) async throws -> Response {
        let id = try commentID(context)
        _ = try signedIn(context, next: "/comments/\(id)/\(verb)")
        guard let comment = try await comments.comment(id), comment.status == .published else { throw CommentError.notFound }
        var model: [String: Any] = ["comment": CommentViews.comment(comment), "verb": verb]
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
        let user = try signedIn(context, next: "/article/\(article.slug)/comments/new")
        let rules = try await comments.rules()
        guard comments.isOpen(article, rules: rules) else { throw CommentError.closed }
        try await comments.checkMayComment(user, rules: rules)
        var model: [String: Any] = ["slug": article.slug, "headline": article.headline, "maximum": rules.maximumLength]
        if let parentID = request.uri.queryParameters["parent"].flatMap({ Int64(String($0)) }),
           let parent = try await comments.comment(parentID), parent.status == .published, parent.articleID == article.id
        {
            model["parent"] = CommentViews.comment(parent)
        }
        let waiting = try await comments.unpublished(articleID: article.id, author: user.id).filter { $0.status != .draft }
        model["mine"] = waiting.map { c -> [String: Any] in
            var m = CommentViews.comment(c)
            m["statusTitle"] = CommentViews.statusText(c).title
            return m
        }
        return try site.formPage("comment-write", model, context: context)
    }

    private func write(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let article = try await articleRef(context)
        let user = try signedIn(context, next: "/article/\(article.slug)/comments/new")
        var request = request
        let form = try await Form.read(&request)
        let comment = try await comments.write(articleID: article.id, author: user, body: form["body"] ?? "",
                                               parentID: form["parent"].flatMap { Int64($0) })
        return .seeOther("/comments/\(comment.id)/review")
    }

    // MARK: 2. Review

    private func reviewPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: "/")
        let id = try commentID(context)
        let draft = try await comments.own(id, by: user)
        guard draft.status == .draft else { return .seeOther("/comments/\(id)") }
        let extra = request.uri.queryParameters["extra"] == "1"
        guard let task = try await comments.currentTask(reviewer: user, forComment: id, extra: extra) else {
            return .seeOther("/comments/\(id)/rate")
        }
        var model = taskModel(task, action: "/comments/\(id)/review")
        if task.isOptional { model["optional"] = ["rate": "/comments/\(id)/rate"] }
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
        let user = try signedIn(context, next: "/")
        let id = try commentID(context)
        var request = request
        let form = try await Form.read(&request)
        try await comments.review(taskID: try taskID(form), reviewer: user, try Self.reviewInput(form))
        return .seeOther("/comments/\(id)/review")
    }

    private func voluntaryPage(_ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: "/review")
        guard let task = try await comments.voluntaryTask(reviewer: user) else {
            return try site.messagePage("Nothing to review", "There are no comments waiting for review right now. Thank you for helping.", link: ("/", "Front page"), context: context)
        }
        var model = taskModel(task, action: "/review")
        model["voluntary"] = true  // outside the posting flow: no steps, no "1 of 1"
        return try site.formPage("comment-review", model, context: context)
    }

    // MARK: 3. Rate your own

    private func ratePage(_ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: "/")
        let id = try commentID(context)
        let comment = try await comments.own(id, by: user)
        guard comment.status == .draft || comment.status == .rejected else { return .seeOther("/comments/\(id)") }
        if try await comments.owesReviews(comment, writer: user) {
            return .seeOther("/comments/\(id)/review")
        }
        var model: [String: Any] = ["id": id, "body": comment.body, "maximum": try await comments.rules().maximumLength]
        if comment.status == .rejected { model["reason"] = comment.moderationReason ?? "" }
        let offered = try await comments.optionalReviewsLeft(reviewer: user, forComment: id)
        if offered.left > 0 {
            model["extraReview"] = ["href": "/comments/\(id)/review?extra=1", "waiting": offered.waiting, "several": offered.waiting != 1]
        }
        return try site.formPage("comment-rate", model, context: context)
    }

    private func rate(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try signedIn(context, next: "/")
        let id = try commentID(context)
        var request = request
        let form = try await Form.read(&request)
        guard let rating = CivilityVote(rawValue: form["civil"] ?? "") else {
            throw CommentError.refused("invalid_rating", "Please say whether your comment is civil.")
        }
        _ = try await comments.submit(commentID: id, author: user, selfRating: rating, body: form["body"])
        return .seeOther("/comments/\(id)")
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
            "waiting": comment.status == .pending, "canResubmit": comment.status == .rejected, "isDraft": comment.status == .draft,
        ], context: context)
    }
}
