import Foundation
import Hummingbird
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import ServiceLifecycle

/// The moderators' pages: queues with filters, actions on comments, and lifting commenting bans.
struct ModerationRoutes {
    let comments: CommentService
    var site: Site { comments.site }

    func addRoutes(to router: Router<QuorumContext>) {
        router.get("moderation") { request, context in try await queuePage(request, context) }
        router.post("moderation/comments/:id") { request, context in try await act(request, context) }
        router.post("moderation/users/:id/restore-commenting") { request, context in
            let moderator = try staff(context)
            guard let id = context.parameters.get("id", as: Int64.self) else { throw CommentError.notFound }
            var request = request
            let reason = try await Form.read(&request).required("reason", maximumLength: 500)
            try await comments.restoreCommenting(userID: id, moderator: moderator, reason: reason)
            return Response.seeOther("/admin/users/\(id)")
        }
    }

    func staff(_ context: QuorumContext) throws -> User {
        guard let user = context.user else { throw RedirectToSignIn(next: "/moderation") }
        guard user.has(.moderator) || user.has(.admin) else { throw CommentError.notModerator }
        return user
    }

    private func queuePage(_ request: Request, _ context: QuorumContext) async throws -> Response {
        _ = try staff(context)
        let queue = request.uri.queryParameters["queue"].flatMap { CommentService.Queue(rawValue: String($0)) } ?? .withheld
        var articleID: Int64?
        if let slug = request.uri.queryParameters["article"].map(String.init), !slug.isEmpty {
            articleID = try await comments.article(slug: slug)?.id
        }
        let counts = try await comments.queueCounts()
        let items = try await comments.queue(queue, articleID: articleID)
        let reviewsByComment = try await reviewSummaries(items.map(\.id))
        return try site.formPage("moderation", [
            "queues": CommentService.Queue.allCases.map { q -> [String: Any] in
                ["name": q.rawValue, "title": q.title, "count": counts[q] ?? 0, "current": q == queue, "showCount": q != .rejected]
            },
            "title": queue.title,
            "article": request.uri.queryParameters["article"].map(String.init) ?? "",
            "empty": items.isEmpty,
            "items": items.map { c -> [String: Any] in
                var model = CommentViews.comment(c)
                model["authorID"] = c.authorID
                model["summary"] = c.decisionSummary ?? ""
                model["probability"] = c.probabilityUncivil.map { String(format: "%.1f%%", $0 * 100) } ?? "—"
                model["prescreen"] = c.preScreenReasons ?? ""
                model["reason"] = c.moderationReason ?? ""
                model["reviews"] = reviewsByComment[c.id] ?? ""
                model["flags"] = c.openFlags
                model["isAudit"] = c.auditVerdict != nil
                model["published"] = c.status == .published
                return model
            },
        ], context: context)
    }

    /// "3 civil, 1 uncivil; flags: spam" for each comment.
    private func reviewSummaries(_ ids: [Int64]) async throws -> [Int64: String] {
        guard !ids.isEmpty else { return [:] }
        let reviews = try await site.database.read { db in
            try await db.select().columns("comment_id", "civility", "flags").from("reviews").where("comment_id", .in, ids).all()
        }
        var tallies: [Int64: (civil: Int, uncivil: Int, flags: Set<String>)] = [:]
        for row in reviews {
            let id = try row.decode(column: "comment_id", as: Int64.self)
            var tally = tallies[id] ?? (0, 0, [])
            if try row.decode(column: "civility", as: String.self) == CivilityVote.civil.rawValue { tally.civil += 1 } else { tally.uncivil += 1 }
            for flag in try row.decode(column: "flags", as: String.self).split(separator: ",") { tally.flags.insert(String(flag)) }
            tallies[id] = tally
        }
        return tallies.mapValues { t in
            "\(t.civil) civil, \(t.uncivil) uncivil" + (t.flags.isEmpty ? "" : "; flags: " + t.flags.sorted().joined(separator: ", "))
        }
    }

    private func act(_ request: Request, _ context: QuorumContext) async throws -> Response {
        let moderator = try staff(context)
        guard let id = context.parameters.get("id", as: Int64.self) else { throw CommentError.notFound }
        var request = request
        let form = try await Form.read(&request)
        let reason = form["reason"] ?? ""
        let action = try CommentService.ModerationAction.named(form["action"] ?? "", reason: reason)
        try await comments.moderate(commentID: id, moderator: moderator, action)
        let back = SiteURL.safeRedirect(form["back"] ?? "/moderation")
        return .seeOther(back)
    }
}

