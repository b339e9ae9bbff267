import Foundation
import Hummingbird
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

import ReviewEngine

/// The comment flow as JSON, for the inline script, apps and embeds. Signed-in requests carry the session
/// cookie and the CSRF token in `X-CSRF-Token`.
struct CommentAPIRoutes {
    let comments: CommentService
    /// Anonymous thread requests are answered from the page cache (invalidated with the article on every change).
    var cache: PageCache?

    func addRoutes(to router: Router<QuorumContext>) {
        let api = router.group("api/v1")
        api.get("articles/:slug/comments") { request, context in try await thread(request, context) }
        api.post("articles/:slug/comments") { request, context in try await write(request, context) }
        api.get("comments/:id") { _, context in try await status(context) }
        api.get("comments/:id/review-task") { request, context in try await task(request, context) }
        api.post("review-tasks/:id") { request, context in try await review(request, context) }
        api.post("comments/:id/submit") { request, context in try await submit(request, context) }
        api.post("comments/:id/recommend") { _, context in
            let count = try await comments.recommend(commentID: try id(context), user: try context.requireUser())
            return try JSONResponse.object(["recommends": count])
        }
        api.post("comments/:id/flag") { request, context in
            struct Body: Decodable { let reason: String; let note: String? }
            let body = try await JSONResponse.decode(Body.self, from: request, context: context)
            guard let reason = CommentFlagReason(rawValue: body.reason) else { throw CommentError.invalidFlag }
            try await comments.flag(commentID: try id(context), user: try context.requireUser(), reason: reason, note: body.note ?? "")
            return try JSONResponse.object(["status": "flagged"], status: .accepted)
        }
        api.get("comment-counts") { request, _ in try await counts(request) }
        api.get("moderation/queues/:queue") { _, context in
            _ = try context.requireRole(.moderator)
            guard let queue = context.parameters.get("queue").flatMap(CommentService.Queue.init(rawValue:)) else {
                throw CommentError.refused("invalid_queue", "Queues are: " + CommentService.Queue.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return try JSONResponse.object(["comments": try await comments.queue(queue).map(Self.json)])
        }
        api.post("moderation/comments/:id") { request, context in
            struct Body: Decodable { let action: String; let reason: String? }
            let moderator = try context.requireUser()
            let body = try await JSONResponse.decode(Body.self, from: request, context: context)
            let action = try CommentService.ModerationAction.named(body.action, reason: body.reason ?? "")
            try await comments.moderate(commentID: try id(context), moderator: moderator, action)
            return try JSONResponse.object(["comment": Self.json(try await comments.comment(try id(context))!)])
        }
    }

    func id(_ context: QuorumContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw CommentError.notFound }
        return id
    }

    static func json(_ c: Comment) -> [String: Any] {
        var object: [String: Any] = [
            "id": c.id, "articleId": c.articleID, "author": c.authorName, "body": c.body, "status": c.status.rawValue,
            "recommends": c.recommends, "editorsPick": c.isPick, "created": c.createdAt.iso8601,
        ]
        if let parent = c.parentID { object["parentId"] = parent }
        if let published = c.publishedAt { object["published"] = published.iso8601 }
        return object
    }

    private func thread(_ request: Request, _ context: QuorumContext) async throws -> Response {
        guard let slug = context.parameters.get("slug") else { throw CommentError.articleNotFound }
        let query = try ThreadQuery(request)
        if context.user == nil, query.canonical, let cache {
            let key = request.uri.path + "?" + query.queryString
            return try await cache.serve(request, key: key, tags: [.article(slug)], contentType: "application/json; charset=utf-8") {
                let object = try await threadObject(query, slug: slug, viewer: nil)
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                return (String(decoding: data, as: UTF8.self), comments.now())
            }
        }
        var response = try JSONResponse.object(try await threadObject(query, slug: slug, viewer: context.user))
        response.headers[.cacheControl] = "private, no-store"
        return response
    }

    /// A page of the thread; with a viewer, also their own comments that are not published yet.
    private func threadObject(_ query: ThreadQuery, slug: String, viewer: User?) async throws -> [String: Any] {
        guard let article = try await comments.article(slug: slug) else { throw CommentError.articleNotFound }
        let sort = query.sort
        let thread = try await comments.thread(articleID: article.id, sort: sort, page: query.page, after: query.after)
        var body: [String: Any] = [
            "total": thread.total, "sort": sort.rawValue,
            "comments": thread.comments.map { item -> [String: Any] in
                var object = Self.json(item.comment)
                object["replies"] = item.replies.map(Self.json)
                return object
            },
        ]
        if let after = query.after { body["after"] = after } else { body["page"] = query.page }
        if let next = ThreadQuery.next("/api/v1/articles/\(slug)/comments", sort: sort, after: thread.nextAfter) { body["next"] = next }
        if let viewer {
            body["mine"] = try await comments.unpublished(articleID: article.id, author: viewer.id).map(Self.json)
        }
        return body
    }

    private func write(_ request: Request, _ context: QuorumContext) async throws -> Response {
        struct Body: Decodable { let body: String; let parentId: Int64? }
        let user = try context.requireUser()
        guard let slug = context.parameters.get("slug"), let article = try await comments.article(slug: slug) else { throw CommentError.articleNotFound }
        let body = try await JSONResponse.decode(Body.self, from: request, context: context)
        let comment = try await comments.write(articleID: article.id, author: user, body: body.body, parentID: body.parentId)
        return try JSONResponse.object(["comment": Self.json(comment), "next": "/api/v1/comments/\(comment.id)/review-task"], status: .created)
    }

    private func status(_ context: QuorumContext) async throws -> Response {
        let id = try id(context)
        guard let comment = try await comments.comment(id) else { throw CommentError.notFound }
        if comment.status != .published {
            guard let user = context.user, user.id == comment.authorID else { throw CommentError.notFound }
        }
        var object = Self.json(comment)
        object["statusText"] = CommentViews.statusText(comment).text
        return try JSONResponse.object(["comment": object])
    }

    /// The next comment to review while writing comment `id`; `{"task": null}` once the reviews are done, with
    /// the optional reviews still offered (`?extra=1` asks for one of them).
    private func task(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try id(context)
        let extra = request.uri.queryParameters["extra"] == "1"
        guard let task = try await comments.currentTask(reviewer: user, forComment: id, extra: extra) else {
            let offered = try await comments.optionalReviewsLeft(reviewer: user, forComment: id)
            return try JSONResponse.object([
                "task": NSNull(), "next": "/api/v1/comments/\(id)/submit",
                "optionalReviews": ["left": offered.left, "waiting": offered.waiting],
            ])
        }
        return try JSONResponse.object(["task": [
            "id": task.id, "body": task.body, "article": task.articleHeadline, "position": task.position, "required": task.required,
            "optional": task.isOptional,
        ]])
    }

    private func review(_ request: Request, _ context: QuorumContext) async throws -> Response {
        struct Body: Decodable { let civil: Bool; let quality: String; let flags: [String]? }
        let user = try context.requireUser()
        let body = try await JSONResponse.decode(Body.self, from: request, context: context)
        guard let quality = QualityVote(rawValue: body.quality) else { throw CommentError.invalidVote }
        let flags = try (body.flags ?? []).map { value -> CommentFlagReason in
            guard let flag = CommentFlagReason(rawValue: value) else { throw CommentError.invalidFlag }
            return flag
        }
        try await comments.review(taskID: try id(context), reviewer: user, .init(civility: body.civil ? .civil : .uncivil, quality: quality, flags: flags))
        return try JSONResponse.object(["status": "recorded"], status: .created)
    }

    private func submit(_ request: Request, _ context: QuorumContext) async throws -> Response {
        struct Body: Decodable { let civil: Bool; let body: String? }
        let user = try context.requireUser()
        let id = try id(context)
        let body = try await JSONResponse.decode(Body.self, from: request, context: context)
        let comment = try await comments.submit(commentID: id, author: user, selfRating: body.civil ? .civil : .uncivil, body: body.body)
        var object = Self.json(comment)
        object["statusText"] = CommentViews.statusText(comment).text
        return try JSONResponse.object(["comment": object])
    }

    /// Published comment counts for up to 100 articles: `?articles=slug1,slug2`.
    private func counts(_ request: Request) async throws -> Response {
        let slugs = (request.uri.queryParameters["articles"].map(String.init) ?? "").split(separator: ",").prefix(100).map(String.init)
        var ids: [Int64: String] = [:]
        for slug in slugs { if let article = try await comments.article(slug: slug) { ids[article.id] = slug } }
        let counts = try await comments.counts(articleIDs: Array(ids.keys))
        var body: [String: Int] = [:]
        for (id, slug) in ids { body[slug] = counts[id] ?? 0 }
        var response = try JSONResponse.object(["counts": body])
        response.headers[.cacheControl] = "public, max-age=30"
        return response
    }
}
