import QuorumStore
import ReviewEngine
import SQLKit

/// The SQL of deciding, submitting, deleting and moderating comments: status changes and what moderators set.
extension CommentRows {
    /// Moves a comment to `status`, decided by `by` now; a comment keeps the moment readers first saw it.
    static func setStatus(_ id: Int64, _ status: CommentStatus, by: DecidedBy, now: Timestamp, on db: any SQLDatabase) async throws {
        var update = db.update("comments").set("status", to: status.rawValue).set("decided_by", to: by.rawValue)
            .set("decided_at", to: now.milliseconds)
        if status == .published {
            update = update.set(SQLIdentifier("published_at"), to: SQLFunction("COALESCE", args: SQLIdentifier("published_at"), SQLBind(now.milliseconds)))
        }
        try await update.where("id", .equal, id).run()
    }

    /// Who settled a comment already shown to readers (it leaves the review queue).
    static func setDecidedBy(_ id: Int64, _ by: DecidedBy, on db: any SQLDatabase) async throws {
        try await db.update("comments").set("decided_by", to: by.rawValue).where("id", .equal, id).run()
    }

    /// The engine's latest view of a comment: probability, reviews still needed, explanation, quality.
    static func saveDecision(_ id: Int64, _ decision: Decision, quality: Double, on db: any SQLDatabase) async throws {
        try await db.update("comments")
            .set("probability_uncivil", to: decision.probabilityUncivil)
            .set("reviews_still_needed", to: decision.reviewsStillNeeded)
            .set("decision", to: decision.explanation.summary)
            .set("author_log_odds", to: decision.explanation.authorLogOdds)
            .set("quality", to: quality.isFinite ? quality : 0)
            .where("id", .equal, id).run()
    }

    static func setModeratorVerdict(_ id: Int64, _ verdict: CivilityVote, on db: any SQLDatabase) async throws {
        try await db.update("comments").set("moderator_verdict", to: verdict.rawValue).where("id", .equal, id).run()
    }

    /// Comments the sweep must look at: pending ones, and trusted authors' published ones still under review,
    /// submitted at or before `due`, oldest first.
    static func overdue(submittedBy due: Timestamp, limit: Int = 500, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.select().column("id").from("comments")
            .where { $0.where("status", .equal, CommentStatus.pending.rawValue)
                .orWhere { $0.where("status", .equal, CommentStatus.published.rawValue).where("decided_by", .equal, DecidedBy.trusted.rawValue) } }
            .where("submitted_at", .lessThanOrEqual, due.milliseconds).orderBy("submitted_at").limit(limit).all(decodingColumn: "id", as: Int64.self)
    }

    /// Reviews, and audits among them, since `since` (one query).
    static func reviewCounts(since: Timestamp, on db: any SQLDatabase) async throws -> (reviews: Int, audits: Int) {
        // COUNT of a CASE rather than SUM: PostgreSQL's SUM of a BIGINT is a NUMERIC.
        let row = try await db.raw("""
            SELECT COUNT(*) AS n, COUNT(CASE WHEN is_audit = 1 THEN 1 END) AS audits FROM reviews WHERE created_at > \(bind: since.milliseconds)
            """).first()
        return (try row?.decode(column: "n", as: Int.self) ?? 0, try row?.decode(column: "audits", as: Int.self) ?? 0)
    }

    /// Submission: the self-rating, the author's record at this moment, the final text (nil: unchanged) and the
    /// pre-screen's verdict (its score, and why it held the comment); the comment waits for peers (the caller
    /// then holds or decides it).
    static func submit(_ id: Int64, selfRating: CivilityVote, author: AuthorRecord, body: String?, screened verdict: ScreenVerdict,
                       now: Timestamp, on db: any SQLDatabase) async throws {
        var update = db.update("comments").set("self_rating", to: selfRating.rawValue).set("submitted_at", to: now.milliseconds)
            .set("author_published", to: author.published).set("author_rejected", to: author.rejected)
            .set("status", to: CommentStatus.pending.rawValue).set("decided_by", to: SQLLiteral.null).set("decided_at", to: SQLLiteral.null)
            .set("moderation_reason", to: SQLLiteral.null)
        if let body { update = update.set("body", to: body).set("edited_at", to: now.milliseconds) }
        switch verdict {
        case .pass(let score): update = update.set("prescreen_score", to: score)
        case .hold(let score, let reasons): update = update.set("prescreen_score", to: score).set("prescreen_reasons", to: reasons.joined(separator: "; "))
        case .refuse: break
        }
        try await update.where("id", .equal, id).run()
    }

    /// Forgets the reviews and tasks of an earlier text (a rejected comment resubmitted).
    static func forgetReviews(of id: Int64, on db: any SQLDatabase) async throws {
        try await db.delete(from: "reviews").where("comment_id", .equal, id).run()
        try await db.delete(from: "review_tasks").where("comment_id", .equal, id).run()
    }

    static func markDeleted(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.update("comments").set("status", to: CommentStatus.deleted.rawValue).where("id", .equal, id).run()
    }

    /// A moderator dealt with the comment: their id, the reason given (rejections), its flags resolved.
    static func recordModeration(_ id: Int64, moderatorID: Int64, reason: String?, now: Timestamp, on db: any SQLDatabase) async throws {
        var update = db.update("comments").set("moderator_id", to: moderatorID).set("flags_open", to: 0)
        if let reason { update = update.set("moderation_reason", to: reason) }
        try await update.where("id", .equal, id).run()
        try await resolveFlags(of: id, now: now, on: db)
    }

    static func resolveFlags(of id: Int64, now: Timestamp, on db: any SQLDatabase) async throws {
        try await db.update("comments").set("flags_open", to: 0).where("id", .equal, id).run()
        try await db.update("comment_flags").set("resolved_at", to: now.milliseconds).where("comment_id", .equal, id).run()
    }

    static func setPick(_ id: Int64, _ on: Bool, on db: any SQLDatabase) async throws {
        try await db.update("comments").set("is_pick", to: on ? 1 : 0).where("id", .equal, id).run()
    }

    static func setAuditVerdict(_ id: Int64, _ verdict: CivilityVote?, on db: any SQLDatabase) async throws {
        try await db.update("comments").set("audit_verdict", to: verdict?.rawValue).where("id", .equal, id).run()
    }
}
