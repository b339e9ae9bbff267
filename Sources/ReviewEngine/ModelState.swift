import Foundation

/// What the engine has learned about the whole site, as opposed to one reviewer. `Engine.refit` re-estimates it
/// in batches; the server stores it (one JSON document) and passes it to every `Engine` it builds.
public struct ModelState: Sendable, Codable, Hashable {
    /// Authors come in two kinds that the engine cannot see but can infer from their record: most rarely write
    /// an uncivil comment, a few mostly do. Their rates and share are refitted from settled comments.
    public var regularAuthorRate: Double = 0.02
    public var abusiveAuthorRate: Double = 0.6
    public var abusiveAuthorShare: Double = 0.08

    /// Pre-screen calibration: log-odds(uncivil) ≈ preScreenIntercept + preScreenSlope · logit(score).
    public var preScreenIntercept: Double = -1.2
    public var preScreenSlope: Double = 0.5
    /// Share of uncivil comments whose authors rate them uncivil themselves, and of civil ones.
    public var selfUncivilGivenUncivil: Double = 0.3
    public var selfUncivilGivenCivil: Double = 0.02
    /// How often comments sit at each point of `Settings.sideGrid` (the bridging model's comment factor).
    public var sidePrior: [Double] = [0.1, 0.15, 0.5, 0.15, 0.1]
    /// Mean quality rating (μ of the quality model).
    public var qualityMean: Double = 0.5
    /// Where a comment sits on the axis of disagreement, read from its "good" ratings: a rating is modelled as
    /// μ + reviewer quality bias + comment intercept + reviewer quality factor · (scale · side) + noise, with the
    /// intercept unknown (spread `qualityInterceptSpread`) and the noise `qualityNoise`. Reviewers who like one
    /// side rate its comments higher than reviewers who like the other, so the ratings place a comment on the
    /// axis even when its two or three civility votes cannot. Learned by `refit`; nil until then (optional so
    /// that a stored model from before these fields still decodes).
    public var qualitySideScale: Double?
    public var qualityNoise: Double?
    public var qualityInterceptSpread: Double?
    /// What reviewers on probation (fewer than `Settings.probationReviews` reviews) have turned out to catch
    /// and pass: the starting point of every new reviewer's reliability.
    public var newReviewerSensitivity: Double = 0.7
    public var newReviewerSpecificity: Double = 0.85
    /// Share of reviewers who approve abuse (see `Settings.approverSensitivity`), learned by `refit`; nil until
    /// then (optional so that a stored model from before this field still decodes).
    public var learnedApproverShare: Double?
    /// The same among reviewers still on probation (`Settings.probationReviews`): new accounts include returning
    /// trolls and sock puppets, so their share is learned apart.
    public var learnedNewApproverShare: Double?
    /// The share of approvers of abuse a reviewer without a record of uncivil outcomes is assumed to be drawn from.
    public var approverShare: Double { learnedApproverShare ?? 0.1 }
    public var newApproverShare: Double { learnedNewApproverShare ?? approverShare }
    /// Share of the votes in the last refit given by reviewers past probation (`Settings.probationReviews`).
    /// On a new site every account is new, and the newcomer discount (`Settings.provenAfterJudged`) would
    /// silence everyone: it grows with this share. Nil until the first refit (optional so that a stored model
    /// from before this field still decodes; a refitted model without it counts as established).
    public var learnedEstablishedShare: Double?
    public var establishedShare: Double { learnedEstablishedShare ?? (refittedOn > 0 ? 1 : 0) }
    /// Share of settled comments that were uncivil in the last refit.
    public var uncivilShare: Double = 0.08
    /// Settled comments the last refit used (0: defaults only).
    public var refittedOn: Int = 0

    public init() {}

    /// The chance a first comment by an author with no record is uncivil.
    public var newAuthorRate: Double {
        abusiveAuthorShare * abusiveAuthorRate + (1 - abusiveAuthorShare) * regularAuthorRate
    }

    /// Log-likelihood ratio (uncivil : civil) of an author's record as a reviewer, beyond their comment record,
    /// per `Engine.authorReviewerBucket` (cleared of approving abuse, not yet known, likely an approver), learned
    /// by `refit`; nil until then (optional so that a stored model from before it still decodes).
    public var authorAsReviewerLogOdds: [Double]?

    /// How much of the author record, pre-screen and self-rating terms decisions use (`EvidenceWeights`),
    /// learned by `refit`; nil until then (all 1).
    public var evidenceWeights: EvidenceWeights?

    /// Learned share of uncivil comments per author-record bucket (see `authorBucket`); empty until refitted.
    public var authorRateTable: [Double] = []

    static let publishedEdges = [0, 1, 3, 6, 11, 21, 51]
    public static let authorBucketCount = publishedEdges.count * 3

    /// Buckets: rejected 0, 1, 2+ × published 0, 1–2, 3–5, 6–10, 11–20, 21–50, 51+.
    public static func authorBucket(published: Int, rejected: Int) -> Int {
        let p = (publishedEdges.lastIndex { published >= $0 }) ?? 0
        return min(rejected, 2) * publishedEdges.count + p
    }

    static func representative(bucket: Int) -> (published: Int, rejected: Int) {
        let r = bucket / publishedEdges.count, p = bucket % publishedEdges.count
        let low = publishedEdges[p], high = p + 1 < publishedEdges.count ? publishedEdges[p + 1] - 1 : low * 2
        return ((low + high) / 2, r)
    }

    /// The chance that this author's next comment is uncivil, given how many were published and rejected:
    /// what comments by authors with such a record turned out to be, once refitted.
    public func authorRate(published: Int, rejected: Int) -> Double {
        let b = ModelState.authorBucket(published: published, rejected: rejected)
        if b < authorRateTable.count { return authorRateTable[b] }
        return mixtureAuthorRate(published: published, rejected: rejected)
    }

    /// The two-kinds model: the prior before the table is learned, and what sparse buckets shrink towards.
    public func mixtureAuthorRate(published: Int, rejected: Int) -> Double {
        let p = Double(published), r = Double(rejected)
        let logAbusive = log(abusiveAuthorShare) + r * log(abusiveAuthorRate) + p * log1p(-abusiveAuthorRate)
        let logRegular = log1p(-abusiveAuthorShare) + r * log(regularAuthorRate) + p * log1p(-regularAuthorRate)
        let pAbusive = sigmoid(logAbusive - logRegular)
        return pAbusive * abusiveAuthorRate + (1 - pAbusive) * regularAuthorRate
    }

    /// Log-likelihood ratio (uncivil : civil) of a pre-screen score, relative to the site's base rate.
    public func preScreenWeight(score: Double) -> Double {
        preScreenIntercept + preScreenSlope * logit(score) - logit(uncivilShare)
    }

    /// Log-likelihood ratio (uncivil : civil) of the author's own rating.
    public func selfRatingWeight(_ vote: CivilityVote) -> Double {
        switch vote {
        case .uncivil: log(selfUncivilGivenUncivil / selfUncivilGivenCivil)
        case .civil: log((1 - selfUncivilGivenUncivil) / (1 - selfUncivilGivenCivil))
        }
    }

    /// The log-likelihood of a comment's quality ratings at each point of `grid` (the side on the axis of
    /// disagreement), with the comment's intercept integrated out. `ratings` are each rating minus μ and the
    /// reviewer's quality bias, with the reviewer's quality factor. All zeros until refitted.
    public func qualitySideLogLikelihood(_ ratings: [(residual: Double, factor: Double)], grid: [Double]) -> [Double] {
        guard let scale = qualitySideScale, let sigma = qualityNoise, let tau = qualityInterceptSpread,
              scale > 0, sigma > 0, !ratings.isEmpty
        else { return grid.map { _ in 0 } }
        let s2 = sigma * sigma, t2 = tau * tau, n = Double(ratings.count)
        return grid.map { g in
            var sum = 0.0, squares = 0.0
            for d in ratings {
                let e = d.residual - d.factor * scale * g
                sum += e
                squares += e * e
            }
            return -0.5 * (squares / s2 - t2 * sum * sum / (s2 * (s2 + n * t2)))
        }
    }
}
