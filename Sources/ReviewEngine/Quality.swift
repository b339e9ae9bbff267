import Foundation

/// A comment's quality for the "best" sort: the bridged intercept, i.e. the part of its ratings that reviewers
/// who usually disagree share. Never used to publish or withhold.
public struct QualityScore: Sendable, Codable, Hashable {
    /// What the "best" sort orders by: μ + comment intercept.
    public var score: Double
    /// The comment's own intercept (above or below the site's mean rating).
    public var intercept: Double
    /// The comment's position on the quality axis of disagreement: ratings explained by taste for a side.
    public var factor: Double
    /// Plain mean of the ratings, for comparison.
    public var rawMean: Double
    public var ratings: Int
}

enum QualityModel {
    /// Intercepts are penalised more than factors, as in Community Notes, so that what a side alone likes is
    /// explained by the factor product rather than credited to the comment.
    static let interceptPenalty = 0.6
    static let factorPenalty = 0.25

    /// Ridge least squares for r ≈ intercept + x · factor.
    static func solve(_ data: [(r: Double, x: Double)], interceptPenalty li: Double, factorPenalty lf: Double)
        -> (intercept: Double, factor: Double)
    {
        var n = 0.0, sx = 0.0, sxx = 0.0, sr = 0.0, srx = 0.0
        for d in data {
            n += 1
            sx += d.x
            sxx += d.x * d.x
            sr += d.r
            srx += d.r * d.x
        }
        let a = n + li, b = sx, c = sxx + lf
        let det = a * c - b * b
        guard det > 1e-12 else { return (sr / a, 0) }
        return ((c * sr - b * srx) / det, (a * srx - b * sr) / det)
    }
}

extension Engine {
    /// The bridged quality score of a comment from its reviews' "good" ratings, using each reviewer's quality
    /// bias and factor from the last refit. Reviews without a quality rating, own reviews and repeat reviews
    /// are ignored.
    public func quality(of reviews: [Review], authorID: UserID, reviewers: [ReviewerRecord]) -> QualityScore {
        var data: [(r: Double, x: Double)] = []
        var raw = 0.0
        var seen: [UserID] = []
        for review in reviews.sorted(by: { ($0.reviewerID, $0.id) < ($1.reviewerID, $1.id) }) {
            guard let q = review.quality, review.reviewerID != authorID, !seen.contains(review.reviewerID) else { continue }
            seen.append(review.reviewerID)
            let record = reviewers.first { $0.reviewerID == review.reviewerID }
            data.append((q.score - model.qualityMean - (record?.qualityBias ?? 0), record?.qualityFactor ?? 0))
            raw += q.score
        }
        guard !data.isEmpty else {
            return QualityScore(score: model.qualityMean, intercept: 0, factor: 0, rawMean: model.qualityMean, ratings: 0)
        }
        let sol = QualityModel.solve(data, interceptPenalty: QualityModel.interceptPenalty,
                                     factorPenalty: QualityModel.factorPenalty)
        return QualityScore(score: model.qualityMean + sol.intercept, intercept: sol.intercept, factor: sol.factor,
                            rawMean: raw / Double(data.count), ratings: data.count)
    }
}
