import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

extension CommentService {
    // MARK: 3. Rate your own

    /// The author rates their own comment's civility (with a last chance to edit it) and submits it. The full
    /// pre-screen runs on the final text: it may refuse it, or hold it for moderators. Otherwise the engine
    /// decides at once (a trusted author is published) or the comment waits for peers.
    public func submit(commentID: Int64, author: User, selfRating: CivilityVote, body edited: String? = nil) async throws -> Comment {
        let draft = try await own(commentID, by: author)
        guard draft.status == .draft || draft.status == .rejected else { throw CommentError.wrongStep }
        if try await owesReviews(draft, writer: author) { throw CommentError.wrongStep }
        let rules = try await rules()
        try await checkMayComment(author, rules: rules)
        let body = edited.map(Self.normalise) ?? draft.body
        guard !body.isEmpty else { throw CommentError.empty }
        guard body.count <= rules.maximumLength else { throw CommentError.tooLong(rules.maximumLength) }
        var history = try await history(of: author.id)
        history.recent.removeAll { $0.at == draft.createdAt && $0.body == draft.body }
        if history.lastCommentAt == draft.createdAt { history.lastCommentAt = history.recent.first?.at }
        let verdict = await screen.screen(body, author: history, final: true, now: now())
        if case .refuse(let code, let message) = verdict { throw CommentError.refused(code, message) }
        let engine = try await engine()
        let now = now()
        let change = try await database.transaction { db -> CommentChange? in
            guard let current = try await CommentRows.find(commentID, on: db, lock: true),
                  current.status == .draft || current.status == .rejected
            else { throw CommentError.wrongStep }
            let record = try await CommentRows.authorRecord(author.id, on: db)
            try await CommentRows.submit(
                commentID, selfRating: selfRating, author: record, body: body != current.body ? body : nil, screened: verdict, now: now, on: db
            )
            if current.status == .rejected {
                // A resubmission is a new text: earlier reviews were of the old one.
                try await CommentRows.forgetReviews(of: commentID, on: db)
            }
            if case .hold = verdict {
                try await self.setStatus(commentID, .held, by: .prescreen, now: now, on: db)
                return nil
            }
            guard let pending = try await CommentRows.find(commentID, on: db) else { return nil }
            return try await self.decide(pending, engine: engine, now: now, on: db)
        }
        if let change { await announce(change) }
        return try await comment(commentID)!
    }

    /// Deletes one's own comment; it disappears from the thread (replies to it stay, under "deleted").
    public func delete(commentID: Int64, author: User) async throws {
        let comment = try await own(commentID, by: author)
        try await database.transaction { db in
            try await CommentRows.markDeleted(comment.id, on: db)
        }
        await announce(CommentChange(articleID: comment.articleID, commentID: comment.id, status: .deleted))
    }
}
