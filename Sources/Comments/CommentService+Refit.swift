import Foundation
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

extension CommentService {
    /// How many settled comments a batch refit looks at (the most recent).
    public static let refitWindow = 20_000

    /// Re-estimates the engine's model and every involved reviewer's record from recently settled comments
    /// (expectation–maximisation in `Engine.refit`), then stores them. Between refits, outcomes update records
    /// online. Returns how many comments the batch held.
    @discardableResult
    public func refit() async throws -> Int {
        let engine = try await engine()
        let now = now()
        let (settled, reviewerIDs) = try await database.read { db -> ([SettledComment], [Int64]) in
            let rows = try await CommentRows.select(db)
                .column(SQLColumn("author_log_odds", table: "c")).column(SQLColumn("author_published", table: "c"))
                .column(SQLColumn("author_rejected", table: "c")).column(SQLColumn("moderator_verdict", table: "c"))
                .where { $0.where(SQLColumn("status", table: "c"), .equal, SQLBind(CommentStatus.published.rawValue))
                    .orWhere(SQLColumn("moderator_verdict", table: "c"), .isNot, SQLLiteral.null) }
                .where(SQLColumn("submitted_at", table: "c"), .isNot, SQLLiteral.null)
                .orderBy(SQLColumn("decided_at", table: "c"), SQLDirection.descending).limit(Self.refitWindow).all()
            var settled: [SettledComment] = []
            var reviewers: Set<Int64> = []
            for row in rows {
                let comment = try CommentRows.decode(row)
                let reviews = try await CommentRows.reviews(of: comment.id, on: db)
                reviewers.formUnion(reviews.map(\.reviewerID))
                settled.append(SettledComment(
                    comment: comment.underReview, reviews: reviews,
                    moderatorVerdict: try row.decode(column: "moderator_verdict", as: String?.self).flatMap(CivilityVote.init(rawValue:)),
                    authorLogOdds: try row.decode(column: "author_log_odds", as: Double?.self) ?? 0,
                    authorPublished: try row.decode(column: "author_published", as: Int.self),
                    authorRejected: try row.decode(column: "author_rejected", as: Int.self)
                ))
            }
            return (settled, Array(reviewers))
        }
        guard !settled.isEmpty else { return 0 }
        let records = try await database.read { db in try await CommentRows.reviewerRecords(reviewerIDs, on: db) }
        let result = engine.refit(settled, reviewers: records, now: now.date)
        let model = String(decoding: try JSONEncoder().encode(result.model), as: UTF8.self)
        try await database.transaction { db in
            try await SettingsStore.set("review_engine_model", model, now: now, on: db)
            for record in result.reviewers { try await CommentRows.save(record, now: now, on: db) }
            try await self.apply(result.sanctions, now: now, on: db)
        }
        await settingsChanged()
        logger.info("review engine refitted", metadata: ["comments": "\(settled.count)", "reviewers": "\(result.reviewers.count)"])
        return settled.count
    }
}
