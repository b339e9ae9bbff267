import Hummingbird
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// The comment endpoints in the OpenAPI document.
extension OpenAPI {
    public static var comments: OpenAPIPart {
        OpenAPIPart(paths: commentPaths, schemas: ["Comment": commentSchema])
    }

    static var commentSchema: [String: Any] {
        [
            "type": "object",
            "properties": [
                "id": ["type": "integer"], "articleId": ["type": "integer"], "parentId": ["type": "integer"],
                "author": ["type": "string"], "body": ["type": "string", "description": "plain text, shown escaped"],
                "status": ["type": "string", "enum": CommentStatus.allCases.map(\.rawValue)],
                "recommends": ["type": "integer"], "editorsPick": ["type": "boolean"],
                "created": ["type": "string", "format": "date-time"], "published": ["type": "string", "format": "date-time"],
                "statusText": ["type": "string"], "replies": ["type": "array", "items": ref("Comment")],
            ],
        ]
    }

    static func reader(_ summary: String, parameters: [[String: Any]] = [], body: [String: Any]? = nil, response: (String, String, [String: Any]), post: Bool = true) -> [String: Any] {
        var operation: [String: Any] = ["summary": summary, "tags": ["comments"], "parameters": parameters + (post ? [csrfHeader] : [])]
        if let body { operation["requestBody"] = ["required": true, "content": json(body)] }
        operation["responses"] = [
            response.0: ok(response.1, response.2),
            "400": ["description": "Malformed or refused input; the message says why", "content": json(ref("Error"))],
            "401": ["description": "Not signed in", "content": json(ref("Error"))],
            "403": ["description": "Not allowed (CSRF, role, ban, not your task)", "content": json(ref("Error"))],
            "404": ["description": "No such comment or article", "content": json(ref("Error"))],
        ]
        return operation
    }

    static var commentPaths: [String: Any] {
        let slug = pathParameter("slug", type: "string"), id = pathParameter("id", type: "integer")
        let comment: [String: Any] = ["type": "object", "properties": ["comment": ref("Comment")]]
        let status: [String: Any] = ["type": "object", "properties": ["status": ["type": "string"]]]
        return [
            RouterPath(SiteURL.apiArticleComments).description: [
                "get": reader("Published comments with their replies, 20 top-level a page (and the signed-in reader's own unpublished ones as `mine`)",
                              parameters: [slug, ["name": "sort", "in": "query", "required": false, "description": "oldest (default), newest or best", "schema": ["type": "string", "enum": CommentSort.allCases.map(\.rawValue)]],
                                           query("after", "the id of the last top-level comment of the previous page, as `next` gives it (not with `page`)", type: "integer", range: 1...Int(Int64.max)),
                                           query("page", "page from 1 to 10 (deeper pages: follow `next`)", type: "integer", range: 1...ThreadQuery.maximumPage)],
                              response: ("200", "A page of the thread", ["type": "object", "properties": [
                                  "total": ["type": "integer"], "page": ["type": "integer"], "after": ["type": "integer"], "next": ["type": "string"],
                                  "comments": ["type": "array", "items": ref("Comment")], "mine": ["type": "array", "items": ref("Comment")]]]), post: false),
                "post": reader("Write a comment (a draft until its author has reviewed and rated)", parameters: [slug],
                               body: ["type": "object", "required": ["body"], "properties": ["body": ["type": "string", "maxLength": 3000], "parentId": ["type": "integer"]]],
                               response: ("201", "The draft and where to go next", comment)),
            ],
            RouterPath(SiteURL.apiComment).description: ["get": reader("A comment (unpublished ones only to their author)", parameters: [id], response: ("200", "The comment", comment), post: false)],
            RouterPath(SiteURL.apiReviewTaskFor).description: ["get": reader(
                "The next comment to review while writing comment {id}; null when the required reviews are done, with the optional ones still offered",
                parameters: [id, OpenAPI.query("extra", "1: one of the optional extra reviews offered when many comments wait", type: "integer")],
                response: ("200", "The task", ["type": "object", "properties": [
                    "task": ["type": ["object", "null"], "properties": [
                        "id": ["type": "integer"], "body": ["type": "string"], "article": ["type": "string"], "position": ["type": "integer"],
                        "required": ["type": "integer"], "optional": ["type": "boolean"]]],
                    "optionalReviews": ["type": "object", "properties": ["left": ["type": "integer"], "waiting": ["type": "integer"]]]]]), post: false)],
            RouterPath(SiteURL.apiReviewTask).description: ["post": reader("Answer a review task", parameters: [id],
                body: ["type": "object", "required": ["civil", "quality"], "properties": [
                    "civil": ["type": "boolean"], "quality": ["type": "string", "enum": ["good", "somewhat", "notGood"]],
                    "flags": ["type": "array", "items": ["type": "string", "enum": CommentFlagReason.allCases.map(\.rawValue)]]]],
                response: ("201", "Recorded", status))],
            RouterPath(SiteURL.apiSubmit).description: ["post": reader("Rate your own comment's civility (optionally with a last edit) and submit it", parameters: [id],
                body: ["type": "object", "required": ["civil"], "properties": ["civil": ["type": "boolean"], "body": ["type": "string"]]],
                response: ("200", "Submitted: waiting for review, held, or published", comment))],
            RouterPath(SiteURL.apiRecommend).description: ["post": reader("Recommend a published comment", parameters: [id],
                response: ("200", "The new count", ["type": "object", "properties": ["recommends": ["type": "integer"]]]))],
            RouterPath(SiteURL.apiFlag).description: ["post": reader("Flag a published comment for moderators", parameters: [id],
                body: ["type": "object", "required": ["reason"], "properties": ["reason": ["type": "string", "enum": CommentFlagReason.allCases.map(\.rawValue)], "note": ["type": "string"]]],
                response: ("202", "Flagged", status))],
            RouterPath(SiteURL.apiCommentCounts).description: ["get": reader("Published comment counts for up to 100 articles", parameters: [query("articles", "comma-separated slugs")],
                response: ("200", "Counts by slug", ["type": "object", "properties": ["counts": ["type": "object", "additionalProperties": ["type": "integer"]]]]), post: false)],
            RouterPath(SiteURL.apiModerationQueue).description: ["get": reader("A moderation queue (moderators)",
                parameters: [["name": "queue", "in": "path", "required": true, "schema": ["type": "string", "enum": CommentService.Queue.allCases.map(\.rawValue)]]],
                response: ("200", "The queue", ["type": "object", "properties": ["comments": ["type": "array", "items": ref("Comment")]]]), post: false)],
            RouterPath(SiteURL.apiModerateComment).description: ["post": reader("Act on a comment (moderators; editors may only feature)", parameters: [id],
                body: ["type": "object", "required": ["action"], "properties": [
                    "action": ["type": "string", "enum": ["approve", "reject", "reject_uncivil", "feature", "unfeature", "audit_civil", "audit_uncivil", "audit_none", "dismiss"]],
                    "reason": ["type": "string", "description": "required to reject; sent to the author"]]],
                response: ("200", "The comment after the action", comment))],
        ]
    }
}
