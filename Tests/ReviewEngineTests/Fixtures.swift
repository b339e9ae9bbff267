import Foundation
import ReviewEngine
import Simulator

let t0 = Date(timeIntervalSinceReferenceDate: 700_000_000)

/// A reviewer whose record shows the given agreement on civil and uncivil outcomes.
func reviewer(_ id: UserID, civilAgreed: Double = 40, civilDisagreed: Double = 3, uncivilAgreed: Double = 8,
              uncivilDisagreed: Double = 1, factor: Double = 0) -> ReviewerRecord {
    var r = ReviewerRecord(reviewerID: id)
    r.outcomes.civilAgreed = civilAgreed
    r.outcomes.civilDisagreed = civilDisagreed
    r.outcomes.uncivilAgreed = uncivilAgreed
    r.outcomes.uncivilDisagreed = uncivilDisagreed
    r.civilityFactor = factor
    r.reviewsGiven = Int(civilAgreed + civilDisagreed + uncivilAgreed + uncivilDisagreed)
    return r
}

func comment(_ id: CommentID = 1, author: UserID = 999, score: Double? = 0.05, selfRating: CivilityVote? = .civil,
             at date: Date = t0) -> CommentUnderReview {
    CommentUnderReview(id: id, authorID: author, articleID: 1, submittedAt: date, preScreenScore: score,
                       selfRating: selfRating)
}

func review(_ id: Int64, by reviewer: UserID, _ vote: CivilityVote, on commentID: CommentID = 1) -> Review {
    Review(id: id, commentID: commentID, reviewerID: reviewer, civility: vote, quality: .somewhat,
           submittedAt: t0.addingTimeInterval(Double(id)))
}

/// A random but reproducible review situation: reviewers of all kinds (some partisan, some muted or
/// banned), their reviews, and an author record.
struct Situation {
    var comment: CommentUnderReview
    var reviews: [Review]
    var reviewers: [ReviewerRecord]
    var author: AuthorRecord
    var engine: Engine

    init(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var model = ModelState()
        model.sidePrior = [0.15, 0.1, 0.5, 0.1, 0.15]
        engine = Engine(model: model)
        let n = 1 + rng.below(7)
        reviewers = (0..<n).map { i in
            var r = reviewer(UserID(i + 1), civilAgreed: Double(rng.below(60)), civilDisagreed: Double(rng.below(10)),
                             uncivilAgreed: Double(rng.below(12)), uncivilDisagreed: Double(rng.below(4)),
                             factor: rng.chance(0.4) ? rng.uniform(-3...3) : 0)
            if rng.chance(0.1) { r.standing = .muted }
            if rng.chance(0.1) { r.reviewBannedUntil = t0.addingTimeInterval(86400 * 5) }
            return r
        }
        author = AuthorRecord(authorID: 999)
        author.published = rng.below(30)
        author.rejected = rng.chance(0.2) ? 1 : 0
        comment = ReviewEngineTests_comment(score: rng.uniform(0.001...0.9), selfRating: rng.chance(0.1) ? .uncivil : .civil)
        reviews = (0..<n).map { i in
            ReviewEngineTests_review(Int64(i + 1), by: UserID(i + 1), rng.chance(0.3) ? .uncivil : .civil)
        }
        // Half the situations place comments on the axis from "good" ratings too (`ModelState.qualitySide…`).
        if rng.chance(0.5) {
            engine.model.qualitySideScale = 1
            engine.model.qualityNoise = rng.uniform(0.15...0.4)
            engine.model.qualityInterceptSpread = rng.uniform(0.1...0.4)
            for i in reviewers.indices where rng.chance(0.7) {
                reviewers[i].qualityFactor = rng.uniform(-0.6...0.6)
                reviewers[i].qualityBias = rng.uniform(-0.2...0.2)
            }
            for i in reviews.indices { reviews[i].quality = QualityVote.allCases[rng.below(3)] }
        }
        if rng.chance(0.2) { reviews.append(ReviewEngineTests_review(100, by: 999, .civil)) }  // the author's own
        if rng.chance(0.2), let first = reviews.first {  // a repeat review by the same reviewer
            reviews.append(ReviewEngineTests_review(101, by: first.reviewerID, .uncivil))
        }
    }

    func decide(_ reviews: [Review]? = nil, now: Date = t0.addingTimeInterval(600)) -> Decision {
        engine.decide(comment, reviews: reviews ?? self.reviews, author: author, reviewers: reviewers, now: now)
    }
}

// Plain functions under other names, so the struct initialiser above does not call itself.
func ReviewEngineTests_comment(score: Double, selfRating: CivilityVote) -> CommentUnderReview {
    comment(score: score, selfRating: selfRating)
}

func ReviewEngineTests_review(_ id: Int64, by r: UserID, _ vote: CivilityVote) -> Review {
    review(id, by: r, vote)
}
