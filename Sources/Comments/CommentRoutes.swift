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
    var site: Site { comments.site }

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("article/:slug/comments") { request, context in try await threadPage(request, context) }
        router.get("article/:slug/comments/new") { request, context in try await writePage(request, context) }
        router.post("article/:slug/comments") { request, context in try await write(request, context) }
        router.get("article/:slug/comments/live") { request, context in try await live(request, context) }
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

    private func threadPage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let article = try await articleRef(context)
        let sort = request.uri.queryParameters["sort"].flatMap { CommentSort(rawValue: String($0)) } ?? .oldest
        let page = request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1
        let thread = try await comments.thread(articleID: article.id, sort: sort, page: page)
        var model = CommentViews.thread(thread, slug: article.slug, sort: sort, page: page)
        model["headline"] = article.headline
        model["open"] = comments.isOpen(article, rules: try await comments.rules())
        let fragment = request.uri.queryParameters["fragment"] != nil
        var response = try site.pages.html(fragment ? "comments-thread" : "comments-page", model)
        response.headers[.cacheControl] = "public, max-age=0, must-revalidate"
        return response
    }

    /// Server-Sent Events: one `comment` event per change to this article's comments; the page's script then
    /// reloads the thread fragment. A comment line every 25 s keeps proxies from closing the stream.
    private func live(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let article = try await articleRef(context)
        let events = comments.events.listen(slug: article.slug)
        // Changes and keep-alives go through one stream, so a single writer sends both.
        let (chunks, input) = AsyncStream.makeStream(of: String.self)
        let pump = Task {
            for await event in events where event.status == .published || event.status == .withheld || event.status == .deleted {
                input.yield(event.serverSentEvent)
            }
            input.finish()
        }
        let beat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(25))
                input.yield(": keep-alive\n\n")
            }
        }
        let body = ResponseBody { writer in
            defer {
                pump.cancel()
                beat.cancel()
            }
            try await writer.write(ByteBuffer(string: "retry: 5000\n: listening\n\n"))
            // A stream never ends by itself: on shutdown it is closed so the server can stop (browsers reconnect).
            try await withGracefulShutdownHandler {
                for await chunk in chunks { try await writer.write(ByteBuffer(string: chunk)) }
            } onGracefulShutdown: {
                input.finish()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no",
        ], body: body)
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
        if comment.status == .draft, try await comments.currentTask(reviewer: user, forComment: id) != nil {
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
        let current = try await comments.own(id, by: user)
        if current.status == .draft, try await comments.currentTask(reviewer: user, forComment: id) != nil {
            throw CommentError.wrongStep
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
