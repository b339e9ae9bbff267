import Foundation

/// A pending comment the queue may show, as the server knows it from the comment's latest `Decision`.
public struct QueueCandidate: Sendable, Codable, Hashable {
    public var commentID: CommentID
    public var authorID: UserID
    public var articleID: ArticleID
    public var submittedAt: Date
    /// Everyone who has reviewed it already.
    public var reviewerIDs: [UserID]
    /// `Decision.reviewsStillNeeded` from its latest decision.
    public var reviewsStillNeeded: Double
    /// A trusted author's comment that is already published and open to post-publication review.
    public var alreadyPublished: Bool
    /// The author's published comments (veterans are anonymised).
    public var authorPublished: Int

    public init(
        commentID: CommentID, authorID: UserID, articleID: ArticleID, submittedAt: Date, reviewerIDs: [UserID],
        reviewsStillNeeded: Double, alreadyPublished: Bool = false, authorPublished: Int = 0
    ) {
        self.commentID = commentID
        self.authorID = authorID
        self.articleID = articleID
        self.submittedAt = submittedAt
        self.reviewerIDs = reviewerIDs
        self.reviewsStillNeeded = reviewsStillNeeded
        self.alreadyPublished = alreadyPublished
        self.authorPublished = authorPublished
    }
}

/// A comment whose civility a moderator confirmed, usable as an audit.
public struct AuditCandidate: Sendable, Codable, Hashable {
    public var commentID: CommentID
    public var authorID: UserID
    public var articleID: ArticleID
    public var verdict: CivilityVote
    /// Everyone who has reviewed it already (as a pending comment or as an audit).
    public var reviewerIDs: [UserID]

    public init(commentID: CommentID, authorID: UserID, articleID: ArticleID, verdict: CivilityVote, reviewerIDs: [UserID]) {
        self.commentID = commentID
        self.authorID = authorID
        self.articleID = articleID
        self.verdict = verdict
        self.reviewerIDs = reviewerIDs
    }
}

/// The comment to show a reviewer next.
public struct QueuePick: Sendable, Codable, Hashable {
    public var commentID: CommentID
    public var authorID: UserID
    public var articleID: ArticleID
    /// An audit: grade the review with `Engine.grade` instead of adding it to the comment's reviews.
    public var isAudit: Bool
    /// Hide the author even more carefully (a veteran whose voice reviewers may recognise).
    public var anonymiseAuthor: Bool
    public var reason: String

    public init(commentID: CommentID, authorID: UserID, articleID: ArticleID, isAudit: Bool, anonymiseAuthor: Bool, reason: String) {
        self.commentID = commentID
        self.authorID = authorID
        self.articleID = articleID
        self.isAudit = isAudit
        self.anonymiseAuthor = anonymiseAuthor
        self.reason = reason
    }
}

/// How many of the reviews a site received (over a run, or a recent window) were audits. `Engine.pick` keeps
/// their share under `Settings.maximumAuditShare`.
public struct AuditSpending: Sendable, Codable, Hashable {
    public var audits: Int
    public var reviews: Int

    public init(audits: Int, reviews: Int) {
        self.audits = audits
        self.reviews = reviews
    }

    /// The share spent on audits; a new site's first twenty reviews are read as twenty, so that the first few
    /// picks do not swing it (at most two of them are audits under a 10% bound).
    public var share: Double { Double(audits) / Double(max(reviews, 20)) }
}

extension Engine {
    /// The share of a kind of audit that may still be given, from the headroom left under
    /// `Settings.maximumAuditShare` (1 with nothing spent, 0 at the bound). Each kind is given in full until the
    /// headroom comes within a tenth of the bound of its `reserve`, and not at all below it, so that the audits
    /// that tell the least give way first and those that tell the most keep their whole share: the uncivil
    /// audits that find approvers of abuse out, probation's (where random voters are caught) and those of muted
    /// reviewers with a short record (fewer judged reviews than `Settings.probationReviews`: an honest reviewer
    /// muted after two early slips, who has no other way back while spared as a coin) have no reserve, other
    /// muted reviewers' 0.1 (their votes count for nothing either way; audits decide when they count again or earn
    /// a ban, and take what the others leave), routine audits of established reviewers 0.2 (their record is kept
    /// by outcomes too). Over a run the share therefore cannot pass the bound by more than one pick.
    public func auditAllowance(reserve: Double, spending: AuditSpending?) -> Double {
        guard let spending, settings.maximumAuditShare < 1 else { return 1 }
        guard settings.maximumAuditShare > 0 else { return 0 }
        let headroom = 1 - spending.share / settings.maximumAuditShare
        return min(1, max(0, (headroom - reserve) / Engine.auditAllowanceRamp))
    }

    /// The headroom (share of the bound) over which a kind of audit goes from its full share to none.
    static let auditAllowanceRamp = 0.1

    /// What an audit of `reviewer` would tell now, from 0 (nothing: their standing is settled) to 1, for the two
    /// questions an audit answers (`Settings.priceAuditsByValue`):
    /// - `standing`: whether the reviewer's votes should count. For a reviewer whose votes count, the chance
    ///   that their true accuracy is below `Settings.muteBelowAccuracy`; for a muted one, the chance that it is
    ///   at or above `Settings.warnBelowAccuracy` (where votes count again). Both from the accuracy's estimate and
    ///   its spread over the judged reviews (a normal approximation to the Beta posterior), turned into the
    ///   information the answer carries (binary entropy, 1 bit at even odds). A well-known reviewer is settled
    ///   either way; a new one, or one muted after two early slips, is not.
    /// - `approver`: whether the reviewer approves abuse (`Engine.approverProbability`), the question an audit
    ///   with an uncivil verdict answers, as binary entropy.
    /// Each is scaled by the reviewer's weight in pending decisions: half for a reviewer with no vote on a
    /// pending comment, rising to one with the pending comments they have reviewed (their votes, or, if muted,
    /// the votes that would count again, decide those comments now). The queue spends the bounded budget on
    /// the highest values first: an audit of value v gives way once the headroom under
    /// `Settings.maximumAuditShare` falls to `Settings.lowValueAuditReserve` × (1 − v).
    public func auditValue(
        of reviewer: ReviewerRecord, reliability rel: Reliability, candidates: [QueueCandidate]
    ) -> (standing: Double, approver: Double) {
        let me = reviewer.reviewerID
        var pending = 0
        for c in candidates where c.reviewerIDs.contains(me) { pending += 1 }
        let weight = 0.5 + 0.5 * min(1, Double(pending) / 2)
        let a = rel.accuracy
        let spread = max((a * (1 - a) / (rel.judged + 2)).squareRoot(), 1e-6)
        let pWrong = reviewer.standing == .muted
            ? normalCDF((a - settings.warnBelowAccuracy) / spread)
            : normalCDF((settings.muteBelowAccuracy - a) / spread)
        let sensIfNot = max(rel.sensitivity, settings.approverSensitivity + 0.3)
        let pApprover = approverProbability(of: reviewer, sensitivityIfNot: sensIfNot)
        return (weight * binaryEntropy(pWrong), weight * binaryEntropy(pApprover))
    }

    /// Chooses what `reviewer` reviews next: about `Settings.auditShare` audits (more for a new reviewer on
    /// probation and for one whose votes do not count), otherwise the pending comment closest to a decision, oldest among equals, avoiding the articles
    /// and authors of `recentPicks`; never the reviewer's own comment or one they reviewed. Returns nil when
    /// the reviewer is banned, nothing is left to review, or the reviewer was muted as a random voter and no
    /// audit is due for them (`Settings.spareRandomVoters`).
    ///
    /// - Parameter entropy: any caller-chosen number (e.g. random); the same value gives the same pick.
    /// - Parameter auditSpending: the site's audits and reviews so far (a run, or a recent window); with it,
    ///   audits stay under `Settings.maximumAuditShare` of all reviews (`auditAllowance`). Without it, no bound.
    public func pick(
        for reviewer: ReviewerRecord, candidates: [QueueCandidate], audits: [AuditCandidate],
        recentPicks: [QueuePick] = [], now: Date, entropy: UInt64, auditSpending: AuditSpending? = nil
    ) -> QueuePick? {
        if reviewer.isBanned(at: now) { return nil }
        let me = reviewer.reviewerID
        let roll = unitInterval(mix64(entropy))
        let muted = reviewer.standing == .muted
        let coin = muted && randomVoterEvidence(of: reviewer) >= settings.warnOnRandomEvidence
        // A muted reviewer with a short record may be honest and unlucky: an audit tells the most there.
        let rel = reliability(of: reviewer)
        let shortRecord = muted && rel.judged < Double(settings.probationReviews)
        // Priced by what the audit would tell (`auditValue`), or by its kind (the reserves below).
        let value = settings.priceAuditsByValue && auditSpending != nil && settings.maximumAuditShare < 1
            ? auditValue(of: reviewer, reliability: rel, candidates: candidates) : nil
        func allowance(_ kindReserve: Double, _ v: Double?) -> Double {
            auditAllowance(reserve: v.map { settings.lowValueAuditReserve * (1 - $0) } ?? kindReserve, spending: auditSpending)
        }
        var auditShare = muted
            ? settings.auditShareUnderWatch * allowance(shortRecord ? 0 : 0.1, value?.standing)
            : reviewer.reviewsGiven < settings.probationReviews
                ? settings.auditShareOnProbation * allowance(0, value?.standing)
                : settings.auditShare * allowance(0.2, value?.standing)
        var wanted: CivilityVote?
        if reviewer.standing != .muted && settings.auditShareUntilCleared > 0 {
            let sensIfNot = max(rel.sensitivity, settings.approverSensitivity + 0.3)
            let untilCleared = settings.auditShareUntilCleared * allowance(0, settings.priceApproverAudits ? value?.approver : nil)
            if approverProbability(of: reviewer, sensitivityIfNot: sensIfNot) >= settings.clearedApproverBelow, untilCleared > auditShare {
                auditShare = untilCleared
                wanted = .uncivil
            }
        }
        if roll < auditShare,
           let audit = chooseAudit(for: me, from: audits, entropy: mix64(entropy ^ 0xA0D1), wanted: wanted)
        {
            return audit
        }
        // A coin's vote on a pending comment would count for nothing and teach refit nothing: no audit, no review.
        if coin && settings.spareRandomVoters && settings.auditShareUnderWatch >= 1 {
            return nil
        }

        var best: (key: (Int, Int, Date), candidate: QueueCandidate)?
        for c in candidates where c.authorID != me && !c.reviewerIDs.contains(me) {
            let key = (priority(of: c, now: now), spreadPenalty(of: c, recentPicks: recentPicks), c.submittedAt)
            if best == nil || key < best!.key { best = (key, c) }
        }
        guard let chosen = best?.candidate else { return nil }
        let needed = Format.fixed(max(chosen.reviewsStillNeeded, 1), 0)
        let waited = Format.duration(now.timeIntervalSince(chosen.submittedAt))
        return QueuePick(
            commentID: chosen.commentID, authorID: chosen.authorID, articleID: chosen.articleID, isAudit: false,
            anonymiseAuthor: chosen.authorPublished >= settings.veteranAfterPublished,
            reason: chosen.alreadyPublished
                ? "post-publication review of a trusted author's comment (waited \(waited))"
                : "about \(needed) review(s) from a decision, waiting \(waited)")
    }

    /// How many reviews to ask of a commenter before their comment is posted: `Settings.requiredReviews`, and
    /// one or two optional extras when the queue is long (`Settings.askExtraReviewWhenWaiting`) and the commenter's
    /// votes count, so that doubtful comments get the fourth and fifth reviews they need without the average
    /// rising above what the community supplies. Trusted authors are asked too, but reviewing is optional for
    /// them.
    /// - Parameter oldestWaitingSince: when the oldest pending comment was submitted, if known: one that is
    ///   near its deadline (`Settings.urgentAfterWaitShare`) is worth an extra review however short the queue
    ///   (a quiet site).
    /// - Parameter reviewsPerComment: the site's recent reviews (audits included) per comment submitted in the
    ///   same period, if known: no extra is asked once it reaches `Settings.reviewBudgetPerComment`. (Per
    ///   submitted rather than per decided comment, so that comments still waiting do not make it look spent.)
    public func reviewsToAsk(
        of reviewer: ReviewerRecord, waiting: Int, oldestWaitingSince: Date? = nil, reviewsPerComment: Double? = nil,
        now: Date
    ) -> (required: Int, optional: Int) {
        if reviewer.isBanned(at: now) { return (0, 0) }
        let bar = settings.askExtraReviewWhenWaiting
        guard bar > 0, reviewer.standing != .muted else { return (settings.requiredReviews, 0) }
        if let spent = reviewsPerComment, spent >= settings.reviewBudgetPerComment {
            return (settings.requiredReviews, 0)
        }
        let urgent = oldestWaitingSince.map {
            settings.urgentAfterWaitShare > 0
                && now.timeIntervalSince($0) >= settings.maximumWait * settings.urgentAfterWaitShare
        } ?? false
        guard waiting >= bar || (urgent && waiting > 0) else { return (settings.requiredReviews, 0) }
        // One extra at the bar, one more at each tripling of it, up to `Settings.maximumExtraReviews`.
        var extras = 1, next = 3 * bar
        while extras < settings.maximumExtraReviews && waiting >= next {
            extras += 1
            next *= 3
        }
        return (settings.requiredReviews, extras)
    }

    /// Lower is sooner: comments near their deadline (`Settings.urgentAfterWaitShare`) first, then whole
    /// reviews still needed (spending reviews where they finish a decision), and already published comments
    /// behind pending ones. Otherwise age only breaks ties: under a shortage, serving the oldest first would
    /// make every comment wait.
    func priority(of c: QueueCandidate, now: Date) -> Int {
        if !c.alreadyPublished && settings.urgentAfterWaitShare > 0
            && now.timeIntervalSince(c.submittedAt) >= settings.maximumWait * settings.urgentAfterWaitShare
        {
            return -1
        }
        var p = Int(max(c.reviewsStillNeeded - 1e-9, 0).rounded(.up))
        if c.alreadyPublished { p += 1000 }
        return p
    }

    /// 1 when the reviewer just saw this article or author, so equals from elsewhere go first.
    func spreadPenalty(of c: QueueCandidate, recentPicks: [QueuePick]) -> Int {
        recentPicks.contains { $0.articleID == c.articleID || $0.authorID == c.authorID } ? 1 : 0
    }

    /// An audit the reviewer has not seen and did not write; civil and uncivil verdicts alternate so that both
    /// kinds of mistake are caught (uncivil ones while the reviewer may still approve abuse).
    func chooseAudit(for me: UserID, from audits: [AuditCandidate], entropy: UInt64, wanted: CivilityVote? = nil) -> QueuePick? {
        let eligible = audits.filter { $0.authorID != me && !$0.reviewerIDs.contains(me) }
        guard !eligible.isEmpty else { return nil }
        let wanted: CivilityVote = wanted ?? (entropy & 1 == 0 ? .civil : .uncivil)
        let preferred = eligible.filter { $0.verdict == wanted }
        let pool = preferred.isEmpty ? eligible : preferred
        let a = pool[Int((entropy >> 1) % UInt64(pool.count))]
        return QueuePick(commentID: a.commentID, authorID: a.authorID, articleID: a.articleID, isAudit: true,
                         anonymiseAuthor: true, reason: "audit: a moderator confirmed this comment's verdict")
    }
}
