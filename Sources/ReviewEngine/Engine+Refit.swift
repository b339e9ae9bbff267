import Foundation

/// A comment whose fate is settled, as input to a batch refit.
public struct SettledComment: Sendable, Codable, Hashable {
    public var comment: CommentUnderReview
    /// All its civility reviews (audit reviews of it are not included: they live in reviewer records).
    public var reviews: [Review]
    /// The moderator's verdict, when one was given; otherwise the engine's own estimate is refitted.
    public var moderatorVerdict: CivilityVote?
    /// The author-record term of its last decision (`Decision.explanation.authorLogOdds`).
    public var authorLogOdds: Double
    /// The author's published and rejected comments when it was submitted (`AuthorRecord` at that time).
    public var authorPublished: Int
    public var authorRejected: Int

    public init(
        comment: CommentUnderReview, reviews: [Review], moderatorVerdict: CivilityVote?, authorLogOdds: Double,
        authorPublished: Int, authorRejected: Int
    ) {
        self.comment = comment
        self.reviews = reviews
        self.moderatorVerdict = moderatorVerdict
        self.authorLogOdds = authorLogOdds
        self.authorPublished = authorPublished
        self.authorRejected = authorRejected
    }
}

/// The result of a batch refit: a new `ModelState` and every reviewer record passed in, re-estimated.
public struct Refit: Sendable {
    public var model: ModelState
    /// Same order as the records passed in. Store these; their `outcomes` replace the online counts for the
    /// comments in the batch, so outcomes settled after the batch was taken must be settled again.
    public var reviewers: [ReviewerRecord]
    /// Warnings, mutes and unmutes the new estimates caused.
    public var sanctions: [Sanction]
}

extension Engine {
    /// Re-estimates everything learned, by expectation–maximisation over settled comments:
    /// - each comment's class (civil/uncivil) and side on the axis of disagreement (E-step);
    /// - each reviewer's accuracy and bias (Dawid–Skene, one accuracy per reviewer), and factor (bridging);
    /// - the pre-screen calibration, the self-rating rates, the two kinds of author, the side distribution;
    /// - the quality ("good") model, bridged the same way, for the "best" sort.
    /// Moderator verdicts are held fixed. Pass a window of recent settled comments (tens of thousands at most).
    public func refit(_ history: [SettledComment], reviewers: [ReviewerRecord], now: Date) -> Refit {
        var fit = BatchFit(engine: self, history: history, reviewers: reviewers)
        fit.run()
        var model = fit.model
        model.refittedOn = history.count
        var records = reviewers
        var sanctions: [Sanction] = []
        for (i, var r) in records.enumerated() where fit.touched[i] {
            r.outcomes = fit.outcomes[i]
            r.civilityFactor = settings.bridging ? fit.factor[i] : 0
            r.qualityBias = fit.qualityBias[i]
            r.qualityFactor = fit.qualityFactor[i]
            let (updated, s) = Engine(settings: settings, model: model).reviewStanding(r, now: now)
            records[i] = updated
            sanctions += s
        }
        return Refit(model: model, reviewers: records, sanctions: sanctions)
    }
}

/// The working state of one refit. Votes are flattened into arrays for speed.
struct BatchFit {
    let settings: Settings
    var model: ModelState
    let grid: [Double]
    let records: [ReviewerRecord]

    // Per comment.
    var voteStart: [Int] = []
    var priorBase: [Double] = []
    var preScreen: [Double?] = []
    var selfRating: [CivilityVote?] = []
    var verdict: [CivilityVote?] = []
    var commentIDs: [CommentID] = []
    var authors: [UserID] = []
    var authorBucket: [Int] = []
    /// The author's published and rejected comments when each was submitted.
    var authorRecords: [(published: Int, rejected: Int)] = []
    /// `Engine.authorReviewerBucket` of the author's current reviewer record (−1: not passed in).
    var authorReviewer: [Int] = []
    var q1: [Double] = []
    /// Joint posterior over (class, side), 2·G per comment: [civil g0..gG-1, uncivil g0..gG-1].
    var joint: [Double] = []
    /// Log-likelihood of each comment's "good" ratings at each side, G per comment (`ModelState.qualitySideLogLikelihood`).
    var ratingSide: [Double] = []

    // Per vote.
    var voteReviewer: [Int] = []
    var voteUncivil: [Bool] = []
    var voteQuality: [Double?] = []

    // Per reviewer.
    var outcomes: [ClassCounts]
    var factor: [Double]
    var qualityBias: [Double]
    var qualityFactor: [Double]
    var touched: [Bool]
    var rel: [Reliability] = []

    init(engine: Engine, history: [SettledComment], reviewers: [ReviewerRecord]) {
        settings = engine.settings
        model = engine.model
        grid = engine.settings.sideGrid
        records = reviewers
        outcomes = reviewers.map { _ in ClassCounts() }
        factor = reviewers.map(\.civilityFactor)
        qualityBias = reviewers.map(\.qualityBias)
        qualityFactor = reviewers.map(\.qualityFactor)
        touched = reviewers.map { _ in false }
        if model.sidePrior.count != grid.count {
            model.sidePrior = grid.map { _ in 1 / Double(grid.count) }
        }
        var index: [UserID: Int] = [:]
        for (i, r) in reviewers.enumerated() { index[r.reviewerID] = i }
        var bucketOf: [UserID: Int] = [:]
        for s in history {
            voteStart.append(voteReviewer.count)
            var seen: [UserID] = []
            for review in s.reviews.sorted(by: { ($0.reviewerID, $0.id) < ($1.reviewerID, $1.id) }) {
                guard review.reviewerID != s.comment.authorID, !seen.contains(review.reviewerID),
                      let i = index[review.reviewerID] else { continue }
                seen.append(review.reviewerID)
                voteReviewer.append(i)
                voteUncivil.append(review.civility == .uncivil)
                voteQuality.append(review.quality?.score)
                touched[i] = true
            }
            priorBase.append(s.authorLogOdds)
            preScreen.append(s.comment.preScreenScore.map { logit($0) })
            selfRating.append(s.comment.selfRating)
            verdict.append(s.moderatorVerdict)
            commentIDs.append(s.comment.id)
            authors.append(s.comment.authorID)
            if let b = bucketOf[s.comment.authorID] {
                authorReviewer.append(b)
            } else {
                let b = index[s.comment.authorID].map { engine.authorReviewerBucket(reviewers[$0]) } ?? -1
                bucketOf[s.comment.authorID] = b
                authorReviewer.append(b)
            }
            authorBucket.append(ModelState.authorBucket(published: s.authorPublished, rejected: s.authorRejected))
            authorRecords.append((s.authorPublished, s.authorRejected))
        }
        voteStart.append(voteReviewer.count)
        q1 = [Double](repeating: model.uncivilShare, count: history.count)
        joint = [Double](repeating: 0, count: history.count * 2 * grid.count)
    }

    var commentCount: Int { priorBase.count }

    func prior(_ c: Int) -> Double {
        var l = priorBase[c]
        if authorReviewer[c] >= 0, let table = model.authorAsReviewerLogOdds, authorReviewer[c] < table.count {
            l += table[authorReviewer[c]]
        }
        if let x = preScreen[c] { l += model.preScreenIntercept + model.preScreenSlope * x - logit(model.uncivilShare) }
        if let s = selfRating[c] { l += model.selfRatingWeight(s) }
        return l
    }

    mutating func run() {
        guard commentCount > 0 else { return }
        for i in records.indices { outcomes[i] = records[i].outcomes }
        updateReliability()
        // The quality model first: its reviewer factors place comments on the axis of disagreement from their
        // "good" ratings, which the civility votes alone (two or three per comment) cannot do.
        fitQuality()
        if settings.bridging { placeByRatings() }
        let byRatings = ratingSide.contains { $0 != 0 }
        // Start from the plain (side-blind) Dawid–Skene posterior (sides from ratings only).
        let savedFactors = factor
        if !settings.bridging || byRatings { factor = factor.map { _ in 0 } }
        expectation()
        for iteration in 0..<6 {
            maximiseReliability()
            maximiseEvidence()
            if settings.bridging {
                if iteration == 0 && !byRatings { seedAxis(from: savedFactors) }
                maximiseFactors()
                maximiseSidePrior()
            }
            expectation()
        }
        maximiseReliability()
        learnEstablishedShare()
        learnNewReviewers()
        learnApproverShare()
        fitAuthorKinds()
        fitAuthorTable()
        fitAuthorAsReviewer()
        if settings.weighEvidence { fitEvidenceWeights() }
    }

    /// What an author's record as a reviewer adds to their comment record: per bucket, the log odds of how often
    /// their comments turned out uncivil against what the author table expected, shrunk towards nothing where a
    /// bucket has few comments. (Records are as they are at the refit, a little better informed than at the
    /// time of each decision.)
    mutating func fitAuthorAsReviewer() {
        var uncivil = [Double](repeating: 0, count: 3), expected = uncivil, n = uncivil
        for c in 0..<commentCount where authorReviewer[c] >= 0 {
            let b = authorReviewer[c]
            uncivil[b] += q1[c]
            expected[b] += sigmoid(priorBase[c])
            n[b] += 1
        }
        let k = 30.0
        model.authorAsReviewerLogOdds = (0..<3).map { b in
            guard n[b] > 0 else { return 0 }
            let e = min(max(expected[b] / n[b], 1e-4), 1 - 1e-4)
            let o = (uncivil[b] + k * e) / (n[b] + k)
            return max(min(logit(o) - logit(e), 5), -5)
        }
    }

    /// Each comment's rating log-likelihood per side, from the quality model just fitted.
    mutating func placeByRatings() {
        let G = grid.count
        ratingSide = [Double](repeating: 0, count: commentCount * G)
        guard model.qualitySideScale != nil else { return }
        for c in 0..<commentCount {
            var ratings: [(residual: Double, factor: Double)] = []
            for k in voteStart[c]..<voteStart[c + 1] {
                guard let v = voteQuality[k], qualityFactor[voteReviewer[k]] != 0 else { continue }
                let u = voteReviewer[k]
                ratings.append((v - model.qualityMean - qualityBias[u], qualityFactor[u]))
            }
            guard !ratings.isEmpty else { continue }
            let l = model.qualitySideLogLikelihood(ratings, grid: grid)
            for gi in 0..<G { ratingSide[c * G + gi] = l[gi] }
        }
    }

    mutating func updateReliability() {
        rel = records.indices.map { i in
            var r = records[i]
            r.outcomes = outcomes[i]
            return Engine(settings: settings, model: model).reliability(of: r)
        }
    }

    @inline(__always)
    func logVote(_ uncivilVote: Bool, _ r: Reliability, _ f: Double, y: Int, g: Double) -> Double {
        let x = (y == 1 ? r.accuracyLogit : -r.accuracyLogit) + r.bias + f * g
        return uncivilVote ? logSigmoid(x) : logSigmoid(-x)
    }

    /// E-step: the joint posterior over class and side for every comment.
    mutating func expectation() {
        let G = grid.count
        let logSide = model.sidePrior.map { log(max($0, 1e-9)) }
        var logJ = [Double](repeating: 0, count: 2 * G)
        for c in 0..<commentCount {
            let l = prior(c)
            let lp = [logSigmoid(-l), logSigmoid(l)]
            for y in 0..<2 {
                for gi in 0..<G {
                    var v = lp[y] + logSide[gi] + (ratingSide.isEmpty ? 0 : ratingSide[c * G + gi])
                    for k in voteStart[c]..<voteStart[c + 1] {
                        let u = voteReviewer[k]
                        v += logVote(voteUncivil[k], rel[u], factor[u], y: y, g: grid[gi])
                    }
                    if let verdict = verdict[c], (verdict == .uncivil) != (y == 1) { v = -Double.infinity }
                    logJ[y * G + gi] = v
                }
            }
            let z = logSumExp(logJ)
            var p1 = 0.0
            for j in 0..<(2 * G) {
                let p = exp(logJ[j] - z)
                joint[c * 2 * G + j] = p
                if j >= G { p1 += p }
            }
            q1[c] = p1
        }
    }

    /// M-step, Dawid–Skene: each reviewer's agreement with the (soft) classes.
    mutating func maximiseReliability() {
        for i in outcomes.indices where touched[i] { outcomes[i] = ClassCounts() }
        for c in 0..<commentCount {
            for k in voteStart[c]..<voteStart[c + 1] {
                outcomes[voteReviewer[k]].add(vote: voteUncivil[k] ? .uncivil : .civil, pUncivil: q1[c])
            }
        }
        updateReliability()
    }

    /// M-step: base rate, pre-screen calibration (ridge logistic regression) and self-rating rates.
    mutating func maximiseEvidence() {
        let n = Double(commentCount)
        model.uncivilShare = min(max((q1.reduce(0, +) + 1) / (n + 2), 0.001), 0.5)

        var a = model.preScreenIntercept, b = model.preScreenSlope
        let a0 = a, b0 = b, ridge = 2.0
        for _ in 0..<5 {
            var ga = -ridge * (a - a0), gb = -ridge * (b - b0)
            var haa = ridge, hab = 0.0, hbb = ridge
            for c in 0..<commentCount {
                guard let x = preScreen[c] else { continue }
                let p = sigmoid(a + b * x)
                let r = q1[c] - p
                ga += r
                gb += r * x
                let w = p * (1 - p)
                haa += w
                hab += w * x
                hbb += w * x * x
            }
            let det = haa * hbb - hab * hab
            guard det > 1e-12 else { break }
            a += (hbb * ga - hab * gb) / det
            b += (haa * gb - hab * ga) / det
        }
        model.preScreenIntercept = a
        model.preScreenSlope = max(b, 0)

        let pseudo = 5.0
        var uu = pseudo * model.selfUncivilGivenUncivil, un = pseudo
        var cu = pseudo * model.selfUncivilGivenCivil, cn = pseudo
        for c in 0..<commentCount {
            guard let s = selfRating[c] else { continue }
            let said = s == .uncivil ? 1.0 : 0.0
            uu += q1[c] * said
            un += q1[c]
            cu += (1 - q1[c]) * said
            cn += 1 - q1[c]
        }
        model.selfUncivilGivenUncivil = min(max(uu / un, 0.001), 0.999)
        model.selfUncivilGivenCivil = min(max(cu / cn, 0.0005), 0.5)
    }

    /// Finds the axis of disagreement: a rank-one factorisation of what the votes leave unexplained by the
    /// classes (vote minus expected vote), by alternating least squares, started from the previous factors
    /// (or from an arbitrary direction the first time). Its comment positions start the EM of the factors.
    mutating func seedAxis(from previous: [Double]) {
        let G = grid.count
        let warm = (previous.map(abs).max() ?? 0) >= 0.3
        var fu = records.indices.map { u in
            warm ? previous[u] : unitInterval(mix64(UInt64(bitPattern: records[u].reviewerID) ^ 0x5EED)) * 2 - 1
        }
        var fc = [Double](repeating: 0, count: commentCount)
        let lambda = 2.0
        for _ in 0..<15 {
            for c in 0..<commentCount {
                var n = 0.0, d = lambda
                for k in voteStart[c]..<voteStart[c + 1] {
                    let r = (voteUncivil[k] ? 1.0 : -1.0) - (2 * q1[c] - 1)
                    n += r * fu[voteReviewer[k]]
                    d += fu[voteReviewer[k]] * fu[voteReviewer[k]]
                }
                fc[c] = n / d
            }
            var num = [Double](repeating: 0, count: records.count), den = num
            for c in 0..<commentCount {
                for k in voteStart[c]..<voteStart[c + 1] {
                    let r = (voteUncivil[k] ? 1.0 : -1.0) - (2 * q1[c] - 1)
                    num[voteReviewer[k]] += r * fc[c]
                    den[voteReviewer[k]] += fc[c] * fc[c]
                }
            }
            for u in fu.indices { fu[u] = num[u] / (den[u] + lambda) }
            // Keep the scale fixed (the product is what matters); only the direction is being found.
            let norm = (fu.reduce(0) { $0 + $1 * $1 } / Double(max(fu.count, 1))).squareRoot()
            if norm > 1e-9 { for u in fu.indices { fu[u] /= norm } }
        }
        let magnitudes = fc.map(abs).sorted()
        let scale = max(magnitudes[min(magnitudes.count - 1, magnitudes.count * 9 / 10)], 1e-6)
        for c in 0..<commentCount {
            let g0 = min(max(fc[c] / scale, -1), 1)
            var w = grid.map { exp(-($0 - g0) * ($0 - g0) / (2 * 0.25 * 0.25)) }
            let z = w.reduce(0, +)
            w = w.map { $0 / z }
            for gi in 0..<G {
                joint[c * 2 * G + gi] = (1 - q1[c]) * w[gi]
                joint[c * 2 * G + G + gi] = q1[c] * w[gi]
            }
        }
        for u in factor.indices where touched[u] { factor[u] = 0 }
    }

    /// M-step, bridging: each reviewer's factor by Newton's method on the expected log-likelihood, with a
    /// Gaussian prior that keeps factors near zero unless the votes insist.
    mutating func maximiseFactors() {
        let G = grid.count
        var byReviewer = [[Int]](repeating: [], count: records.count)
        var voteComment = [Int](repeating: 0, count: voteReviewer.count)
        for c in 0..<commentCount {
            for k in voteStart[c]..<voteStart[c + 1] {
                byReviewer[voteReviewer[k]].append(k)
                voteComment[k] = c
            }
        }
        let precision = 1 / (settings.factorSpread * settings.factorSpread)
        for u in records.indices where touched[u] && byReviewer[u].count >= 5 {
            var f = factor[u]
            let r = rel[u]
            for _ in 0..<4 {
                var grad = -precision * f, hess = -precision
                for k in byReviewer[u] {
                    let c = voteComment[k]
                    let v = voteUncivil[k] ? 1.0 : 0.0
                    for y in 0..<2 {
                        let base = (y == 1 ? r.accuracyLogit : -r.accuracyLogit) + r.bias
                        for gi in 0..<G {
                            let q = joint[c * 2 * G + y * G + gi]
                            guard q > 1e-6 else { continue }
                            let g = grid[gi]
                            let p = sigmoid(base + f * g)
                            grad += q * (v - p) * g
                            hess -= q * p * (1 - p) * g * g
                        }
                    }
                }
                guard hess < 0 else { break }
                let step = grad / hess
                f -= max(min(step, 2), -2)
            }
            factor[u] = max(min(f, 8), -8)
        }
    }

    /// What reviewers on probation turned out to be, pooled: the starting reliability of the next new reviewer.
    /// Accounts that keep being replaced (banned trolls coming back) pull it down, as they should.
    mutating func learnNewReviewers() {
        var total = ClassCounts()
        for i in records.indices where touched[i] && records[i].reviewsGiven <= settings.probationReviews {
            let o = outcomes[i], a = records[i].audits
            total.civilAgreed += o.civilAgreed + a.civilAgreed
            total.civilDisagreed += o.civilDisagreed + a.civilDisagreed
            total.uncivilAgreed += o.uncivilAgreed + a.uncivilAgreed
            total.uncivilDisagreed += o.uncivilDisagreed + a.uncivilDisagreed
        }
        let pseudo = 20.0
        let sens = (total.uncivilAgreed + pseudo * model.newReviewerSensitivity)
            / (total.uncivilAgreed + total.uncivilDisagreed + pseudo)
        let spec = (total.civilAgreed + pseudo * model.newReviewerSpecificity)
            / (total.civilAgreed + total.civilDisagreed + pseudo)
        model.newReviewerSensitivity = min(max(sens, 0.55), 0.9)
        model.newReviewerSpecificity = min(max(spec, 0.6), 0.95)
    }

    /// The share of approvers of abuse among reviewers with a record of uncivil outcomes: the mean chance of
    /// being one, which is the prior of every reviewer still without such a record.
    mutating func learnApproverShare() {
        guard settings.approverSensitivity > 0 else { return }
        var flat = model
        flat.learnedNewApproverShare = model.approverShare  // one prior for both while learning
        let engine = Engine(settings: settings, model: flat)
        var sum = 1.0, n = 10.0, sumNew = 1.0, nNew = 10.0
        for i in records.indices where touched[i] {
            var r = records[i]
            r.outcomes = outcomes[i]
            let evidence = r.outcomes.uncivilAgreed + r.outcomes.uncivilDisagreed + r.audits.uncivilAgreed + r.audits.uncivilDisagreed
            guard evidence >= 2 else { continue }
            let sensIfNot = max(rel[i].sensitivity, settings.approverSensitivity + 0.3)
            let p = engine.approverProbability(of: r, sensitivityIfNot: sensIfNot)
            if records[i].reviewsGiven < settings.probationReviews {
                sumNew += p
                nNew += 1
            } else {
                sum += p
                n += 1
            }
        }
        model.learnedApproverShare = min(max(sum / n, 0.01), 0.5)
        model.learnedNewApproverShare = min(max(sumNew / nNew, 0.01), 0.8)
    }

    /// The share of votes given by reviewers past probation: how established the site's reviewers are.
    mutating func learnEstablishedShare() {
        guard !voteReviewer.isEmpty else { return }
        let established = voteReviewer.filter { records[$0].reviewsGiven >= settings.probationReviews }.count
        model.learnedEstablishedShare = Double(established) / Double(voteReviewer.count)
    }

    mutating func maximiseSidePrior() {
        let G = grid.count
        var counts = [Double](repeating: 1, count: G)
        for c in 0..<commentCount {
            for gi in 0..<G { counts[gi] += joint[c * 2 * G + gi] + joint[c * 2 * G + G + gi] }
        }
        let z = counts.reduce(0, +)
        model.sidePrior = counts.map { $0 / z }
    }

    /// The two kinds of author (rarely uncivil, mostly uncivil): their rates and shares, by EM over authors.
    mutating func fitAuthorKinds() {
        var uncivil: [UserID: Double] = [:], total: [UserID: Double] = [:]
        for c in 0..<commentCount {
            uncivil[authors[c], default: 0] += q1[c]
            total[authors[c], default: 0] += 1
        }
        guard total.count >= 50 else { return }
        let keys = total.keys.sorted()  // a fixed order keeps refits bit-for-bit reproducible
        var share = model.abusiveAuthorShare, r1 = model.abusiveAuthorRate, r0 = model.regularAuthorRate
        for _ in 0..<30 {
            var s1 = 1.0, n1 = 0.0, u1 = 1.0, t1 = 2.0, u0 = 0.5, t0 = 25.0
            for a in keys {
                let u = uncivil[a]!, n = total[a]!
                let l1 = log(share) + u * log(r1) + (n - u) * log1p(-r1)
                let l0 = log1p(-share) + u * log(r0) + (n - u) * log1p(-r0)
                let p = sigmoid(l1 - l0)
                s1 += p
                n1 += 1
                u1 += p * u
                t1 += p * n
                u0 += (1 - p) * u
                t0 += (1 - p) * n
            }
            share = min(max(s1 / (n1 + 2), 0.001), 0.5)
            r1 = min(max(u1 / t1, 0.05), 0.99)
            r0 = min(max(u0 / t0, 0.001), r1 / 2)
        }
        model.abusiveAuthorShare = share
        model.abusiveAuthorRate = r1
        model.regularAuthorRate = r0
    }

    /// How often comments turned out uncivil for each kind of author record (published and rejected counts
    /// at submission), shrunk towards the two-kinds model where a bucket has few comments.
    mutating func fitAuthorTable() {
        var uncivil = [Double](repeating: 0, count: ModelState.authorBucketCount)
        var total = uncivil
        for c in 0..<commentCount {
            uncivil[authorBucket[c]] += q1[c]
            total[authorBucket[c]] += 1
        }
        let k = 30.0
        model.authorRateTable = (0..<ModelState.authorBucketCount).map { b in
            let (p, r) = ModelState.representative(bucket: b)
            let parent = model.mixtureAuthorRate(published: p, rejected: r)
            return min(max((uncivil[b] + k * parent) / (total[b] + k), 0.0005), 0.99)
        }
    }

    /// The quality model, as Community Notes fits helpfulness: rating ≈ μ + reviewer bias + comment intercept
    /// + reviewer factor · comment factor. The comment intercept (what reviewers on both sides agree on) is the
    /// "best" sort's score; `Engine.quality` recomputes it per comment.
    ///
    /// The reviewer factors (the axis of disagreement) are found first, from how reviewers' ratings of the same
    /// comments move together (`findRatingAxis`): alternating ridge regressions with two or three ratings per
    /// comment shrink every factor to nearly zero and found no axis. Biases, intercepts and comment factors are
    /// then fitted by alternating ridge regressions with the reviewer factors held.
    mutating func fitQuality() {
        var ratingsByComment = [[(u: Int, v: Double)]](repeating: [], count: commentCount)
        var ratingsByReviewer = [[(c: Int, v: Double)]](repeating: [], count: records.count)
        var sum = 0.0, n = 0.0
        for c in 0..<commentCount {
            for k in voteStart[c]..<voteStart[c + 1] {
                guard let v = voteQuality[k] else { continue }
                ratingsByComment[c].append((voteReviewer[k], v))
                ratingsByReviewer[voteReviewer[k]].append((c, v))
                sum += v
                n += 1
            }
        }
        guard n >= 20 else { return }
        var mu = sum / n
        for u in records.indices where !ratingsByReviewer[u].isEmpty {
            qualityBias[u] = ratingsByReviewer[u].reduce(0) { $0 + $1.v - mu } / (Double(ratingsByReviewer[u].count) + 5)
        }
        let spreads = learnRatingSpreads(ratingsByComment: ratingsByComment, mu: mu)
        if let spreads { findRatingAxis(ratingsByComment: ratingsByComment, ratingsByReviewer: ratingsByReviewer, mu: mu, interceptVariance: spreads.intercept * spreads.intercept) }
        var ic = [Double](repeating: 0, count: commentCount), fc = ic
        let li = QualityModel.interceptPenalty, lf = QualityModel.factorPenalty
        for _ in 0..<12 {
            for c in 0..<commentCount where !ratingsByComment[c].isEmpty {
                let sol = QualityModel.solve(ratingsByComment[c].map { ($0.v - mu - qualityBias[$0.u], qualityFactor[$0.u]) },
                                             interceptPenalty: li, factorPenalty: lf)
                ic[c] = sol.intercept
                fc[c] = sol.factor
            }
            for u in records.indices where !ratingsByReviewer[u].isEmpty {
                let r = ratingsByReviewer[u].reduce(0) { $0 + $1.v - mu - ic[$1.c] - qualityFactor[u] * fc[$1.c] }
                qualityBias[u] = r / (Double(ratingsByReviewer[u].count) + li)
            }
            var rs = 0.0
            for c in 0..<commentCount {
                for r in ratingsByComment[c] { rs += r.v - qualityBias[r.u] - ic[c] - qualityFactor[r.u] * fc[c] }
            }
            mu = rs / n
        }
        model.qualityMean = mu
        if let spreads = learnRatingSpreads(ratingsByComment: ratingsByComment, mu: mu) {
            model.qualityNoise = spreads.noise
            model.qualityInterceptSpread = spreads.intercept
            model.qualitySideScale = 1
        }
    }

    /// The reviewers' quality factors: the leading eigenvector of the covariance of two different reviewers'
    /// rating residuals on the same comment (the shared comment intercept subtracted), by power iteration.
    /// Leaving out each reviewer's own square is what keeps the rating noise from swamping a weak taste for a
    /// side. Scaled so that a factor is the rating shift a reviewer gives a comment at side ±1.
    mutating func findRatingAxis(ratingsByComment: [[(u: Int, v: Double)]], ratingsByReviewer: [[(c: Int, v: Double)]],
                                 mu: Double, interceptVariance t2: Double) {
        let rated = records.indices.filter { ratingsByReviewer[$0].count >= 5 }
        guard rated.count >= 10 else { return }
        let bias = qualityBias
        let residual = { (u: Int, v: Double) in v - mu - bias[u] }
        var v = [Double](repeating: 0, count: records.count)
        let warm = (qualityFactor.map(abs).max() ?? 0) >= 1e-3
        for u in rated {
            v[u] = warm ? qualityFactor[u] : unitInterval(mix64(UInt64(bitPattern: records[u].reviewerID) ^ 0xA715)) * 2 - 1
        }
        func normalise(_ x: inout [Double]) {
            let norm = (rated.reduce(0) { $0 + x[$1] * x[$1] } / Double(rated.count)).squareRoot()
            if norm > 1e-12 { for u in rated { x[u] /= norm } }
        }
        normalise(&v)
        for _ in 0..<30 {
            var next = [Double](repeating: 0, count: records.count)
            for c in 0..<commentCount where ratingsByComment[c].count >= 2 {
                var s = 0.0, sv = 0.0
                for r in ratingsByComment[c] {
                    s += residual(r.u, r.v) * v[r.u]
                    sv += v[r.u]
                }
                for r in ratingsByComment[c] {
                    let e = residual(r.u, r.v)
                    next[r.u] += e * (s - e * v[r.u]) - t2 * (sv - v[r.u])
                }
            }
            // Averaged per reviewer and clipped: a plain power iteration on so sparse a matrix settles on a few
            // busy reviewers instead of the axis.
            for u in records.indices {
                next[u] = ratingsByReviewer[u].count < 5 ? 0 : next[u] / Double(ratingsByReviewer[u].count)
            }
            normalise(&next)
            for u in rated { next[u] = max(min(next[u], 3), -3) }
            v = next
        }
        // Scale: for two reviewers on one comment, E[e·e'] − intercept variance = f·f'·E[side²].
        let sideSquare = zip(grid, model.sidePrior).reduce(0) { $0 + $1.0 * $1.0 * $1.1 }
        var num = 0.0, den = 0.0
        for c in 0..<commentCount where ratingsByComment[c].count >= 2 {
            let rs = ratingsByComment[c]
            for i in 0..<rs.count {
                for j in (i + 1)..<rs.count {
                    let a = rs[i], b = rs[j]
                    let product = v[a.u] * v[b.u]
                    num += (residual(a.u, a.v) * residual(b.u, b.v) - t2) * product
                    den += product * product
                }
            }
        }
        guard den > 0, num > 0, sideSquare > 0.05 else {
            for u in records.indices { qualityFactor[u] = 0 }
            return
        }
        let kappa = (num / (den * sideSquare)).squareRoot()
        for u in records.indices { qualityFactor[u] = v[u] * kappa }
    }

    /// The noise of a rating (pooled spread within comments, which includes what taste explains, so the estimate
    /// errs on the modest side) and the spread of comment intercepts: the parameters of
    /// `ModelState.qualitySideLogLikelihood` besides the reviewer factors.
    func learnRatingSpreads(ratingsByComment: [[(u: Int, v: Double)]], mu: Double) -> (noise: Double, intercept: Double)? {
        var within = 0.0, dof = 0.0, means: [Double] = [], sizes = 0.0
        for c in 0..<commentCount where ratingsByComment[c].count >= 2 {
            let r = ratingsByComment[c].map { $0.v - mu - qualityBias[$0.u] }
            let m = r.reduce(0, +) / Double(r.count)
            within += r.reduce(0) { $0 + ($1 - m) * ($1 - m) }
            dof += Double(r.count - 1)
            means.append(m)
            sizes += Double(r.count)
        }
        guard dof >= 50, means.count >= 50 else { return nil }
        let noise = within / dof
        guard noise > 1e-9 else { return nil }
        let meanOfMeans = means.reduce(0, +) / Double(means.count)
        let between = means.reduce(0) { $0 + ($1 - meanOfMeans) * ($1 - meanOfMeans) } / Double(means.count - 1)
        let spread = max(between - noise / (sizes / Double(means.count)), 0.01 * noise)
        return (noise.squareRoot(), spread.squareRoot())
    }
}
