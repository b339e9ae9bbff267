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
        let settings = try await settingsCache.snapshot()
        let rules = settings.rules, engine = settings.engine
        // What the pre-screen needs is read first, on a reader: the scorer may take its time, and no write waits
        // for it.
        let (draft, history) = try await database.read { db -> (Comment, AuthorHistory) in
            guard let draft = try await CommentRows.find(commentID, on: db) else { throw CommentError.notFound }
            guard draft.authorID == author.id else { throw CommentError.notYours }
            guard draft.status == .draft || draft.status == .rejected else { throw CommentError.wrongStep }
            if try await self.owesReviews(draft, writer: author, engine: engine, on: db) { throw CommentError.wrongStep }
            return (draft, try await self.history(of: author.id, on: db))
        }
        let body = edited.map(Self.normalise) ?? draft.body
        guard !body.isEmpty else { throw CommentError.empty }
        guard body.count <= rules.maximumLength else { throw CommentError.tooLong(rules.maximumLength) }
        var others = history
        others.recent.removeAll { $0.at == draft.createdAt && $0.body == draft.body }
        if others.lastCommentAt == draft.createdAt { others.lastCommentAt = others.recent.first?.at }
        let now = now()
        // The author's standing is checked again in the transaction below, with the record it stores.
        try checkMayComment(author, rules: rules, record: AuthorRecord(authorID: author.id))
        let verdict = await screen.screen(body, author: others, final: true, now: now)
        if case .refuse(let code, let message) = verdict { throw CommentError.refused(code, message) }
        let (comment, change) = try await database.transaction { db -> (Comment, CommentChange?) in
            guard let current = try await CommentRows.find(commentID, on: db, lock: true),
                  current.status == .draft || current.status == .rejected
            else { throw CommentError.wrongStep }
            let record = try await CommentRows.authorRecord(author.id, on: db)
            try self.checkMayComment(author, rules: rules, record: record)
            try await CommentRows.submit(
                commentID, selfRating: selfRating, author: record, body: body != current.body ? body : nil, screened: verdict, now: now, on: db
            )
            if current.status == .rejected {
                // A resubmission is a new text: earlier reviews were of the old one.
                try await CommentRows.forgetReviews(of: commentID, on: db)
            }
            var change: CommentChange?
            if case .hold = verdict {
                try await self.setStatus(commentID, .held, by: .prescreen, now: now, on: db)
            } else {
                guard let pending = try await CommentRows.find(commentID, on: db) else { throw CommentError.notFound }
                change = try await self.decide(pending, engine: engine, author: record, now: now, on: db)
            }
            guard let comment = try await CommentRows.find(commentID, on: db) else { throw CommentError.notFound }
            return (comment, try await self.announced(change, on: db))
        }
        if let change { await announce(change) }
        return comment
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
