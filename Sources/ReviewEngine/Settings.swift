import Foundation

/// A site's review policy. Every number a publisher may tune lives here, with the default the simulator was
/// run with (see docs/moderation-quality.md). Probabilities are the engine's estimate that a comment is uncivil.
public struct Settings: Sendable, Codable, Hashable {
    // MARK: Deciding

    /// Publish once the chance that the comment is uncivil is at most this.
    public var publishAtMost: Double = 0.0005
    /// Near its deadline a comment is published at this higher bar instead (from `relaxPublishAfterWaitShare`
    /// of `maximumWait` on): a comment that peers left at, say, 0.2% has waited long enough, and sending it to
    /// moderators costs more than the small chance that it is uncivil. The deadline itself is unchanged: what
    /// has not reached even this bar then goes to moderators. The engine's chance is over-confident for these
    /// comments (in the simulations several times as many turned out uncivil as it said), so the bar is kept
    /// low. Equal to `publishAtMost` turns it off.
    public var publishNearDeadlineAtMost: Double = 0.003
    public var relaxPublishAfterWaitShare: Double = 0.5
    /// Withhold for a moderator once the chance that the comment is uncivil is at least this.
    public var withholdAtLeast: Double = 0.6
    /// Withholding on a single reviewer's "uncivil" (with the other evidence) needs this chance; below it, a
    /// second counted "uncivil" vote must agree. One brigade member or one honest slip then cannot withhold a
    /// civil comment that nothing else doubts. 0...`withholdAtLeast` turns the check off.
    public var withholdOnOneUncivilVoteAtLeast: Double = 0.95
    /// Reviews that must count (non-zero weight) before peers alone may publish or withhold.
    public var minimumReviews: Int = 1
    /// After this many counted reviews without a decision, peers could not agree: a moderator decides.
    public var maximumReviews: Int = 8
    /// Nothing waits forever: after this long a pending comment goes to moderators (trusted authors: published).
    public var maximumWait: TimeInterval = 12 * 3600

    /// Whether `Engine.refit` checks what the author record, pre-screen and self-rating are worth on this site
    /// and decisions weigh them by it (`ModelState.evidenceWeights`, at most 1 each).
    public var weighEvidence: Bool = true

    // MARK: Reviewer reliability

    /// How many observations the new-reviewer assumption (`ModelState.newReviewerSensitivity`, learned) is
    /// worth: low, so that new reviewers are soon judged on their own record.
    public var newReviewerSensitivityStrength: Double = 3
    public var newReviewerSpecificityStrength: Double = 4
    /// The lean (in log-odds) assumed between a reviewer's sensitivity and specificity until their own uncivil
    /// outcomes and audits say otherwise; 0 is Dawid–Skene's one accuracy per reviewer.
    public var assumedLean: Double = -0.3
    /// Approvers of abuse pass civil comments like anyone else and call uncivil ones civil. A reviewer's record
    /// on civil comments therefore says nothing about whether they catch uncivil ones: each reviewer is taken to
    /// be an approver with the learned share `ModelState.approverShare` (this setting: the share of uncivil
    /// comments an approver still catches) until their uncivil outcomes and audits say otherwise. A civil vote
    /// by a reviewer never seen to catch an uncivil comment thus counts for less. 0 turns the check off.
    public var approverSensitivity: Double = 0.1
    /// New accounts count little until proven: a vote's weight is scaled by judged / (judged + this), where
    /// judged is the reviewer's judged reviews (audits weighted). This is what keeps freshly registered
    /// accounts (a banned troll's new account, a sock puppet) from outvoting reviewers with a record.
    public var provenAfterJudged: Double = 3
    /// How many ordinary outcomes one audit is worth: audits are moderator-confirmed, so they count strongly.
    public var auditWeight: Double = 3
    /// Below this accuracy (with at least `minimumJudgedReviews`) a reviewer is warned.
    public var warnBelowAccuracy: Double = 0.82
    /// Below this accuracy a reviewer's votes stop counting; they count again at `warnBelowAccuracy`.
    public var muteBelowAccuracy: Double = 0.78
    /// The accuracy the random-voter test compares a coin against.
    public var competentAccuracy: Double = 0.9
    /// Random-voter evidence (log-likelihood ratio) at which votes stop counting, at which a warning is given,
    /// and at or below which a muted reviewer's votes count again.
    public var muteOnRandomEvidence: Double = 2.5
    public var warnOnRandomEvidence: Double = 1.5
    public var unmuteOnRandomEvidence: Double = -2
    /// Judged reviews (outcomes and audits) before a warning can be given.
    public var minimumJudgedReviews: Double = 8
    /// Audits failed while muted that earn a review ban (if no more were passed meanwhile).
    public var auditFailuresForBan: Int = 2
    /// Review bans escalate through these lengths, in days; the last repeats.
    public var reviewBanDays: [Double] = [2, 7, 30]

    // MARK: Brigading resistance (the bridging model)

    /// Whether votes that are explained by a reviewer's side in a debate are discounted.
    public var bridging: Bool = true
    /// Where a comment may sit on the one learned axis of disagreement.
    public var sideGrid: [Double] = [-1, -0.5, 0, 0.5, 1]
    /// How far reviewer factors are pulled towards zero when refitted (a Gaussian prior's standard deviation).
    public var factorSpread: Double = 2.5

    // MARK: Queue

    /// Share of picks that are audits (comments with a moderator-confirmed verdict).
    public var auditShare: Double = 0.05
    /// Audits never take more than this share of all reviews (over a run, or the window the site passes to
    /// `Engine.pick`): every review spent on an audit is one a waiting comment does not get. The shares below
    /// are scaled down as the bound nears, the least informative first (`Engine.auditAllowance`). 1 turns it off.
    /// Without it audits took 22–34% of all reviews on the simulated communities (docs/moderation-quality.md).
    public var maximumAuditShare: Double = 0.1
    /// Whether a muted reviewer whose votes look random (random-voter evidence at `warnOnRandomEvidence` or
    /// more) is shown only audits: when the bound leaves no audit for them, `Engine.pick` gives them nothing to
    /// review rather than a pending comment, where a coin's vote counts for nothing and tells refit nothing. Other muted reviewers (below the
    /// accuracy bar, e.g. one-sided or unlucky) still review pending comments then: their votes do not count, but
    /// refit judges them against outcomes (so an honest reviewer muted by bad luck counts again) and learns from
    /// them on which side of a debate a brigade votes (the bridging factor). false shows coins pending comments too.
    public var spareRandomVoters: Bool = true
    /// Whether the bounded budget is spent by what each audit would tell (`Engine.auditValue`: how unsettled the
    /// reviewer's standing is, times their weight in pending decisions) rather than by its kind: an audit of
    /// value v gives way once the headroom under `maximumAuditShare` (a share of the bound) falls to
    /// `lowValueAuditReserve` × (1 − v), so a well-known reviewer is rarely audited near the bound and an
    /// uncertain one keeps its audits until the bound itself. false: the kinds' fixed reserves.
    public var priceAuditsByValue: Bool = true
    /// 0.1: a worthless audit stops at 9% of reviews under a 10% bound, so the budget is spent; 0.3 (stopping
    /// at 7%) left a tenth of it unused and the quiet site's records thinner (docs/moderation-quality.md).
    public var lowValueAuditReserve: Double = 0.1
    /// Whether the uncivil audits that find approvers of abuse out are priced by value too; false gives them no
    /// reserve (every reviewer not yet cleared keeps them until the bound itself).
    public var priceApproverAudits: Bool = false
    /// Share of picks that are audits for a reviewer whose votes do not count: their reviews of pending
    /// comments would carry no weight, while audits let them earn their way back (or confirm a ban).
    public var auditShareUnderWatch: Double = 1
    /// Share of picks that are audits during a new reviewer's first `probationReviews` reviews.
    public var auditShareOnProbation: Double = 0.1
    public var probationReviews: Int = 20
    /// Share of picks that are audits with an uncivil verdict for a reviewer who may still be an approver of
    /// abuse (chance above `clearedApproverBelow`): one such audit passed clears an honest reviewer, one failed
    /// finds an approver out, before their civil votes have let much abuse through.
    public var auditShareUntilCleared: Double = 0.25
    public var clearedApproverBelow: Double = 0.02
    /// Authors with at least this many published comments are anonymised in the review queue.
    public var veteranAfterPublished: Int = 20
    /// The vote weight (in log-odds) the queue assumes when estimating how many reviews a comment still needs.
    public var typicalReviewWeight: Double = 2
    /// A pending comment that has waited this share of `maximumWait` goes to the front of the queue (oldest
    /// first): its deadline makes it the closest to a decision, and without this a comment that needs several
    /// reviews could starve behind a stream of new comments that need one, and time out unreviewed.
    public var urgentAfterWaitShare: Double = 0.25

    /// When at least this many comments wait for reviews, a commenter whose votes count is asked for one more
    /// (optional) review after the required three, and for a second one at three times as many;
    /// `Engine.reviewsToAsk`. 0 turns it off.
    public var askExtraReviewWhenWaiting: Int = 10
    /// The most optional extra reviews asked of one commenter: one at `askExtraReviewWhenWaiting`, one more at
    /// each tripling of it (a second at 30 waiting, a third at 90).
    public var maximumExtraReviews: Int = 3
    /// The reviews a commenter is asked for before posting; the extra one above comes on top.
    public var requiredReviews: Int = 3
    /// Reviews (audits included) per comment the site means to spend at most: no extra review is asked while
    /// the recent average (reviews over comments submitted in the same period) is at or above it.
    public var reviewBudgetPerComment: Double = 3.0

    // MARK: Trust

    /// Published comments an author needs before being trusted.
    public var trustAfterPublished: Int = 10
    /// A rejection within this window blocks trust (and any rejection removes it).
    public var trustCleanWindow: TimeInterval = 60 * 86400
    /// Reviewer accuracy a trusted author must keep (when they have reviewed enough to be judged).
    public var trustMinimumAccuracy: Double = 0.8
    /// A trusted author's comment is published at once unless pre-screen and self-rating put it above this.
    public var trustedHoldAbove: Double = 0.005

    // MARK: Author sanctions (a comment rejected as uncivil by a moderator)

    /// The first rejection earns a commenting ban of this length.
    public var commentingBanDays: Double = 7
    /// This many rejections revoke commenting.
    public var revokeAfterRejections: Int = 2

    public init() {}
}

extension Settings {
    /// Decodes stored settings; a setting missing from the stored JSON (one added since it was saved) keeps its
    /// default, so that a site's saved policy survives new settings.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        publishAtMost = try c.decodeIfPresent(type(of: publishAtMost), forKey: .publishAtMost) ?? publishAtMost
        withholdAtLeast = try c.decodeIfPresent(type(of: withholdAtLeast), forKey: .withholdAtLeast) ?? withholdAtLeast
        publishNearDeadlineAtMost = try c.decodeIfPresent(type(of: publishNearDeadlineAtMost), forKey: .publishNearDeadlineAtMost) ?? publishNearDeadlineAtMost
        relaxPublishAfterWaitShare = try c.decodeIfPresent(type(of: relaxPublishAfterWaitShare), forKey: .relaxPublishAfterWaitShare) ?? relaxPublishAfterWaitShare
        withholdOnOneUncivilVoteAtLeast = try c.decodeIfPresent(type(of: withholdOnOneUncivilVoteAtLeast), forKey: .withholdOnOneUncivilVoteAtLeast) ?? withholdOnOneUncivilVoteAtLeast
        weighEvidence = try c.decodeIfPresent(type(of: weighEvidence), forKey: .weighEvidence) ?? weighEvidence
        minimumReviews = try c.decodeIfPresent(type(of: minimumReviews), forKey: .minimumReviews) ?? minimumReviews
        maximumReviews = try c.decodeIfPresent(type(of: maximumReviews), forKey: .maximumReviews) ?? maximumReviews
        maximumWait = try c.decodeIfPresent(type(of: maximumWait), forKey: .maximumWait) ?? maximumWait
        newReviewerSensitivityStrength = try c.decodeIfPresent(type(of: newReviewerSensitivityStrength), forKey: .newReviewerSensitivityStrength) ?? newReviewerSensitivityStrength
        newReviewerSpecificityStrength = try c.decodeIfPresent(type(of: newReviewerSpecificityStrength), forKey: .newReviewerSpecificityStrength) ?? newReviewerSpecificityStrength
        assumedLean = try c.decodeIfPresent(type(of: assumedLean), forKey: .assumedLean) ?? assumedLean
        approverSensitivity = try c.decodeIfPresent(type(of: approverSensitivity), forKey: .approverSensitivity) ?? approverSensitivity
        provenAfterJudged = try c.decodeIfPresent(type(of: provenAfterJudged), forKey: .provenAfterJudged) ?? provenAfterJudged
        auditWeight = try c.decodeIfPresent(type(of: auditWeight), forKey: .auditWeight) ?? auditWeight
        warnBelowAccuracy = try c.decodeIfPresent(type(of: warnBelowAccuracy), forKey: .warnBelowAccuracy) ?? warnBelowAccuracy
        muteBelowAccuracy = try c.decodeIfPresent(type(of: muteBelowAccuracy), forKey: .muteBelowAccuracy) ?? muteBelowAccuracy
        competentAccuracy = try c.decodeIfPresent(type(of: competentAccuracy), forKey: .competentAccuracy) ?? competentAccuracy
        muteOnRandomEvidence = try c.decodeIfPresent(type(of: muteOnRandomEvidence), forKey: .muteOnRandomEvidence) ?? muteOnRandomEvidence
        warnOnRandomEvidence = try c.decodeIfPresent(type(of: warnOnRandomEvidence), forKey: .warnOnRandomEvidence) ?? warnOnRandomEvidence
        unmuteOnRandomEvidence = try c.decodeIfPresent(type(of: unmuteOnRandomEvidence), forKey: .unmuteOnRandomEvidence) ?? unmuteOnRandomEvidence
        minimumJudgedReviews = try c.decodeIfPresent(type(of: minimumJudgedReviews), forKey: .minimumJudgedReviews) ?? minimumJudgedReviews
        auditFailuresForBan = try c.decodeIfPresent(type(of: auditFailuresForBan), forKey: .auditFailuresForBan) ?? auditFailuresForBan
        reviewBanDays = try c.decodeIfPresent(type(of: reviewBanDays), forKey: .reviewBanDays) ?? reviewBanDays
        bridging = try c.decodeIfPresent(type(of: bridging), forKey: .bridging) ?? bridging
        sideGrid = try c.decodeIfPresent(type(of: sideGrid), forKey: .sideGrid) ?? sideGrid
        factorSpread = try c.decodeIfPresent(type(of: factorSpread), forKey: .factorSpread) ?? factorSpread
        auditShare = try c.decodeIfPresent(type(of: auditShare), forKey: .auditShare) ?? auditShare
        maximumAuditShare = try c.decodeIfPresent(type(of: maximumAuditShare), forKey: .maximumAuditShare) ?? maximumAuditShare
        auditShareUnderWatch = try c.decodeIfPresent(type(of: auditShareUnderWatch), forKey: .auditShareUnderWatch) ?? auditShareUnderWatch
        spareRandomVoters = try c.decodeIfPresent(type(of: spareRandomVoters), forKey: .spareRandomVoters) ?? spareRandomVoters
        priceAuditsByValue = try c.decodeIfPresent(type(of: priceAuditsByValue), forKey: .priceAuditsByValue) ?? priceAuditsByValue
        lowValueAuditReserve = try c.decodeIfPresent(type(of: lowValueAuditReserve), forKey: .lowValueAuditReserve) ?? lowValueAuditReserve
        priceApproverAudits = try c.decodeIfPresent(type(of: priceApproverAudits), forKey: .priceApproverAudits) ?? priceApproverAudits
        auditShareOnProbation = try c.decodeIfPresent(type(of: auditShareOnProbation), forKey: .auditShareOnProbation) ?? auditShareOnProbation
        probationReviews = try c.decodeIfPresent(type(of: probationReviews), forKey: .probationReviews) ?? probationReviews
        auditShareUntilCleared = try c.decodeIfPresent(type(of: auditShareUntilCleared), forKey: .auditShareUntilCleared) ?? auditShareUntilCleared
        clearedApproverBelow = try c.decodeIfPresent(type(of: clearedApproverBelow), forKey: .clearedApproverBelow) ?? clearedApproverBelow
        veteranAfterPublished = try c.decodeIfPresent(type(of: veteranAfterPublished), forKey: .veteranAfterPublished) ?? veteranAfterPublished
        typicalReviewWeight = try c.decodeIfPresent(type(of: typicalReviewWeight), forKey: .typicalReviewWeight) ?? typicalReviewWeight
        urgentAfterWaitShare = try c.decodeIfPresent(type(of: urgentAfterWaitShare), forKey: .urgentAfterWaitShare) ?? urgentAfterWaitShare
        askExtraReviewWhenWaiting = try c.decodeIfPresent(type(of: askExtraReviewWhenWaiting), forKey: .askExtraReviewWhenWaiting) ?? askExtraReviewWhenWaiting
        maximumExtraReviews = try c.decodeIfPresent(type(of: maximumExtraReviews), forKey: .maximumExtraReviews) ?? maximumExtraReviews
        requiredReviews = try c.decodeIfPresent(type(of: requiredReviews), forKey: .requiredReviews) ?? requiredReviews
        reviewBudgetPerComment = try c.decodeIfPresent(type(of: reviewBudgetPerComment), forKey: .reviewBudgetPerComment) ?? reviewBudgetPerComment
        trustAfterPublished = try c.decodeIfPresent(type(of: trustAfterPublished), forKey: .trustAfterPublished) ?? trustAfterPublished
        trustCleanWindow = try c.decodeIfPresent(type(of: trustCleanWindow), forKey: .trustCleanWindow) ?? trustCleanWindow
        trustMinimumAccuracy = try c.decodeIfPresent(type(of: trustMinimumAccuracy), forKey: .trustMinimumAccuracy) ?? trustMinimumAccuracy
        trustedHoldAbove = try c.decodeIfPresent(type(of: trustedHoldAbove), forKey: .trustedHoldAbove) ?? trustedHoldAbove
        commentingBanDays = try c.decodeIfPresent(type(of: commentingBanDays), forKey: .commentingBanDays) ?? commentingBanDays
        revokeAfterRejections = try c.decodeIfPresent(type(of: revokeAfterRejections), forKey: .revokeAfterRejections) ?? revokeAfterRejections
    }
}
