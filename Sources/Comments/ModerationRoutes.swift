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
        router.get(RouterPath(SiteURL.moderation)) { request, context in try await queuePage(request, context) }
        router.post(RouterPath(SiteURL.moderateComment)) { request, context in try await act(request, context) }
        router.post(RouterPath(SiteURL.restoreCommenting)) { request, context in
            let moderator = try staff(context)
            guard let id = context.parameters.get("id", as: Int64.self) else { throw CommentError.notFound }
            var request = request
            let reason = try await Form.read(&request).required("reason", maximumLength: 500)
            try await comments.restoreCommenting(userID: id, moderator: moderator, reason: reason)
            return Response.seeOther(SiteURL.adminUser(id).path)
        }
    }

    func staff(_ context: QuorumContext) throws -> User {
        guard let user = context.user else { throw RedirectToSignIn(next: SiteURL.moderation().path) }
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
                [
                    "name": q.rawValue, "title": q.title, "count": counts[q] ?? 0, "current": q == queue, "showCount": q != .rejected,
                    "url": SiteURL.moderation(queue: q.rawValue).path,
                ]
            },
            "title": queue.title,
            "article": request.uri.queryParameters["article"].map(String.init) ?? "",
            "empty": items.isEmpty,
            "items": items.map { c -> [String: Any] in
                var model = CommentViews.comment(c)
                model["authorID"] = c.authorID
                model["authorURL"] = SiteURL.adminUser(c.authorID).path
                model["moderateURL"] = SiteURL.moderateComment(c.id).path
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
        let votes = try await site.database.read { db in try await CommentRows.reviewVotes(of: ids, on: db) }
        var tallies: [Int64: (civil: Int, uncivil: Int, flags: Set<String>)] = [:]
        for vote in votes {
            var tally = tallies[vote.commentID] ?? (0, 0, [])
            if vote.civil { tally.civil += 1 } else { tally.uncivil += 1 }
            tally.flags.formUnion(vote.flags)
            tallies[vote.commentID] = tally
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
        let back = SiteURL.safeRedirect(form["back"] ?? SiteURL.moderation().path)
        return .seeOther(back)
    }
}

