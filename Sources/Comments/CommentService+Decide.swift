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
}

extension CommentService {
    /// Runs the engine on `comment` with everything it has received, saves the decision and applies it.
    /// Must be called inside a transaction holding the comment's row lock.
    func decide(_ comment: Comment, engine: Engine, now: Timestamp, on db: any SQLDatabase) async throws -> CommentChange? {
        let reviews = try await CommentRows.reviews(of: comment.id, on: db)
        // The author's own reviewer record too: how they review others is evidence about what they write.
        let reviewers = try await CommentRows.reviewerRecords(reviews.map(\.reviewerID) + [comment.authorID], on: db)
        let author = try await CommentRows.authorRecord(comment.authorID, on: db)
        let decision = engine.decide(comment.underReview, reviews: reviews, author: author, reviewers: reviewers, now: now.date)
        let quality = engine.quality(of: reviews, authorID: comment.authorID, reviewers: reviewers).score
        try await db.update("comments")
            .set("probability_uncivil", to: decision.probabilityUncivil)
            .set("reviews_still_needed", to: decision.reviewsStillNeeded)
            .set("decision", to: decision.explanation.summary)
            .set("author_log_odds", to: decision.explanation.authorLogOdds)
            .set("quality", to: quality.isFinite ? quality : 0)
            .where("id", .equal, comment.id).run()

        switch decision.verdict {
        case .needsMoreReviews:
            return nil
        case .publish:
            guard comment.status != .published else { return nil }
            let by: DecidedBy = decision.rule == .trustedAuthor ? .trusted : (decision.rule == .timedOut ? .timeout : .peers)
            try await setStatus(comment.id, .published, by: by, now: now, on: db)
            // A trusted author's comment is still reviewable: it settles later, like any other.
            if by != .trusted {
                try await settle(comment, reviews: reviews, reviewers: reviewers, outcome: .published(probabilityUncivil: decision.probabilityUncivil),
                                 engine: engine, now: now, on: db)
            }
            return CommentChange(articleID: comment.articleID, commentID: comment.id, status: .published)
        case .withhold:
            let by: DecidedBy = decision.rule == .timedOut ? .timeout : .peers
            try await setStatus(comment.id, .withheld, by: by, now: now, on: db)
            // Withheld after publication (post-publication review of a trusted author): readers stop seeing it.
            return CommentChange(articleID: comment.articleID, commentID: comment.id, status: .withheld)
        }
    }

    func setStatus(_ id: Int64, _ status: CommentStatus, by: DecidedBy, now: Timestamp, on db: any SQLDatabase) async throws {
        var update = db.update("comments").set("status", to: status.rawValue).set("decided_by", to: by.rawValue)
            .set("decided_at", to: now.milliseconds)
        if status == .published {
            update = update.set(SQLIdentifier("published_at"), to: SQLFunction("COALESCE", args: SQLIdentifier("published_at"), SQLBind(now.milliseconds)))
        }
        try await update.where("id", .equal, id).run()
    }

    /// A comment's fate is final: reviewers are judged against it and the author's record moves.
    func settle(_ comment: Comment, reviews: [Review], reviewers: [ReviewerRecord], outcome: Outcome, engine: Engine,
                now: Timestamp, on db: any SQLDatabase) async throws {
        for update in engine.settle(reviews: reviews, reviewers: reviewers, authorID: comment.authorID, outcome: outcome, now: now.date) {
            try await CommentRows.save(update.record, now: now, on: db)
            try await apply(update.sanctions, now: now, on: db)
        }
        let author = try await CommentRows.authorRecord(comment.authorID, on: db)
        let asReviewer = try await db.select().column("record").from("reviewer_records").where("user_id", .equal, comment.authorID).first() != nil
            ? try await CommentRows.reviewerRecord(comment.authorID, on: db) : nil
        let update = engine.authorOutcome(outcome, author: author, reviewer: asReviewer, now: now.date)
        try await CommentRows.save(update.record, now: now, on: db)
        try await apply(update.sanctions, now: now, on: db)
    }

    /// Records what the engine did to people in the audit log, and tells authors who lost commenting rights.
    func apply(_ sanctions: [Sanction], now: Timestamp, on db: any SQLDatabase) async throws {
        for sanction in sanctions {
            try await AuditLog.record(actor: nil, action: "engine.\(sanction.kind.rawValue)", subject: "user:\(sanction.userID)",
                                      reason: sanction.reason, details: sanction.until.map { "until \(Timestamp($0).iso8601)" }, now: now, on: db)
            guard sanction.kind == .commentingBan || sanction.kind == .commentingRevoked,
                  let user = try await UserRows.find(where: "id", equals: sanction.userID, on: db)
            else { continue }
            let when = sanction.until.map { "You may comment again after \(DateText.format(Timestamp($0)))." } ?? "You may no longer comment on this site."
            try await Outbox.enqueue(OutgoingMail(
                kind: "comment-sanction", to: user.email, subject: "About your comments on \(site.configuration.siteName)",
                text: "Hello \(user.displayName),\n\nA moderator rejected one of your comments as uncivil. \(when)\n\nOur community guidelines ask that disagreement stays civil: no insults, threats, slurs, doxxing or spam."
            ), on: db, now: now)
        }
    }

    /// Tells the page cache and open article pages about a change, after its transaction committed.
    func announce(_ change: CommentChange) async {
        guard let slug = try? await slug(ofArticle: change.articleID) else { return }
        let notice = CommentNotice(slug: slug, commentID: change.commentID, status: change.status)
        await bus.publish(BusMessage(tags: [.article(slug)], live: [notice.live]))
        if change.mail { site.mail.wake() }
    }

    // MARK: Timeouts

    /// Decides every pending comment again, so that none waits past the site's maximum wait. Returns how many
    /// changed. Run by ``CommentSweeper``.
    @discardableResult
    public func sweep() async throws -> Int {
        let engine = try await engine()
        let now = now()
        let due = now.adding(seconds: -engine.settings.maximumWait).milliseconds
        let ids = try await database.read { db in
            try await db.select().column("id").from("comments").where("status", .equal, CommentStatus.pending.rawValue)
                .where("submitted_at", .lessThanOrEqual, due).orderBy("submitted_at").limit(500).all(decodingColumn: "id", as: Int64.self)
        }
        var changed = 0
        for id in ids {
            let change = try await database.transaction { db -> CommentChange? in
                guard let comment = try await CommentRows.find(id, on: db, lock: true), comment.status == .pending else { return nil }
                return try await self.decide(comment, engine: engine, now: now, on: db)
            }
            if let change {
                changed += 1
                await announce(change)
            }
        }
        return changed
    }
}
