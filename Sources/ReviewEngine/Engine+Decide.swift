import Foundation

extension Engine {
    /// Decides what happens to a comment now. Pure: the same inputs give the same decision, whatever the order
    /// of `reviews` and `reviewers`.
    ///
    /// - Parameters:
    ///   - comment: the comment, with its pre-screen score and the author's self-rating.
    ///   - reviews: every civility review it has received so far (own, duplicate and banned reviews included:
    ///     the explanation accounts for each and says why it did or did not count).
    ///   - author: the author's record (their history is evidence; trust publishes at once).
    ///   - reviewers: the records of the reviewers in `reviews`, and the author's own reviewer record if the caller
    ///     has it (how the author reviews others is evidence about what they write); others are ignored.
    ///   - now: the time of the decision; only used for timeouts and bans.
    public func decide(
        _ comment: CommentUnderReview, reviews: [Review], author: AuthorRecord, reviewers: [ReviewerRecord],
        now: Date
    ) -> Decision {
        // 1. Evidence that exists before any review: the author's record (as an author and as a reviewer), the
        //    pre-screen, the self-rating.
        let evidence = evidenceTerms(for: comment, author: author,
                                     asReviewer: reviewers.first { $0.reviewerID == comment.authorID })
        let priorLogOdds = evidence.reduce(0) { $0 + $1.logOdds }

        // 2. Every review is accounted for; only reviews from reliable, unbanned, unmuted others carry weight.
        let weighed = weigh(reviews, authorID: comment.authorID, reviewers: reviewers, priorLogOdds: priorLogOdds, now: now)
        let logOdds = priorLogOdds + weighed.accounts.reduce(0) { $0 + $1.logOdds }
        let pUncivil = sigmoid(logOdds)
        let counted = weighed.accounts.filter { $0.status == .counted }.count

        // 3. The rules, in order; the first that applies decides.
        let s = settings
        let enoughReviews = counted >= s.minimumReviews
        let pBeforeReviews = sigmoid(priorLogOdds)
        let waited = now.timeIntervalSince(comment.submittedAt)
        let verdict: Decision.Verdict
        let rule: Decision.Rule
        let uncivilVotes = weighed.accounts.filter { $0.status == .counted && $0.vote == .uncivil && $0.logOdds > 0 }.count
        let withholdBar = uncivilVotes >= 2 ? s.withholdAtLeast : max(s.withholdAtLeast, s.withholdOnOneUncivilVoteAtLeast)
        let publishBar = publishBar(waited: waited)
        if enoughReviews && pUncivil >= withholdBar {
            (verdict, rule) = (.withhold, .peersFoundUncivil)
        } else if enoughReviews && pUncivil <= publishBar {
            (verdict, rule) = (.publish, .peersFoundCivil)
        } else if author.trust == .trusted && pBeforeReviews <= s.trustedHoldAbove {
            (verdict, rule) = (.publish, .trustedAuthor)
        } else if counted >= s.maximumReviews {
            (verdict, rule) = (.withhold, .peersCouldNotAgree)
        } else if waited >= s.maximumWait {
            (verdict, rule) = (author.trust == .trusted ? .publish : .withhold, .timedOut)
        } else {
            (verdict, rule) = (.needsMoreReviews, .waiting)
        }

        let still = reviewsStillNeeded(logOdds: logOdds, counted: counted, rule: rule)
        let explanation = Explanation(
            summary: summary(rule: rule, verdict: verdict, pUncivil: pUncivil, pBeforeReviews: pBeforeReviews,
                             counted: counted, total: reviews.count, stillNeeded: still, publishBar: publishBar),
            evidence: evidence, reviews: weighed.accounts, logOdds: logOdds,
            publishAtMost: publishBar, withholdAtLeast: s.withholdAtLeast,
            side: weighed.side, countedReviews: counted)
        return Decision(verdict: verdict, rule: rule, probabilityUncivil: pUncivil,
                        reviewsStillNeeded: still, explanation: explanation)
    }

    /// Where an author's record as a reviewer puts them: 0 cleared of approving abuse (chance below
    /// `Settings.clearedApproverBelow`), 1 not yet known, 2 likely an approver (chance at least a half). The same
    /// chance the queue uses to mix in uncivil audits.
    public func authorReviewerBucket(_ record: ReviewerRecord) -> Int {
        let rel = reliability(of: record)
        let p = approverProbability(of: record, sensitivityIfNot: max(rel.sensitivity, settings.approverSensitivity + 0.3))
        return p < settings.clearedApproverBelow ? 0 : (p < 0.5 ? 1 : 2)
    }

    /// The publish bar for a comment that has waited `waited` seconds: `Settings.publishAtMost`, relaxed to
    /// `Settings.publishNearDeadlineAtMost` once it has waited `Settings.relaxPublishAfterWaitShare` of the
    /// maximum wait.
    func publishBar(waited: TimeInterval) -> Double {
        let s = settings
        guard s.relaxPublishAfterWaitShare > 0, waited >= s.maximumWait * s.relaxPublishAfterWaitShare else {
            return s.publishAtMost
        }
        return max(s.publishAtMost, s.publishNearDeadlineAtMost)
    }

    /// The author's record, the pre-screen score and the self-rating as log-odds terms, each weighed by what
    /// refit found it worth on this site (`ModelState.evidenceWeights`).
    func evidenceTerms(for comment: CommentUnderReview, author: AuthorRecord, asReviewer: ReviewerRecord?) -> [EvidenceTerm] {
        let weights = settings.weighEvidence ? model.evidenceWeights : nil
        func worth(_ kind: EvidenceTerm.Kind) -> String {
            guard let w = weights?.weight(of: kind), w < 0.995 else { return "" }
            return " (weighed at \(Format.percent(w)): what it has been worth on this site)"
        }
        let rate = model.authorRate(published: author.published, rejected: author.rejected)
        let base = logit(model.uncivilShare)
        let authorWeight = weights?.authorRecord ?? 1
        var terms = [EvidenceTerm(
            kind: .authorRecord, logOdds: authorWeight >= 0.995 ? logit(rate) : base + authorWeight * (logit(rate) - base),
            note: "author has \(author.published) published and \(author.rejected) rejected comments: "
                + "\(Format.percent(rate)) of such authors' comments are uncivil" + worth(.authorRecord))]
        if let score = comment.preScreenScore {
            let w = model.preScreenWeight(score: score) * (weights?.preScreen ?? 1)
            terms.append(EvidenceTerm(kind: .preScreen, logOdds: w,
                                      note: "pre-screen score \(Format.fixed(score, 3)): \(Format.signed(w))" + worth(.preScreen)))
        }
        if let asReviewer, let table = model.authorAsReviewerLogOdds {
            let bucket = authorReviewerBucket(asReviewer)
            if bucket < table.count {
                let w = table[bucket] * authorWeight
                let what = ["has been seen to catch uncivil comments", "is not yet known to catch uncivil comments",
                            "keeps calling uncivil comments civil"][bucket]
                terms.append(EvidenceTerm(kind: .authorAsReviewer, logOdds: w,
                                          note: "as a reviewer the author \(what): \(Format.signed(w))" + worth(.authorAsReviewer)))
            }
        }
        if let own = comment.selfRating {
            let w = model.selfRatingWeight(own) * (weights?.selfRating ?? 1)
            terms.append(EvidenceTerm(kind: .selfRating, logOdds: w,
                                      note: "the author rated it \(own.rawValue): \(Format.signed(w))" + worth(.selfRating)))
        }
        return terms
    }

    struct Weighed {
        var accounts: [ReviewAccount]
        var side: Double
    }

    /// The reviews' log-odds. Each counted vote adds the log-likelihood ratio of the bridging model
    /// P(vote uncivil | class y, side g) = σ(±accuracy + bias + factor·g), averaged over the comment's likely
    /// side g. A reviewer whose votes simply follow a side (a brigade) therefore adds almost nothing on
    /// comments of that side, while reviewers who usually disagree with each other add their full weight.
    func weigh(
        _ reviews: [Review], authorID: UserID, reviewers: [ReviewerRecord], priorLogOdds: Double, now: Date
    ) -> Weighed {
        let ordered = reviews.sorted { ($0.reviewerID, $0.id) < ($1.reviewerID, $1.id) }
        var accounts: [ReviewAccount] = []
        accounts.reserveCapacity(ordered.count)
        var seen: [UserID] = []
        // Counted votes: index into `accounts`, reliability, factor.
        var counted: [(index: Int, rel: Reliability, factor: Double)] = []
        // "Good" ratings that place the comment on the axis (not the author's, not repeats, not banned reviewers').
        var ratings: [(residual: Double, factor: Double)] = []
        for review in ordered {
            let record = reviewers.first { $0.reviewerID == review.reviewerID }
            if settings.bridging, let q = review.quality, let record, review.reviewerID != authorID,
               !seen.contains(review.reviewerID), !record.isBanned(at: now), record.qualityFactor != 0
            {
                ratings.append((q.score - model.qualityMean - record.qualityBias, record.qualityFactor))
            }
            let rel = record.map { reliability(of: $0) }
            var account = ReviewAccount(
                reviewID: review.id, reviewerID: review.reviewerID, vote: review.civility, status: .counted,
                logOdds: 0, undiscountedLogOdds: 0, reviewerAccuracy: rel?.accuracy ?? 0, note: "")
            if review.reviewerID == authorID {
                account.status = .ownComment
                account.note = "not counted: the author's own review"
            } else if seen.contains(review.reviewerID) {
                account.status = .duplicate
                account.note = "not counted: this reviewer's first review of the comment counts"
            } else if let record, record.isBanned(at: now) {
                account.status = .reviewerBanned
                account.note = "not counted: the reviewer is serving a review ban"
            } else if let record, record.standing == .muted {
                account.status = .reviewerMuted
                account.note = "not counted: the reviewer's accuracy (\(Format.percent(rel!.accuracy))) fell below "
                    + "\(Format.percent(settings.muteBelowAccuracy)); their votes count again at "
                    + "\(Format.percent(settings.warnBelowAccuracy))"
            } else if let rel, rel.accuracyLogit > 0 {
                account.undiscountedLogOdds = rel.weight(of: review.civility)
                counted.append((accounts.count, rel, settings.bridging ? (record?.civilityFactor ?? 0) : 0))
            } else {
                account.status = .noReliability
                account.note = "not counted: no record of better-than-chance reviewing"
            }
            seen.append(review.reviewerID)
            accounts.append(account)
        }

        // Which side of the debate is the comment on? The "good" ratings say (reviewers who like a side rate it
        // higher), and so do the civility votes of reviewers with a factor; the class is averaged out at its
        // prior so that this step cannot itself push towards a verdict.
        let grid = settings.sideGrid
        var sideWeights = [Double](repeating: 1, count: grid.count)
        let partisan = counted.filter { $0.factor != 0 }
        if (!partisan.isEmpty || !ratings.isEmpty) && model.sidePrior.count == grid.count {
            let p0 = sigmoid(priorLogOdds)
            var logQ = model.sidePrior.map { log(max($0, 1e-9)) }
            let fromRatings = model.qualitySideLogLikelihood(ratings, grid: grid)
            for gi in grid.indices { logQ[gi] += fromRatings[gi] }
            for c in partisan {
                let vote = accounts[c.index].vote
                for (gi, g) in grid.enumerated() {
                    let l1 = voteProbability(vote, uncivil: true, rel: c.rel, factor: c.factor, side: g)
                    let l0 = voteProbability(vote, uncivil: false, rel: c.rel, factor: c.factor, side: g)
                    logQ[gi] += log(p0 * l1 + (1 - p0) * l0)
                }
            }
            let z = logSumExp(logQ)
            sideWeights = logQ.map { exp($0 - z) }
        } else if model.sidePrior.count == grid.count {
            sideWeights = model.sidePrior
        }
        let side = zip(grid, sideWeights).reduce(0) { $0 + $1.0 * $1.1 }

        for c in counted {
            var a = accounts[c.index]
            if c.factor == 0 {
                a.logOdds = a.undiscountedLogOdds
                a.note = "counted: accuracy \(Format.percent(c.rel.accuracy)) on \(Format.fixed(c.rel.judged, 0)) judged "
                    + "reviews (\(Format.percent(c.rel.proven)) proven), \(Format.signed(a.logOdds))"
            } else {
                var w = 0.0
                for (gi, g) in grid.enumerated() {
                    let l1 = voteProbability(a.vote, uncivil: true, rel: c.rel, factor: c.factor, side: g)
                    let l0 = voteProbability(a.vote, uncivil: false, rel: c.rel, factor: c.factor, side: g)
                    w += sideWeights[gi] * (log(l1) - log(l0))
                }
                w *= c.rel.proven
                a.logOdds = w
                a.note = "counted: accuracy \(Format.percent(c.rel.accuracy)) on \(Format.fixed(c.rel.judged, 0)) judged "
                    + "reviews; their votes follow side \(Format.fixed(c.factor, 2)) and this comment sits at "
                    + "\(Format.fixed(side, 2)), so \(Format.signed(w)) instead of \(Format.signed(a.undiscountedLogOdds))"
            }
            accounts[c.index] = a
        }
        return Weighed(accounts: accounts, side: side)
    }

    /// P(this vote | the comment's class and side) under the bridging model.
    @inline(__always)
    func voteProbability(_ vote: CivilityVote, uncivil: Bool, rel: Reliability, factor: Double, side: Double) -> Double {
        let x = (uncivil ? rel.accuracyLogit : -rel.accuracyLogit) + rel.bias + factor * side
        return vote == .uncivil ? sigmoid(x) : sigmoid(-x)
    }

    /// How many typical reviews would carry the comment to the nearer bar (0 once decided).
    func reviewsStillNeeded(logOdds: Double, counted: Int, rule: Decision.Rule) -> Double {
        switch rule {
        case .peersFoundCivil, .peersFoundUncivil, .peersCouldNotAgree, .timedOut: return 0
        case .trustedAuthor, .waiting: break
        }
        let w = settings.typicalReviewWeight
        let toPublish = max(0, (logOdds - logit(settings.publishAtMost)) / w)
        let toWithhold = max(0, (logit(settings.withholdAtLeast) - logOdds) / w)
        let byEvidence = min(toPublish, toWithhold)
        return max(byEvidence, Double(settings.minimumReviews - counted))
    }

    func summary(
        rule: Decision.Rule, verdict: Decision.Verdict, pUncivil: Double, pBeforeReviews: Double, counted: Int,
        total: Int, stillNeeded: Double, publishBar: Double
    ) -> String {
        let s = settings
        let reviewsPhrase = "\(counted) of \(total) review\(total == 1 ? "" : "s") counted"
        switch rule {
        case .peersFoundUncivil:
            return "Withheld for a moderator: the chance it is uncivil is \(Format.percent(pUncivil)), at or above the "
                + "bar of \(Format.percent(s.withholdAtLeast)) (\(reviewsPhrase))."
        case .peersFoundCivil:
            return "Published: the chance it is uncivil is \(Format.percent(pUncivil)), at or below the bar of "
                + "\(Format.percent(publishBar))\(publishBar > s.publishAtMost ? " (relaxed near the deadline)" : "") (\(reviewsPhrase))."
        case .trustedAuthor:
            return "Published at once: the author is trusted and the pre-screen and self-rating put the chance it is "
                + "uncivil at \(Format.percent(pBeforeReviews)) (hold above \(Format.percent(s.trustedHoldAbove))); "
                + "peers may still withdraw it (now \(Format.percent(pUncivil)), \(reviewsPhrase))."
        case .peersCouldNotAgree:
            return "Withheld for a moderator: \(counted) counted reviews left the chance it is uncivil at "
                + "\(Format.percent(pUncivil)), between the bars."
        case .timedOut:
            return verdict == .publish
                ? "Published: no decision within \(Format.duration(s.maximumWait)) and the author is trusted "
                    + "(chance uncivil \(Format.percent(pUncivil)), \(reviewsPhrase))."
                : "Sent to moderators: no decision within \(Format.duration(s.maximumWait)) "
                    + "(chance uncivil \(Format.percent(pUncivil)), \(reviewsPhrase))."
        case .waiting:
            return "Waiting for reviews: the chance it is uncivil is \(Format.percent(pUncivil)) (publish at "
                + "\(Format.percent(s.publishAtMost)) or below, withhold at \(Format.percent(s.withholdAtLeast)) "
                + "or above); about \(Format.fixed(max(stillNeeded, 1), 0)) more review(s) needed (\(reviewsPhrase))."
        }
    }
}
