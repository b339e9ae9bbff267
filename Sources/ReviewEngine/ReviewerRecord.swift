import Foundation

/// How often a reviewer's civility votes matched what a comment turned out to be, split by what it turned out
/// to be. Counts are soft: a peer-published comment that is 99.8% likely civil adds 0.998 to the civil side
/// and 0.002 to the uncivil side.
public struct ClassCounts: Sendable, Codable, Hashable {
    /// Comments that turned out civil and the reviewer called civil.
    public var civilAgreed: Double = 0
    /// Comments that turned out civil and the reviewer called uncivil.
    public var civilDisagreed: Double = 0
    /// Comments that turned out uncivil and the reviewer called uncivil.
    public var uncivilAgreed: Double = 0
    /// Comments that turned out uncivil and the reviewer called civil.
    public var uncivilDisagreed: Double = 0

    public init() {}

    public var total: Double { civilAgreed + civilDisagreed + uncivilAgreed + uncivilDisagreed }

    /// Adds one vote judged against an outcome that is uncivil with probability `pUncivil`.
    mutating func add(vote: CivilityVote, pUncivil: Double, weight: Double = 1) {
        let pCivil = 1 - pUncivil
        switch vote {
        case .civil:
            civilAgreed += weight * pCivil
            uncivilDisagreed += weight * pUncivil
        case .uncivil:
            civilDisagreed += weight * pCivil
            uncivilAgreed += weight * pUncivil
        }
    }
}

/// Where a reviewer stands. Warned and muted reviewers still review (mostly audits), so they can earn their
/// way back; a muted reviewer's votes carry no weight.
public enum Standing: String, Sendable, Codable, Hashable {
    case good
    case warned
    case muted
}

/// Everything the engine remembers about one reviewer. The server stores it (one row or JSON document per
/// user) and passes it back on every call; the engine returns updated copies in `ReliabilityUpdate`s.
public struct ReviewerRecord: Sendable, Codable, Hashable {
    public var reviewerID: UserID
    /// Reviews given, audits included.
    public var reviewsGiven: Int = 0
    /// Agreement with outcomes of ordinary comments (re-estimated by `Engine.refit`, updated online between).
    public var outcomes = ClassCounts()
    /// Results of audits (moderator-confirmed verdicts); never re-estimated, weighted by `Settings.auditWeight`.
    public var audits = ClassCounts()
    /// The reviewer's position on the learned axis of disagreement (bridging model), from the last refit.
    /// Zero means their civility votes do not follow any side.
    public var civilityFactor: Double = 0
    /// The reviewer's lean and position in quality ("good") ratings, from the last refit.
    public var qualityBias: Double = 0
    public var qualityFactor: Double = 0
    public var standing: Standing = .good
    /// Warnings given so far.
    public var warnings: Int = 0
    /// Audits failed since the reviewer was last muted or banned (a ban needs `Settings.auditFailuresForBan`).
    public var auditFailuresWhileMuted: Int = 0
    /// Review bans served so far; the next one is longer.
    public var reviewBans: Int = 0
    public var reviewBannedUntil: Date?
    /// The review count at which the votes last stopped counting (nil while they count).
    public var mutedSinceReview: Int?

    public init(reviewerID: UserID) {
        self.reviewerID = reviewerID
    }

    /// Whether the reviewer may not review at `now`.
    public func isBanned(at now: Date) -> Bool {
        if let until = reviewBannedUntil { return now < until }
        return false
    }
}

/// A reviewer's estimated reliability: the Dawid–Skene "one accuracy" plus the lean that the bridging model
/// calls reviewer bias. The two together are exactly a sensitivity/specificity pair:
/// P(votes uncivil | uncivil) = σ(accuracyLogit + bias), P(votes uncivil | civil) = σ(−accuracyLogit + bias).
public struct Reliability: Sendable, Codable, Hashable {
    /// Share of uncivil comments the reviewer calls uncivil.
    public var sensitivity: Double
    /// Share of civil comments the reviewer calls civil.
    public var specificity: Double
    /// Outcomes and audits the estimate rests on (audits counted with their weight).
    public var judged: Double

    /// How well the reviewer separates civil from uncivil, lean removed: σ of `accuracyLogit`.
    public var accuracy: Double { sigmoid(accuracyLogit) }
    public var accuracyLogit: Double { (logit(sensitivity) + logit(specificity)) / 2 }
    /// Positive: quick to call things uncivil; negative: lets things through.
    public var bias: Double { (logit(sensitivity) - logit(specificity)) / 2 }

    /// Log-likelihood ratio (uncivil : civil) carried by a vote when the comment's side does not matter.
    public func weight(of vote: CivilityVote) -> Double {
        switch vote {
        case .uncivil: log(sensitivity / (1 - specificity))
        case .civil: log((1 - sensitivity) / specificity)
        }
    }
}

extension Settings {
    /// The Beta-posterior reliability of a reviewer: the new-reviewer assumption plus their record.
    public func reliability(of record: ReviewerRecord) -> Reliability {
        let o = record.outcomes, a = record.audits, w = auditWeight
        let sensA = newReviewerSensitivity * newReviewerSensitivityStrength + o.uncivilAgreed + w * a.uncivilAgreed
        let sensN = newReviewerSensitivityStrength + o.uncivilAgreed + o.uncivilDisagreed
            + w * (a.uncivilAgreed + a.uncivilDisagreed)
        let specA = newReviewerSpecificity * newReviewerSpecificityStrength + o.civilAgreed + w * a.civilAgreed
        let specN = newReviewerSpecificityStrength + o.civilAgreed + o.civilDisagreed
            + w * (a.civilAgreed + a.civilDisagreed)
        let clamp = { (p: Double) in min(max(p, 0.01), 0.995) }
        return Reliability(
            sensitivity: clamp(sensA / sensN), specificity: clamp(specA / specN),
            judged: o.total + w * a.total)
    }
}
