import Foundation
import ReviewEngine
import Simulator
import Testing

@Suite("Audits are bounded; evidence is weighed by what it is worth; the sweep")
struct RobustnessTests {
    /// Reviewers of every kind that asks for audits: muted, on probation, not yet cleared of approving abuse,
    /// established.
    func reviewers() -> [ReviewerRecord] {
        (0..<40).map { i in
            var r = ReviewerRecord(reviewerID: UserID(i + 1))
            switch i % 4 {
            case 0: r.standing = .muted; r.reviewsGiven = 50
            case 1: r.reviewsGiven = 5
            case 2: r.reviewsGiven = 60; r.outcomes.civilAgreed = 50
            default: r = reviewer(UserID(i + 1), civilAgreed: 80, civilDisagreed: 2, uncivilAgreed: 30, uncivilDisagreed: 0)
            }
            return r
        }
    }

    func run(picks: Int, engine: Engine, bounded: Bool) -> AuditSpending {
        let candidates = (1...50).map {
            QueueCandidate(commentID: CommentID($0), authorID: 900, articleID: 1, submittedAt: t0, reviewerIDs: [], reviewsStillNeeded: 1)
        }
        let audits = (1...50).map {
            AuditCandidate(commentID: CommentID(1000 + $0), authorID: 901, articleID: 2, verdict: $0 % 2 == 0 ? .civil : .uncivil, reviewerIDs: [])
        }
        let people = reviewers()
        var spending = AuditSpending(audits: 0, reviews: 0)
        var rng = SeededRandom(seed: 3)
        for i in 0..<picks {
            let pick = engine.pick(for: people[i % people.count], candidates: candidates, audits: audits, now: t0,
                                   entropy: rng.next(), auditSpending: bounded ? spending : nil)
            guard let pick else { continue }
            spending.reviews += 1
            if pick.isAudit { spending.audits += 1 }
        }
        return spending
    }

    @Test("audits never take more than the maximum share of reviews, whatever asks for them", arguments: [0.1, 0.05, 0.2])
    func auditBound(maximum: Double) {
        var engine = Engine()
        engine.settings.maximumAuditShare = maximum
        let unbounded = run(picks: 4000, engine: engine, bounded: false)
        #expect(Double(unbounded.audits) / Double(unbounded.reviews) > 0.3, "without the bound these reviewers would get many audits")
        for picks in [100, 1000, 4000] {
            let spent = run(picks: picks, engine: engine, bounded: true)
            let share = Double(spent.audits) / Double(spent.reviews)
            #expect(share <= maximum + 1.0 / Double(picks), "\(picks) picks: \(spent.audits) audits")
            #expect(share >= maximum / 2, "the budget is spent, not hoarded (\(share))")
        }
    }

    @Test("near the bound, the audits that tell the most keep their whole share and the others give way in order")
    func auditPriorities() {
        var engine = Engine()
        #expect(engine.settings.maximumAuditShare == 0.1, "audits are bounded at a tenth of all reviews unless a site says otherwise")
        func allowances(_ audits: Int) -> (cleared: Double, probation: Double, muted: Double, routine: Double) {
            let spent = AuditSpending(audits: audits, reviews: 1000)
            return (engine.auditAllowance(reserve: 0, spending: spent), engine.auditAllowance(reserve: 0, spending: spent),
                    engine.auditAllowance(reserve: 0.1, spending: spent), engine.auditAllowance(reserve: 0.2, spending: spent))
        }
        // Half the bound spent: every kind in full.
        let half = allowances(50)
        #expect(half.cleared == 1 && half.probation == 1 && half.muted == 1 && half.routine == 1)
        // 85% spent: approver-finding and probation audits still whole, muted reviewers' halved, routine ones gone.
        let near = allowances(85)
        #expect(near.cleared == 1 && near.probation == 1)
        #expect(abs(near.muted - 0.5) < 1e-9)
        #expect(near.routine == 0)
        // 95% spent: only the audits that tell the most are left, shrinking with the headroom.
        let last = allowances(95)
        #expect(abs(last.cleared - 0.5) < 1e-9 && last.muted == 0 && last.routine == 0)
        #expect(engine.auditAllowance(reserve: 0, spending: AuditSpending(audits: 120, reviews: 1000)) == 0)
        #expect(engine.auditAllowance(reserve: 0.2, spending: nil) == 1)
        #expect(engine.auditAllowance(reserve: 0.2, spending: AuditSpending(audits: 0, reviews: 0)) == 1)
        engine.settings.maximumAuditShare = 1
        #expect(engine.auditAllowance(reserve: 0.2, spending: AuditSpending(audits: 900, reviews: 1000)) == 1, "1 turns the bound off")
    }

    @Test("with no audit due, a reviewer muted as a coin is spared a review; other muted reviewers review pending comments")
    func mutedReviewersBeyondTheBound() throws {
        var engine = Engine()
        engine.settings.maximumAuditShare = 0.1
        let candidates = (1...5).map {
            QueueCandidate(commentID: CommentID($0), authorID: 900, articleID: 1, submittedAt: t0, reviewerIDs: [], reviewsStillNeeded: 1)
        }
        let audits = [AuditCandidate(commentID: 1001, authorID: 901, articleID: 2, verdict: .civil, reviewerIDs: [])]
        // A coin: half its judged votes went against outcomes.
        var coin = reviewer(1, civilAgreed: 20, civilDisagreed: 20, uncivilAgreed: 4, uncivilDisagreed: 4)
        coin.standing = .muted
        // Below the accuracy bar but not a coin (one-sided, or unlucky): 75% agreement.
        var below = reviewer(2, civilAgreed: 60, civilDisagreed: 20, uncivilAgreed: 15, uncivilDisagreed: 5)
        below.standing = .muted
        #expect(engine.randomVoterEvidence(of: coin) >= engine.settings.warnOnRandomEvidence)
        #expect(engine.randomVoterEvidence(of: below) < engine.settings.warnOnRandomEvidence)
        let exhausted = AuditSpending(audits: 100, reviews: 1000)
        for entropy in UInt64(1)...50 {
            #expect(engine.pick(for: coin, candidates: candidates, audits: audits, now: t0, entropy: entropy,
                                auditSpending: exhausted) == nil, "a coin's vote would count for nothing")
            let other = try #require(engine.pick(for: below, candidates: candidates, audits: audits, now: t0,
                                                 entropy: entropy, auditSpending: exhausted))
            #expect(!other.isAudit, "refit judges this vote against the outcome")
            // Below the bound every muted reviewer is given audits only.
            let audit = try #require(engine.pick(for: coin, candidates: candidates, audits: audits, now: t0, entropy: entropy,
                                                 auditSpending: AuditSpending(audits: 10, reviews: 1000)))
            #expect(audit.isAudit)
        }
        var showAll = engine
        showAll.settings.spareRandomVoters = false
        #expect(showAll.pick(for: coin, candidates: candidates, audits: audits, now: t0, entropy: 7, auditSpending: exhausted)?.isAudit == false)
    }

    @Test("audits priced by kind: near the bound, a muted reviewer with a short record keeps its audits; one with a long record gives way")
    func mutedShortRecordKeepsAudits() throws {
        var engine = Engine()
        engine.settings.priceAuditsByValue = false
        let candidates = (1...5).map {
            QueueCandidate(commentID: CommentID($0), authorID: 900, articleID: 1, submittedAt: t0, reviewerIDs: [], reviewsStillNeeded: 1)
        }
        let audits = [AuditCandidate(commentID: 1001, authorID: 901, articleID: 2, verdict: .civil, reviewerIDs: [])]
        // Two slips in three reviews: evidence 2.6, muted as a coin, but an honest reviewer could do that.
        var unlucky = reviewer(1, civilAgreed: 1, civilDisagreed: 2, uncivilAgreed: 0, uncivilDisagreed: 0)
        unlucky.standing = .muted
        unlucky.reviewsGiven = 3
        #expect(engine.randomVoterEvidence(of: unlucky) >= engine.settings.muteOnRandomEvidence)
        // A coin judged on 48 reviews.
        var coin = reviewer(2, civilAgreed: 20, civilDisagreed: 20, uncivilAgreed: 4, uncivilDisagreed: 4)
        coin.standing = .muted
        coin.reviewsGiven = 48
        // 89.5% of the bound spent: muted reviewers with a short record get all their audits, those with a long
        // record a twentieth of theirs.
        let near = AuditSpending(audits: 895, reviews: 10000)
        var coinAudits = 0, coinSpared = 0
        for entropy in UInt64(1)...200 {
            let pick = try #require(engine.pick(for: unlucky, candidates: candidates, audits: audits, now: t0,
                                                entropy: entropy, auditSpending: near))
            #expect(pick.isAudit, "an audit tells the most about a short record")
            switch engine.pick(for: coin, candidates: candidates, audits: audits, now: t0, entropy: entropy, auditSpending: near) {
            case nil: coinSpared += 1
            case let p?: if p.isAudit { coinAudits += 1 }
            }
        }
        #expect(coinAudits + coinSpared == 200 && coinAudits < 25, "\(coinAudits) audits, \(coinSpared) spared")
        // At the bound nobody gets an audit: the unlucky reviewer is spared too, the bound holds.
        let at = AuditSpending(audits: 100, reviews: 1000)
        #expect(engine.pick(for: unlucky, candidates: candidates, audits: audits, now: t0, entropy: 3, auditSpending: at) == nil)
    }

    @Test("an audit's value is how unsettled the reviewer's standing is, times their weight in pending decisions")
    func auditValueFollowsUncertainty() {
        let engine = Engine()
        func value(_ r: ReviewerRecord, pendingWithVotes: Int = 0) -> (standing: Double, approver: Double) {
            let candidates = (1...4).map {
                QueueCandidate(commentID: CommentID($0), authorID: 900, articleID: 1, submittedAt: t0,
                               reviewerIDs: $0 <= pendingWithVotes ? [r.reviewerID] : [], reviewsStillNeeded: 1)
            }
            return engine.auditValue(of: r, reliability: engine.reliability(of: r), candidates: candidates)
        }
        let newcomer = ReviewerRecord(reviewerID: 1)
        let known = reviewer(2, civilAgreed: 180, civilDisagreed: 10, uncivilAgreed: 30, uncivilDisagreed: 2)
        var unlucky = reviewer(3, civilAgreed: 1, civilDisagreed: 2, uncivilAgreed: 0, uncivilDisagreed: 0)
        unlucky.standing = .muted
        var oneSided = reviewer(4, civilAgreed: 100, civilDisagreed: 100, uncivilAgreed: 30, uncivilDisagreed: 5)
        oneSided.standing = .muted
        #expect(value(newcomer).standing > 0.25, "a new reviewer's accuracy is not known (\(value(newcomer)))")
        #expect(value(known).standing < 0.01, "a well-known reviewer is settled (\(value(known)))")
        #expect(value(unlucky).standing > 0.25, "two slips in three reviews may be bad luck (\(value(unlucky)))")
        #expect(value(oneSided).standing < 0.01, "long below the bar is settled (\(value(oneSided)))")
        // Cleared of approving abuse: the uncivil audit would tell little; not yet cleared: much more.
        #expect(value(known).approver < 0.01)
        #expect(value(newcomer).approver > 10 * value(known).approver)
        // Votes in pending decisions raise the value, up to twice that of a reviewer with none; never above 1.
        for r in [newcomer, known, unlucky, oneSided] {
            let none = value(r), some = value(r, pendingWithVotes: 1), many = value(r, pendingWithVotes: 4)
            #expect(none.standing <= some.standing && some.standing <= many.standing)
            #expect(abs(many.standing - 2 * none.standing) < 1e-9 && many.standing <= 1 && none.standing >= 0)
        }
    }

    @Test("audits priced by value: near the bound the uncertain reviewer keeps audits and the well-known one gives way; at the bound nobody gets one")
    func pricedAuditsNearTheBound() throws {
        let engine = Engine()
        #expect(engine.settings.priceAuditsByValue)
        let audits = (1...10).map {
            AuditCandidate(commentID: CommentID(1000 + $0), authorID: 901, articleID: 2, verdict: $0 % 2 == 0 ? .civil : .uncivil, reviewerIDs: [])
        }
        // Muted reviewers (given audits on every pick while there is room): one muted after two early slips, one
        // long below the bar.
        var unlucky = reviewer(3, civilAgreed: 1, civilDisagreed: 2, uncivilAgreed: 0, uncivilDisagreed: 0)
        unlucky.standing = .muted
        var settled = reviewer(4, civilAgreed: 100, civilDisagreed: 100, uncivilAgreed: 30, uncivilDisagreed: 5)
        settled.standing = .muted
        func candidates(votedBy r: ReviewerRecord) -> [QueueCandidate] {
            (1...5).map {
                QueueCandidate(commentID: CommentID($0), authorID: 900, articleID: 1, submittedAt: t0,
                               reviewerIDs: $0 <= 2 ? [r.reviewerID] : [], reviewsStillNeeded: 1)
            }
        }
        func auditsGiven(_ r: ReviewerRecord, _ spent: AuditSpending) -> Int {
            (UInt64(1)...200).filter {
                engine.pick(for: r, candidates: candidates(votedBy: r), audits: audits, now: t0, entropy: $0,
                            auditSpending: spent)?.isAudit == true
            }.count
        }
        func value(_ r: ReviewerRecord) -> Double {
            engine.auditValue(of: r, reliability: engine.reliability(of: r), candidates: candidates(votedBy: r)).standing
        }
        let vUnlucky = value(unlucky), vSettled = value(settled)
        #expect(vUnlucky > 0.4 && vSettled < 0.01, "\(vUnlucky), \(vSettled)")
        // Half the bound spent: both get audits on every pick.
        let half = AuditSpending(audits: 50, reviews: 1000)
        #expect(auditsGiven(unlucky, half) == 200 && auditsGiven(settled, half) == 200)
        // Near the bound, at the headroom where the settled reviewer's audits stop (its reserve, about
        // `lowValueAuditReserve`): it has none, the uncertain one still gets audits on a share of its picks that
        // grows with the difference in value.
        let headroom = engine.settings.lowValueAuditReserve * (1 - vSettled)
        let near = AuditSpending(audits: Int(((1 - headroom) * 0.1 * 100_000).rounded(.up)), reviews: 100_000)
        #expect(auditsGiven(settled, near) == 0)
        #expect(auditsGiven(unlucky, near) > 60, "\(auditsGiven(unlucky, near)) of 200")
        // Further from the bound, a ramp above the uncertain reviewer's reserve, it gets every audit.
        let roomier = engine.settings.lowValueAuditReserve * (1 - vUnlucky) + 0.1
        let nearer = AuditSpending(audits: Int(((1 - roomier) * 0.1 * 100_000).rounded(.down)), reviews: 100_000)
        #expect(auditsGiven(unlucky, nearer) == 200)
        #expect(auditsGiven(settled, nearer) < auditsGiven(unlucky, nearer))
        // At the bound nobody gets an audit.
        let at = AuditSpending(audits: 100, reviews: 1000)
        #expect(auditsGiven(unlucky, at) == 0 && auditsGiven(settled, at) == 0)
    }

    @Test("whatever the reviewer and the spending, no audit is given at or over the bound, and the lower the value the sooner audits give way", arguments: Array(UInt64(1)...100))
    func pricedAuditBoundProperty(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var engine = Engine()
        engine.settings.maximumAuditShare = [0.05, 0.1, 0.2][rng.below(3)]
        var r = reviewer(UserID(1 + rng.below(50)), civilAgreed: rng.uniform(0...200), civilDisagreed: rng.uniform(0...40),
                         uncivilAgreed: rng.uniform(0...30), uncivilDisagreed: rng.uniform(0...15))
        if rng.chance(0.4) { r.standing = .muted }
        r.reviewsGiven = rng.below(200)
        let candidates = (1...6).map {
            QueueCandidate(commentID: CommentID($0), authorID: 900, articleID: 1, submittedAt: t0,
                           reviewerIDs: rng.chance(0.3) ? [r.reviewerID] : [], reviewsStillNeeded: 1)
        }
        let audits = (1...6).map {
            AuditCandidate(commentID: CommentID(1000 + $0), authorID: 901, articleID: 2, verdict: $0 % 2 == 0 ? .civil : .uncivil, reviewerIDs: [])
        }
        let value = engine.auditValue(of: r, reliability: engine.reliability(of: r), candidates: candidates)
        #expect((0...1).contains(value.standing) && (0...1).contains(value.approver))
        let reviews = 1000 + rng.below(5000)
        let over = AuditSpending(audits: Int((engine.settings.maximumAuditShare + rng.uniform(0...0.05)) * Double(reviews)) + 1,
                                 reviews: reviews)
        for entropy in UInt64(1)...40 {
            #expect(engine.pick(for: r, candidates: candidates, audits: audits, now: t0, entropy: entropy &* seed,
                                auditSpending: over)?.isAudit != true)
        }
        // The allowance a value earns never falls as the value rises, and never rises as the spending does.
        let spent = AuditSpending(audits: rng.below(reviews / 10 + 1), reviews: reviews)
        let more = AuditSpending(audits: spent.audits + rng.below(20), reviews: reviews)
        func allowance(_ v: Double, _ s: AuditSpending) -> Double {
            engine.auditAllowance(reserve: engine.settings.lowValueAuditReserve * (1 - v), spending: s)
        }
        let v = rng.uniform(0...1), w = min(1, v + rng.uniform(0...0.5))
        #expect(allowance(v, spent) <= allowance(w, spent) + 1e-12)
        #expect(allowance(v, more) <= allowance(v, spent) + 1e-12)
    }

    @Test("a simulated community with the default settings spends at most a tenth of its reviews on audits")
    func simulatedDefaultAuditShare() {
        var s = Scenario()
        s.name = "default audits"
        s.seed = 8
        s.comments = 2000
        s.users = 300
        s.commentsPerDay = 400
        s.approverShare = 0.1
        s.refitEvery = 400
        let e = Simulator.run(s, policies: [.engine]).results[0]
        #expect(e.auditShareOfReviews <= 0.10 + 1e-9, "\(e.auditShareOfReviews)")
        #expect(e.auditShareOfReviews > 0.03, "the budget is spent (\(e.auditShareOfReviews))")
    }

    @Test("a simulated community bounded at a tenth spends at most a tenth of its reviews on audits")
    func simulatedAuditShare() {
        var s = Scenario()
        s.name = "audits"
        s.seed = 5
        s.comments = 3000
        s.users = 400
        s.commentsPerDay = 500
        s.lazyShare = 0.3
        s.refitEvery = 500
        s.settings.maximumAuditShare = 0.1
        let r = Simulator.run(s, policies: [.engine])
        let e = r.results[0]
        #expect(e.auditShareOfReviews <= 0.10 + 1e-9, "\(e.auditShareOfReviews)")
        #expect(e.auditShareOfReviews > 0.02)
    }

    /// Settled comments: a fifth have three decisive reviews by reliable reviewers, the rest one review by a
    /// newcomer. The pre-screen either separates civil from uncivil, or only tracks what newcomers react to
    /// (rude-sounding words in comments of either class): refit's EM then calibrates it against classes that
    /// lean on those newcomers' votes, while on the comments peers decided it tells nothing.
    /// With `misleadingSelfRating`, authors rate their comment uncivil when it sounds rude, whatever it is (and the
    /// pre-screen separates): the same trap for the self-rating term.
    func history(informativePreScreen: Bool, misleadingSelfRating: Bool = false, seed: UInt64) -> (history: [SettledComment], reviewers: [ReviewerRecord]) {
        var rng = SeededRandom(seed: seed)
        let strong = (1...10).map { reviewer(UserID($0), civilAgreed: 300, civilDisagreed: 6, uncivilAgreed: 60, uncivilDisagreed: 1) }
        let newcomers = (11...60).map { ReviewerRecord(reviewerID: UserID($0)) }
        var out: [SettledComment] = []
        var rid: Int64 = 0
        for c in 0..<3000 {
            let uncivil = rng.chance(0.1)
            let soundsRude = informativePreScreen && !misleadingSelfRating ? uncivil : rng.chance(0.15)
            let selfRating: CivilityVote = misleadingSelfRating && rng.chance(soundsRude ? 0.6 : 0.02) ? .uncivil : .civil
            var reviews: [Review] = []
            if rng.chance(0.2) {
                for u in Set((0..<3).map { _ in 1 + rng.below(10) }).sorted() {
                    rid += 1
                    let vote: CivilityVote = rng.chance(0.97) ? (uncivil ? .uncivil : .civil) : (uncivil ? .civil : .uncivil)
                    reviews.append(Review(id: rid, commentID: CommentID(c), reviewerID: UserID(u), civility: vote, quality: .somewhat, submittedAt: t0))
                }
            } else {
                rid += 1
                let vote: CivilityVote = rng.chance(soundsRude ? 0.85 : 0.1) ? .uncivil : .civil
                reviews.append(Review(id: rid, commentID: CommentID(c), reviewerID: UserID(11 + rng.below(50)),
                                      civility: vote, quality: .somewhat, submittedAt: t0))
            }
            let scoreMean = (misleadingSelfRating ? uncivil : soundsRude) ? -0.5 : -3.0
            let score = 1 / (1 + exp(-(scoreMean + 1.2 * rng.normal())))
            out.append(SettledComment(
                comment: CommentUnderReview(id: CommentID(c), authorID: UserID(1000 + rng.below(400)), articleID: 1,
                                            submittedAt: t0, preScreenScore: score, selfRating: selfRating),
                reviews: reviews, moderatorVerdict: nil, authorLogOdds: log(0.1 / 0.9), authorPublished: 3, authorRejected: 0))
        }
        return (out, strong + newcomers)
    }

    @Test("evidence weights follow what refit learned the evidence is worth, and never exceed 1")
    func evidenceWeightsFollowRefit() throws {
        var engine = Engine()
        engine.settings.weighEvidence = true
        let useless = history(informativePreScreen: false, seed: 1)
        let useful = history(informativePreScreen: true, seed: 1)
        let uselessFit = try #require(engine.refit(useless.history, reviewers: useless.reviewers, now: t0).model.evidenceWeights)
        let usefulFit = try #require(engine.refit(useful.history, reviewers: useful.reviewers, now: t0).model.evidenceWeights)
        #expect(uselessFit.preScreen < 0.5, "a pre-screen that tells nothing is weighed down (\(uselessFit.preScreen))")
        #expect(usefulFit.preScreen > 0.8, "one that separates keeps its weight (\(usefulFit.preScreen))")
        for w in [uselessFit, usefulFit] {
            for x in [w.authorRecord, w.preScreen, w.selfRating] { #expect(x >= 0 && x <= 1) }
            #expect(w.basedOn >= 500)
        }

        // The same for a self-rating that only says how rude a comment sounds: EM credits it, refit weighs it down.
        let misleading = history(informativePreScreen: true, misleadingSelfRating: true, seed: 2)
        let misleadingFit = try #require(engine.refit(misleading.history, reviewers: misleading.reviewers, now: t0).model.evidenceWeights)
        #expect(misleadingFit.selfRating < 0.5, "a self-rating that tells nothing is weighed down (\(misleadingFit.selfRating))")
        #expect(misleadingFit.preScreen > 0.8, "the pre-screen that separates keeps its weight (\(misleadingFit.preScreen))")
        #expect(usefulFit.selfRating > 0.8, "a self-rating always \"civil\" has nothing to be weighed down for (\(usefulFit.selfRating))")

        // Decisions use the weight: the same score adds less where the pre-screen was found to tell less.
        var model = engine.model
        model.evidenceWeights = EvidenceWeights(preScreen: 0.25)
        let c = comment(score: 0.9)
        let full = engine.decide(c, reviews: [], author: AuthorRecord(authorID: 999), reviewers: [], now: t0)
        var weighing = Engine(model: model)
        weighing.settings.weighEvidence = true
        let weighed = weighing.decide(c, reviews: [], author: AuthorRecord(authorID: 999), reviewers: [], now: t0)
        let term = { (d: Decision) in d.explanation.evidence.first { $0.kind == .preScreen }!.logOdds }
        #expect(abs(term(weighed) - 0.25 * term(full)) < 1e-9)
        #expect(weighed.explanation.evidence.first { $0.kind == .preScreen }!.note.contains("weighed at 25%"))
        // Turned off, the weights are ignored.
        var off = Engine(model: model)
        off.settings.weighEvidence = false
        #expect(abs(term(off.decide(c, reviews: [], author: AuthorRecord(authorID: 999), reviewers: [], now: t0)) - term(full)) < 1e-9)
    }

    @Test("a sweep samples the same communities for a seed, whatever the number of threads")
    func sweepIsDeterministic() throws {
        var spec = SweepSpec()
        spec.communities = 3
        spec.days = 2
        spec.minimumComments = 600
        spec.maximumComments = 800
        spec.ranges = ["lazyShare": [0, 0.3], "commentsPerDay": [200, 400], "preScreenUncivilMean": [-3, 0]]
        spec.logScale = ["commentsPerDay"]
        try spec.validate()
        let a = try Simulator.sweep(spec, threads: 1)
        let b = try Simulator.sweep(spec, threads: 3)
        #expect(a.communities.count == 3)
        #expect(a.communities.map(\.parameters) == b.communities.map(\.parameters))
        for (x, y) in zip(a.communities, b.communities) {
            #expect(x.result.goalValues(.engine).map(\.value) == y.result.goalValues(.engine).map(\.value))
            #expect(x.result.results.map(\.policy) == [.engine, .majorityOfThree, .oracle])
        }
        let report = a.report()
        #expect(report.contains("engine met where oracle meets"))
        #expect(report.contains("lazyShare"))
        var bad = spec
        bad.ranges["lazyshare"] = [0, 1]
        #expect(throws: (any Error).self) { try bad.validate() }
    }
}
