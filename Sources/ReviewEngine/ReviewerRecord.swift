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
    /// Audits failed and passed since the reviewer was last muted or banned (a ban needs
    /// `Settings.auditFailuresForBan` failures and no more passes than failures).
    public var auditFailuresWhileMuted: Int = 0
    public var auditPassesWhileMuted: Int = 0
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
    /// The sequential test for random voting (see `Engine.randomVoterEvidence(of:)`).
    public var randomEvidence: Double

    /// How well the reviewer separates civil from uncivil, lean removed: σ of `accuracyLogit`.
    public var accuracy: Double { sigmoid(accuracyLogit) }
    public var accuracyLogit: Double { (logit(sensitivity) + logit(specificity)) / 2 }
    /// Positive: quick to call things uncivil; negative: lets things through.
    public var bias: Double { (logit(sensitivity) - logit(specificity)) / 2 }

    /// How much of a full vote the reviewer's record earns: judged / (judged + `Settings.provenAfterJudged`).
    public var proven: Double

    /// Log-likelihood ratio (uncivil : civil) carried by a vote when the comment's side does not matter,
    /// scaled by `proven`.
    public func weight(of vote: CivilityVote) -> Double {
        switch vote {
        case .uncivil: proven * log(sensitivity / (1 - specificity))
        case .civil: proven * log((1 - sensitivity) / specificity)
        }
    }
}

extension Engine {
    /// The Beta-posterior reliability of a reviewer: what new reviewers have turned out to be (learned by
    /// `refit`; new accounts include returning trolls, so this is modest) plus the reviewer's own record.
    /// One accuracy, one lean: the specificity (civil comments passed) is estimated first, because civil
    /// comments are plentiful; the sensitivity (uncivil comments caught) starts from that same accuracy (shifted
    /// by `Settings.assumedLean`) and moves with the reviewer's own uncivil outcomes and audits. A reviewer
    /// who passes civil comments well is thus assumed to catch uncivil ones too, until their record says
    /// otherwise (approvers of abuse fail uncivil audits, which weigh `Settings.auditWeight`).
    public func reliability(of record: ReviewerRecord) -> Reliability {
        let o = record.outcomes, a = record.audits, w = settings.auditWeight
        let sensK = settings.newReviewerSensitivityStrength, specK = settings.newReviewerSpecificityStrength
        let specA = model.newReviewerSpecificity * specK + o.civilAgreed + w * a.civilAgreed
        let specN = specK + o.civilAgreed + o.civilDisagreed + w * (a.civilAgreed + a.civilDisagreed)
        let spec = specA / specN
        let sensPrior = sigmoid(logit(spec) + settings.assumedLean)
        let sensA = sensPrior * sensK + o.uncivilAgreed + w * a.uncivilAgreed
        let sensN = sensK + o.uncivilAgreed + o.uncivilDisagreed + w * (a.uncivilAgreed + a.uncivilDisagreed)
        let clamp = { (p: Double) in min(max(p, 0.01), 0.995) }
        let sensHonest = clamp(sensA / sensN)
        let pApprover = approverProbability(of: record, sensitivityIfNot: sensHonest)
        let sens = pApprover * settings.approverSensitivity + (1 - pApprover) * sensHonest
        return Reliability(
            sensitivity: clamp(sens), specificity: clamp(spec),
            judged: o.total + w * a.total, randomEvidence: randomVoterEvidence(of: record),
            proven: provenShare(judged: o.total + w * a.total))
    }

    /// How much of a full vote a record of `judged` reviews earns: judged / (judged + k), where k is
    /// `Settings.provenAfterJudged` scaled by how established the site's reviewers are (`ModelState.establishedShare`):
    /// a newcomer is discounted against reviewers with records, not on a site where everyone is new.
    public func provenShare(judged: Double) -> Double {
        let k = settings.provenAfterJudged * min(max(model.establishedShare, 0), 1)
        return k <= 0 ? 1 : judged / (judged + k)
    }

    /// The chance that a reviewer approves abuse: the learned share of approvers, updated by the reviewer's
    /// uncivil outcomes and audits (an approver catches `Settings.approverSensitivity` of uncivil comments, anyone
    /// else `sensitivityIfNot`). A reviewer seen to catch uncivil comments is soon cleared; one who keeps passing
    /// them is soon found out.
    public func approverProbability(of record: ReviewerRecord, sensitivityIfNot: Double) -> Double {
        let a = settings.approverSensitivity
        guard a > 0, sensitivityIfNot > a else { return 0 }
        let w = settings.auditWeight
        let caught = record.outcomes.uncivilAgreed + w * record.audits.uncivilAgreed
        let missed = record.outcomes.uncivilDisagreed + w * record.audits.uncivilDisagreed
        let onProbation = record.reviewsGiven < settings.probationReviews
        let share = min(max(onProbation ? model.newApproverShare : model.approverShare, 1e-4), 0.9)
        let l = logit(share) + caught * log(a / sensitivityIfNot) + missed * log((1 - a) / (1 - sensitivityIfNot))
        return sigmoid(l)
    }

    /// The sequential test for random voting: the log-likelihood ratio of the reviewer's judged votes under
    /// "votes like a coin" against "votes with `Settings.competentAccuracy`". Positive values favour the coin.
    /// Audits count once here (their certainty already makes them informative).
    public func randomVoterEvidence(of record: ReviewerRecord) -> Double {
        let o = record.outcomes, a = record.audits
        let agreed = o.civilAgreed + o.uncivilAgreed + a.civilAgreed + a.uncivilAgreed
        let disagreed = o.civilDisagreed + o.uncivilDisagreed + a.civilDisagreed + a.uncivilDisagreed
        let c = settings.competentAccuracy
        return agreed * log(0.5 / c) + disagreed * log(0.5 / (1 - c))
    }
}
