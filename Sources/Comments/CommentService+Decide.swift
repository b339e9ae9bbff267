import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

/// A change readers of an article should see: its page is stale and open pages hear about it.
struct CommentChange: Sendable {
    var articleID: Int64
    var commentID: Int64
    var status: CommentStatus
    var mail: Bool = false
    /// The article's slug, when the transaction that made the change looked it up (else `announce` does).
    var slug: String?
}

extension CommentService {
    /// Runs the engine on `comment` with everything it has received, saves the decision and applies it.
    /// Must be called inside a transaction holding the comment's row lock. `author`: the author's record, when
    /// the caller read it in this transaction already.
    func decide(_ comment: Comment, engine: Engine, author: AuthorRecord? = nil, now: Timestamp, on db: any SQLDatabase) async throws -> CommentChange? {
        try await decideStep(comment, engine: engine, author: author, now: now, on: db).change
    }

    /// `decide`, also returning the lifecycle step it applied.
    func decideStep(_ comment: Comment, engine: Engine, author: AuthorRecord? = nil, now: Timestamp, on db: any SQLDatabase) async throws
        -> (effects: LifecycleEffects, change: CommentChange?)
    {
        // Everything the decision and its settlement read, once.
        let records = try await lifecycleRecords(comment, author: author, on: db)
        let reviews = records.reviews, reviewers = records.reviewers
        let decision = engine.decide(comment.underReview, reviews: reviews, author: records.author, reviewers: reviewers, now: now.date)
        let quality = engine.quality(of: reviews, authorID: comment.authorID, reviewers: reviewers).score
        try await CommentRows.saveDecision(comment.id, decision, quality: quality, on: db)

        // What the decision does (status, settling, reviewers' and author's records, sanctions) is the engine's
        // one lifecycle step, the same the simulator runs; a trusted author's published comment settles here once
        // peers confirm it or its maximum wait has passed.
        let effects = engine.lifecycle(comment.stage, event: .decided(decision), submittedAt: comment.underReview.submittedAt,
                                       records: records, now: now.date)
        return (effects, try await apply(effects, to: comment, now: now, on: db))
    }

    /// `change` with its article's slug, read in the caller's transaction (nil stays nil).
    func announced(_ change: CommentChange?, on db: any SQLDatabase) async throws -> CommentChange? {
        guard var change else { return nil }
        change.slug = try await articles.article(id: change.articleID, on: db)?.slug
        return change
    }

    func setStatus(_ id: Int64, _ status: CommentStatus, by: DecidedBy, now: Timestamp, on db: any SQLDatabase) async throws {
        try await CommentRows.setStatus(id, status, by: by, now: now, on: db)
    }

    /// Records what the engine did to people in the audit log, and tells authors who lost commenting rights.
    func apply(_ sanctions: [Sanction], now: Timestamp, on db: any SQLDatabase) async throws {
        for sanction in sanctions {
            try await AuditLog.record(actor: nil, action: "engine.\(sanction.kind.rawValue)", subject: "user:\(sanction.userID)",
                                      reason: sanction.reason, details: sanction.until.map { "until \(Timestamp($0).iso8601)" }, now: now, on: db)
            guard sanction.kind == .commentingBan || sanction.kind == .commentingRevoked,
                  let user = try await UserRows.find(where: "id", equals: sanction.userID, on: db)
            else { continue }
            var model: [String: Any] = ["name": user.displayName]
            if let until = sanction.until { model["until"] = DateText.format(Timestamp(until)) }
            try await Outbox.enqueue(try site.pages.email("comment-sanction", kind: "comment-sanction", to: user.email, model), on: db, now: now)
        }
    }

    /// Tells the page cache and open article pages about a change, after its transaction committed.
    func announce(_ change: CommentChange) async {
        var slug = change.slug
        if slug == nil { slug = try? await self.slug(ofArticle: change.articleID) }
        guard let slug else { return }
        let notice = CommentNotice(slug: slug, commentID: change.commentID, status: change.status)
        await bus.publish(BusMessage(tags: [.article(slug)], live: [notice.live]))
        if change.mail { site.mail.wake() }
    }

    // MARK: Timeouts

    /// Decides every pending comment again, so that none waits past the site's maximum wait, and settles trusted
    /// authors' published comments that stood theirs. Returns how many changed. Run by ``CommentSweeper``.
    @discardableResult
    public func sweep() async throws -> Int {
        let engine = try await engine()
        let now = now()
        let due = now.adding(seconds: -engine.settings.maximumWait)
        let ids = try await database.read { db in try await CommentRows.overdue(submittedBy: due, on: db) }
        var changed = 0
        for id in ids {
            let step = try await database.transaction { db -> (effects: LifecycleEffects, change: CommentChange?)? in
                guard let comment = try await CommentRows.find(id, on: db, lock: true), comment.stage.isUnderReview else { return nil }
                return try await self.decideStep(comment, engine: engine, now: now, on: db)
            }
            guard let step, step.effects.stageChanged else { continue }
            changed += 1
            if let change = step.change { await announce(change) }
        }
        return changed
    }
}
