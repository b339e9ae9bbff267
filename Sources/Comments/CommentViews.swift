import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

import ReviewEngine

/// Plain data for the comment templates.
enum CommentViews {
    static func comment(_ c: Comment, replies: [Comment] = [], anonymise: Bool = false) -> [String: Any] {
        var model: [String: Any] = [
            "id": c.id,
            "author": anonymise ? "A reader" : c.authorName,
            "paragraphs": paragraphs(c.body),
            "when": c.publishedAt.map(DateText.format) ?? DateText.format(c.createdAt),
            "iso": (c.publishedAt ?? c.createdAt).iso8601,
            "recommends": c.recommends,
            "isPick": c.isPick,
            "edited": c.editedAt != nil,
            "status": c.status.rawValue,
        ]
        if !replies.isEmpty { model["replies"] = replies.map { comment($0) } }
        return model
    }

    /// Text becomes paragraphs; the template escapes each one, so nothing a reader writes is ever markup.
    static func paragraphs(_ text: String) -> [[String: Any]] {
        text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .map { ["lines": $0.components(separatedBy: "\n").map { ["text": $0] }] }
    }

    static func thread(_ thread: CommentService.Thread, slug: String, sort: CommentSort) -> [String: Any] {
        [
            "slug": slug,
            "total": thread.total,
            "plural": thread.total != 1,
            "comments": thread.comments.map { comment($0.comment, replies: $0.replies) },
            "empty": thread.comments.isEmpty,
            "sorts": CommentSort.allCases.map { ["name": $0.rawValue, "label": $0.rawValue.capitalized, "current": $0 == sort] },
            "sort": sort.rawValue,
            "next": ThreadQuery.next("/article/\(slug)/comments", sort: sort, after: thread.nextAfter) ?? "",
            "hasMore": thread.nextAfter != nil,
        ]
    }

    static var qualityChoices: [[String: Any]] { [
        ["value": QualityVote.good.rawValue, "label": "Good"],
        ["value": QualityVote.somewhat.rawValue, "label": "Somewhat good"],
        ["value": QualityVote.notGood.rawValue, "label": "Not good"],
    ] }

    static var flagChoices: [[String: Any]] { CommentFlagReason.allCases.map { ["value": $0.rawValue, "label": $0.label] } }

    /// What the author sees about where their comment stands.
    static func statusText(_ c: Comment) -> (title: String, text: String) {
        switch c.status {
        case .draft: ("Not submitted yet", "Finish reviewing and rate your own comment to submit it.")
        case .pending: ("Waiting for review", "Other readers are reviewing your comment. It appears for everyone once they find it civil.")
        case .published: ("Published", "Your comment is visible to everyone.")
        case .withheld: ("With a moderator", "Readers could not confirm your comment is civil, so a moderator will decide. You will get an email if it is not published.")
        case .held: ("With a moderator", "Our automatic check asked a moderator to look at your comment first.")
        case .rejected: ("Not published", "A moderator did not publish your comment" + (c.moderationReason.map { ": \($0)" } ?? ".") + " You can edit it and submit it again.")
        case .deleted: ("Deleted", "You deleted this comment.")
        }
    }
}
