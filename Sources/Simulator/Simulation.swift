import Foundation

import ReviewEngine

/// The two policies compared on the same community.
public enum PolicyKind: String, Sendable, Codable, CaseIterable {
    /// The review engine: reliability weights, bridging, audits, trust, timeouts, sanctions.
    case engine
    /// Three reviews, oldest comment first, majority decides; timeouts go to moderators.
    case majorityOfThree = "majority-of-3"
    /// The engine's decision rules fed every reviewer's true sensitivity and specificity (what the engine has to
    /// learn): a miss the oracle shares is one three reviews cannot avoid, not one of learning.
    case oracle

    /// The two policies a scenario is compared under unless the oracle is asked for too.
    public static let standard: [PolicyKind] = [.engine, .majorityOfThree]
}

struct SimComment {
    var id: CommentID
    var person: Int
    var authorID: UserID
    var article: ArticleID
    var viewpoint: Int8
    var uncivil: Bool
    var quality: Double
    var submitted: Double
    var preScreen: Double
    var selfRating: CivilityVote
    var reviews: [Review] = []
    var stage: CommentStage = .pending
    var decidedAt: Double?
    var everPublished = false
    var seenByModerator = false
    var lastP = 0.0
    var authorLogOdds = 0.0
    var authorPublished = 0
    var authorRejected = 0
    /// The rule that published or withheld it (the last one that acted).
    var rule = "pending"
}

/// One policy's run over a scenario. Time is in simulated minutes.
final class Run {
    let scenario: Scenario
    let policy: PolicyKind
    var engine: Engine
    var rng: SeededRandom
    var community: Community
    let progress: (@Sendable (PolicyKind, Double) -> Void)?

    var comments: [SimComment] = []
    var reviewers: [ReviewerRecord] = []
    var authors: [AuthorRecord] = []
    var accountPerson: [Int] = []
    /// Reviews given per account; review turns per account (a review given, or one a muted reviewer was spared
    /// because no audit was due: `Settings.spareRandomVoters`), and the turn of the last review that carried
    /// weight.
    var reviewsByAccount: [Int] = []
    var turnsByAccount: [Int] = []
    var lastCountedByAccount: [Int] = []

    var queue: [QueueCandidate] = []
    /// The oracle's reviewer records (the truth), by account.
    var truthRecords: [UserID: ReviewerRecord] = [:]
    var queuePosition: [CommentID: Int] = [:]
    var submissionOrder: [Int] = []
    var submissionCursor = 0
    var moderatorEvents: [(time: Double, comment: Int)] = []
    var moderatorCursor = 0
    var audits: [AuditCandidate] = []
    var settled: [Int] = []
    var settledSinceRefit = 0
    var reviewID: Int64 = 0
    var now = 0.0
    var articles: [(id: ArticleID, published: Double)] = []
    var nextArticleAt = 0.0

    var totalReviews = 0
    let trace = Int(ProcessInfo.processInfo.environment["QUORUM_SIM_TRACE"] ?? "") ?? 0
    var countedReviews = 0
    var queueLengthSum = 0.0
    var auditReviews = 0
    var refits = 0
    var sanctionCounts: [Sanction.Kind: Int] = [:]
    /// Every sanction in order, when kept (a replay compares them; a full run only counts them).
    var sanctionLog: [Sanction]?

    init(scenario: Scenario, policy: PolicyKind, progress: (@Sendable (PolicyKind, Double) -> Void)?) {
        self.scenario = scenario
        self.policy = policy
        self.progress = progress
        engine = Engine(settings: scenario.engineSettings)
        var communityRNG = SeededRandom(seed: scenario.seed)
        community = Community(scenario, rng: &communityRNG)
        rng = SeededRandom(seed: scenario.seed &* 0x9E37_79B9 &+ 17)
        for i in community.persons.indices { _ = newAccount(for: i) }
        comments.reserveCapacity(scenario.comments)
    }

    var date: Date { Date(timeIntervalSinceReferenceDate: now * 60) }
    func date(_ minutes: Double) -> Date { Date(timeIntervalSinceReferenceDate: minutes * 60) }
    var maxWaitMinutes: Double { engine.settings.maximumWait / 60 }

    func newAccount(for person: Int) -> UserID {
        let id = UserID(reviewers.count)
        reviewers.append(ReviewerRecord(reviewerID: id))
        authors.append(AuthorRecord(authorID: id))
        accountPerson.append(person)
        reviewsByAccount.append(0)
        turnsByAccount.append(0)
        lastCountedByAccount.append(0)
        community.persons[person].account = id
        return id
    }

    // MARK: The timeline

    func run() -> [SimComment] {
        let gap = 1440 / scenario.commentsPerDay
        let step = max(1, scenario.comments / 100)
        for i in 0..<scenario.comments {
            now += rng.exponential(mean: gap)
            advance(to: now)
            publishArticles()
            let person = chooseAuthor()
            reviewDuty(of: person)
            submitComment(by: person)
            if i % step == 0 { progress?(policy, Double(i) / Double(scenario.comments)) }
            queueLengthSum += Double(queue.count)
        }
        drain()
        progress?(policy, 1)
        return comments
    }

    /// Moderator verdicts and timeouts due by `t`.
    func advance(to t: Double) {
        while moderatorCursor < moderatorEvents.count && moderatorEvents[moderatorCursor].time <= t {
            let e = moderatorEvents[moderatorCursor]
            moderatorCursor += 1
            let saved = now
            now = e.time
            moderate(e.comment)
            now = saved
        }
        while submissionCursor < submissionOrder.count {
            let c = submissionOrder[submissionCursor]
            if !comments[c].stage.isUnderReview { submissionCursor += 1; continue }
            guard comments[c].submitted + maxWaitMinutes <= t else { break }
            submissionCursor += 1
            let saved = now
            now = comments[c].submitted + maxWaitMinutes + 1e-6
            timeOut(c)
            now = saved
        }
        if policy != .majorityOfThree && settledSinceRefit >= scenario.refitEvery { refit() }
    }

    /// After the last comment: no more reviewers arrive, so what is pending times out.
    func drain() {
        var t = now
        while submissionCursor < submissionOrder.count || moderatorCursor < moderatorEvents.count {
            t += 60
            advance(to: t)
        }
        now = t
    }

    func publishArticles() {
        while nextArticleAt <= now {
            articles.append((ArticleID(articles.count + 1), nextArticleAt))
            nextArticleAt += 1440 / scenario.articlesPerDay
        }
    }

    func chooseArticle() -> ArticleID {
        let lifetime = scenario.articleLifetimeDays * 1440
        var first = articles.count - 1
        while first > 0 && now - articles[first - 1].published <= lifetime { first -= 1 }
        return articles[first + rng.below(articles.count - first)].id
    }

    func inWave() -> Bool {
        let day = now / 1440
        return scenario.waveDays > 0 && day >= scenario.waveStartDay && day < scenario.waveStartDay + scenario.waveDays
    }

    /// Someone who may comment now; a banned troll comes back under a new account.
    func chooseAuthor() -> Int {
        for _ in 0..<50 {
            let p: Int
            if inWave() && !community.trolls.isEmpty && rng.chance(scenario.waveTrollCommentShare) {
                p = community.trolls[rng.below(community.trolls.count)]
            } else {
                p = community.chooseAuthor(&rng)
            }
            let account = community.persons[p].account
            if authors[Int(account)].mayComment(at: date) { return p }
            if community.persons[p].kind == .troll {
                _ = newAccount(for: p)
                return p
            }
        }
        return community.chooseAuthor(&rng)
    }

    // MARK: Reviewing

    func reviewDuty(of person: Int) {
        let account = community.persons[person].account
        let me = Int(account)
        if policy != .majorityOfThree {
            if authors[me].trust == .trusted && !rng.chance(scenario.trustedReviewRate) { return }
            if record(account).isBanned(at: date) { return }
        }
        var recent: [QueuePick] = []
        var count = 3
        if policy != .majorityOfThree {
            var oldest: Double?
            for q in queue where !q.alreadyPublished {
                let t = q.submittedAt.timeIntervalSinceReferenceDate
                if oldest == nil || t < oldest! { oldest = t }
            }
            // The recent review budget is not passed: the extra reviews matter most in a new site's first weeks,
            // when nobody is trusted yet and every commenter reviews, so a recent average is above three exactly
            // when they are needed; trusted authors' skipped reviews pay it back (see docs/moderation-quality.md).
            let ask = engine.reviewsToAsk(of: record(account), waiting: queue.count,
                                          oldestWaitingSince: oldest.map { Date(timeIntervalSinceReferenceDate: $0) },
                                          now: date)
            count = ask.required
            for _ in 0..<ask.optional where rng.chance(scenario.extraReviewRate) { count += 1 }
        }
        for k in 0..<count {
            guard let pick = nextPick(for: account, recent: recent) else {
                // A muted reviewer with no audit due is spared the rest: those turns passed without a vote counting.
                if policy != .majorityOfThree && record(account).standing == .muted && !queue.isEmpty {
                    turnsByAccount[me] += count - k
                }
                return
            }
            recent.append(pick)
            let c = Int(pick.commentID - 1)
            let p = community.persons[person]
            let vote = community.civilityVote(p, uncivil: comments[c].uncivil, viewpoint: comments[c].viewpoint, s: scenario, &rng)
            let quality = community.qualityVote(p, quality: comments[c].quality, viewpoint: comments[c].viewpoint, &rng)
            reviewID += 1
            let review = Review(id: reviewID, commentID: pick.commentID, reviewerID: account, civility: vote,
                                quality: quality, submittedAt: date)
            receive(review, isAudit: pick.isAudit, comment: c)
        }
    }

    /// One review arrives: it is counted, graded if it is an audit, or added to the comment, which is decided again.
    func receive(_ review: Review, isAudit: Bool, comment c: Int) {
        let account = review.reviewerID
        let me = Int(account)
        totalReviews += 1
        reviewsByAccount[me] += 1
        turnsByAccount[me] += 1
        if policy != .majorityOfThree { reviewers[me] = engine.recordReviewGiven(by: reviewers[me]) }
        if isAudit {
            auditReviews += 1
            gradeAudit(review, comment: c)
        } else {
            if counts(account) { lastCountedByAccount[me] = turnsByAccount[me]; countedReviews += 1 }
            comments[c].reviews.append(review)
            if let q = queuePosition[review.commentID] { queue[q].reviewerIDs.append(account) }
            decide(c)
        }
    }

    /// The reviewer record decisions and the queue see: what the engine learned, or for the oracle the truth.
    func record(_ account: UserID) -> ReviewerRecord {
        guard policy == .oracle else { return reviewers[Int(account)] }
        if let known = truthRecords[account] { return known }
        let truth = trueRecord(account)
        truthRecords[account] = truth
        return truth
    }

    /// A record whose reliability is the person's true sensitivity and specificity, as if judged on thousands of
    /// outcomes. A brigade member's specificity is averaged over the comments they see (the oracle knows how
    /// often they vote against viewpoint B, not which comments those are).
    func trueRecord(_ account: UserID) -> ReviewerRecord {
        let p = community.persons[accountPerson[Int(account)]]
        let (sensitivity, specificity): (Double, Double)
        switch p.kind {
        case .honest: (sensitivity, specificity) = (p.accuracy, p.accuracy)
        case .lazy: (sensitivity, specificity) = (0.5, 0.5)
        case .brigade:
            let shareB = scenario.viewpointB
            (sensitivity, specificity) = (p.accuracy, p.accuracy * (1 - scenario.brigadeRate * shareB))
        case .approver, .troll: (sensitivity, specificity) = ((1 - scenario.approverRate) * p.accuracy, p.accuracy)
        }
        let n = 2000.0
        var r = ReviewerRecord(reviewerID: account)
        r.outcomes.civilAgreed = n * specificity
        r.outcomes.civilDisagreed = n * (1 - specificity)
        r.outcomes.uncivilAgreed = n * sensitivity
        r.outcomes.uncivilDisagreed = n * (1 - sensitivity)
        r.reviewsGiven = Int(4 * n)
        // A coin: the priors would otherwise leave it a hair better than chance, and its votes would count.
        if p.kind == .lazy { r.standing = .muted }
        return r
    }

    /// Whether a review by this account would carry weight now.
    func counts(_ account: UserID) -> Bool {
        guard policy != .majorityOfThree else { return true }
        let r = record(account)
        if r.standing == .muted || r.isBanned(at: date) { return false }
        return engine.reliability(of: r).accuracyLogit > 0
    }

    func nextPick(for account: UserID, recent: [QueuePick]) -> QueuePick? {
        switch policy {
        case .engine, .oracle:
            return engine.pick(for: record(account), candidates: queue, audits: audits, recentPicks: recent,
                               now: date, entropy: rng.next(),
                               auditSpending: AuditSpending(audits: auditReviews, reviews: totalReviews))
        case .majorityOfThree:
            var best: QueueCandidate?
            for c in queue where c.authorID != account && !c.reviewerIDs.contains(account) {
                if best == nil || c.submittedAt < best!.submittedAt { best = c }
            }
            return best.map {
                QueuePick(commentID: $0.commentID, authorID: $0.authorID, articleID: $0.articleID, isAudit: false,
                          anonymiseAuthor: false, reason: "oldest")
            }
        }
    }

    func gradeAudit(_ review: Review, comment c: Int) {
        let verdict: CivilityVote = comments[c].uncivil ? .uncivil : .civil
        let me = Int(review.reviewerID)
        let update = engine.grade(audit: review, verdict: verdict, reviewer: reviewers[me], now: date)
        apply(update)
        if let i = audits.firstIndex(where: { $0.commentID == review.commentID }) {
            audits[i].reviewerIDs.append(review.reviewerID)
        }
    }

    func apply(_ update: ReliabilityUpdate) {
        reviewers[Int(update.reviewerID)] = update.record
        record(update.sanctions)
    }

    func record(_ sanctions: [Sanction]) {
        for s in sanctions { sanctionCounts[s.kind, default: 0] += 1 }
        sanctionLog?.append(contentsOf: sanctions)
    }

    // MARK: Comments

    func submitComment(by person: Int) {
        let p = community.persons[person]
        let rate = p.kind == .troll ? community.trollUncivilRate : community.regularUncivilRate
        let uncivil = rng.chance(rate)
        let r = rng.uniform()
        let viewpoint: Int8 = r < scenario.viewpointA ? -1 : (r < scenario.viewpointA + scenario.viewpointB ? 1 : 0)
        let quality = uncivil ? rng.uniform(0...0.3) : rng.uniform()
        let x = (uncivil ? scenario.preScreenUncivilMean : scenario.preScreenCivilMean) + scenario.preScreenSpread * rng.normal()
        let admit = uncivil ? (p.kind == .troll ? scenario.selfAdmitTroll : scenario.selfAdmitRegular) : scenario.selfFalseAlarm
        let selfRating: CivilityVote = rng.chance(admit) ? .uncivil : .civil
        let c = SimComment(
            id: CommentID(comments.count + 1), person: person, authorID: p.account, article: chooseArticle(),
            viewpoint: viewpoint, uncivil: uncivil, quality: quality, submitted: now,
            preScreen: 1 / (1 + exp(-x)), selfRating: selfRating)
        enter(c)
    }

    /// A submitted comment enters the world: the author's record at the time is kept, it joins the review queue,
    /// and the engine decides (a trusted author's is published at once).
    func enter(_ c: SimComment) {
        comments.append(c)
        let index = comments.count - 1
        comments[index].authorPublished = authors[Int(c.authorID)].published
        comments[index].authorRejected = authors[Int(c.authorID)].rejected
        submissionOrder.append(index)
        queuePosition[c.id] = queue.count
        queue.append(QueueCandidate(
            commentID: c.id, authorID: c.authorID, articleID: c.article, submittedAt: date, reviewerIDs: [],
            reviewsStillNeeded: 3, alreadyPublished: false, authorPublished: authors[Int(c.authorID)].published))
        if policy != .majorityOfThree { decide(index) }
    }

    func underReview(_ c: Int) -> CommentUnderReview {
        let s = comments[c]
        return CommentUnderReview(id: s.id, authorID: s.authorID, articleID: s.article, submittedAt: date(s.submitted),
                                  preScreenScore: s.preScreen, selfRating: s.selfRating)
    }

    func decide(_ c: Int) {
        switch policy {
        case .engine, .oracle:
            // The author's own reviewer record is passed too: how they review is evidence about what they write.
            let records = comments[c].reviews.map { record($0.reviewerID) } + [record(comments[c].authorID)]
            let d = engine.decide(underReview(c), reviews: comments[c].reviews, author: authors[Int(comments[c].authorID)],
                                  reviewers: records, now: date)
            comments[c].lastP = d.probabilityUncivil
            if trace > 0 && !comments[c].uncivil && (d.rule == .peersCouldNotAgree || d.rule == .timedOut) && comments[c].id % Int64(trace) == 0 {
                var line = "[\(comments[c].uncivil ? "UNCIVIL" : "civil") v\(comments[c].viewpoint) t=\(Int(now))] \(d.explanation.summary)\n"
                for e in d.explanation.evidence { line += "   \(e.note) (\(e.logOdds))\n" }
                for r in d.explanation.reviews { line += "   \(community.persons[accountPerson[Int(r.reviewerID)]].kind) \(r.vote) \(r.note)\n" }
                FileHandle.standardError.write(Data(line.utf8))
            }
            if d.verdict != .needsMoreReviews { comments[c].rule = d.rule.rawValue }
            comments[c].authorLogOdds = d.explanation.authorLogOdds
            if let q = queuePosition[comments[c].id] { queue[q].reviewsStillNeeded = d.reviewsStillNeeded }
            apply(lifecycle(c, .decided(d)), to: c)
        case .majorityOfThree:
            let votes = comments[c].reviews
            guard votes.count >= 3 else { return }
            let uncivil = votes.filter { $0.civility == .uncivil }.count
            comments[c].rule = "majority"
            if uncivil * 2 > votes.count {
                apply(baseline(c, to: .withheld, outcome: nil), to: c)
            } else {
                apply(baseline(c, to: .published, outcome: .published(probabilityUncivil: 0)), to: c)
            }
        }
    }

    /// The engine's lifecycle step for comment `c`: what `event` changes, given the world's current records.
    func lifecycle(_ c: Int, _ event: LifecycleEvent) -> LifecycleEffects {
        let s = comments[c]
        let author = Int(s.authorID)
        let records = LifecycleRecords(reviews: s.reviews, reviewers: s.reviews.map { reviewers[Int($0.reviewerID)] },
                                       author: authors[author], authorAsReviewer: reviewers[author])
        return engine.lifecycle(s.stage, event: event, submittedAt: date(s.submitted), records: records, now: date)
    }

    /// Majority-of-3 moves comments by its own rule: no reliability, nobody trusted; authors' records still
    /// count published and rejected comments and earn the same commenting sanctions.
    func baseline(_ c: Int, to stage: CommentStage, outcome: Outcome?) -> LifecycleEffects {
        let author = Int(comments[c].authorID)
        let settlement = outcome.map { outcome -> Settlement in
            var update = engine.authorOutcome(outcome, author: authors[author], reviewer: nil, now: date)
            update.record.trust = .regular
            update.sanctions.removeAll { $0.kind == .trustGranted || $0.kind == .trustLost }
            return Settlement(outcome: outcome, reliability: [], author: update)
        }
        return LifecycleEffects(from: comments[c].stage, stage: stage, decidedBy: nil, settlement: settlement)
    }

    /// Applies a lifecycle step to the world: visibility, the queue, moderators, reviewers' and the author's records.
    func apply(_ effects: LifecycleEffects, to c: Int) {
        let from = effects.from
        comments[c].stage = effects.stage
        if effects.stageChanged {
            switch effects.stage {
            case .pending:
                break
            case .publishedUnderReview:
                if from == .pending { comments[c].decidedAt = now; comments[c].everPublished = true }
                if let q = queuePosition[comments[c].id] { queue[q].alreadyPublished = true }
            case .published:
                if from == .pending { comments[c].decidedAt = now; comments[c].everPublished = true }
                removeFromQueue(c)
            case .withheld:
                if comments[c].decidedAt == nil { comments[c].decidedAt = now }
                removeFromQueue(c)
                moderatorEvents.append((now + scenario.moderatorDelayMinutes, c))
            case .approved, .rejected:
                comments[c].seenByModerator = true
                if effects.stage == .approved { comments[c].everPublished = true }
                removeFromQueue(c)
            }
        }
        guard let settlement = effects.settlement else { return }
        for u in settlement.reliability { apply(u) }
        if policy != .majorityOfThree {
            settled.append(c)
            settledSinceRefit += 1
        }
        authors[Int(comments[c].authorID)] = settlement.author.record
        record(settlement.author.sanctions)
    }

    func timeOut(_ c: Int) {
        switch policy {
        case .engine, .oracle: decide(c)
        case .majorityOfThree:
            comments[c].rule = "timedOut"
            apply(baseline(c, to: .withheld, outcome: nil), to: c)
        }
    }

    func removeFromQueue(_ c: Int) {
        guard let q = queuePosition.removeValue(forKey: comments[c].id) else { return }
        let last = queue.count - 1
        if q != last {
            queue[q] = queue[last]
            queuePosition[queue[q].commentID] = q
        }
        queue.removeLast()
    }

    /// A moderator looks at a withheld comment and gives the true verdict.
    func moderate(_ c: Int) {
        let verdict: CivilityVote = comments[c].uncivil ? .uncivil : .civil
        switch policy {
        case .engine, .oracle:
            apply(lifecycle(c, .moderated(verdict)), to: c)
            audits.append(AuditCandidate(commentID: comments[c].id, authorID: comments[c].authorID,
                                         articleID: comments[c].article, verdict: verdict, reviewerIDs: comments[c].reviews.map(\.reviewerID)))
            if audits.count > 600 { audits.removeFirst(audits.count - 600) }
        case .majorityOfThree:
            apply(baseline(c, to: verdict == .civil ? .approved : .rejected, outcome: .moderatorVerdict(verdict)), to: c)
        }
    }

    func refit() {
        settledSinceRefit = 0
        refits += 1
        let window = settled.suffix(scenario.refitWindow)
        let history = window.map { c in
            SettledComment(comment: underReview(c), reviews: comments[c].reviews,
                           moderatorVerdict: comments[c].seenByModerator ? (comments[c].uncivil ? .uncivil : .civil) : nil,
                           authorLogOdds: comments[c].authorLogOdds, authorPublished: comments[c].authorPublished,
                           authorRejected: comments[c].authorRejected)
        }
        let result = engine.refit(history, reviewers: reviewers, now: date)
        engine.model = result.model
        if trace > 0 {
            let m = result.model
            var byKind: [PersonKind: (Double, Double, Int)] = [:]
            for (i, r) in result.reviewers.enumerated() where reviewsByAccount[i] >= 10 {
                let k = community.persons[accountPerson[i]].kind
                let v = byKind[k] ?? (0, 0, 0)
                byKind[k] = (v.0 + r.civilityFactor, v.1 + abs(r.civilityFactor), v.2 + 1)
            }
            var byLeaning: [String: (Double, Int)] = [:]
            for (i, r) in result.reviewers.enumerated() where reviewsByAccount[i] >= 10 {
                let person = community.persons[accountPerson[i]]
                let key = "\(person.kind)/\(Int(person.leaning))"
                let v = byLeaning[key] ?? (0, 0)
                byLeaning[key] = (v.0 + r.qualityFactor, v.1 + 1)
            }
            let qualityFactors = byLeaning.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value.0 / Double($0.value.1)))" }.joined(separator: "; ")
            FileHandle.standardError.write(Data("  quality factors: \(qualityFactors); side scale \(m.qualitySideScale ?? 0) noise \(m.qualityNoise ?? 0) intercepts \(m.qualityInterceptSpread ?? 0)\n".utf8))
            let factors = byKind.map { "\($0.key) mean \(String(format: "%.2f", $0.value.0 / Double($0.value.2))) |f| \(String(format: "%.2f", $0.value.1 / Double($0.value.2)))" }.joined(separator: "; ")
            FileHandle.standardError.write(Data("REFIT t=\(Int(now)) authors r0 \(m.regularAuthorRate) r1 \(m.abusiveAuthorRate) share \(m.abusiveAuthorShare) prescreen \(m.preScreenIntercept) \(m.preScreenSlope) self \(m.selfUncivilGivenUncivil) \(m.selfUncivilGivenCivil) new \(m.newReviewerSensitivity) \(m.newReviewerSpecificity) side \(m.sidePrior.map { String(format: "%.2f", $0) }) base \(m.uncivilShare) approvers \(m.approverShare) new \(m.newApproverShare) established \(m.establishedShare)\n  factors: \(factors)\n".utf8))
        }
        if trace > 0 {
            var u = [Double](repeating: 0, count: ModelState.authorBucketCount), n = u
            for c in window {
                let b = ModelState.authorBucket(published: comments[c].authorPublished, rejected: comments[c].authorRejected)
                n[b] += 1
                if comments[c].uncivil { u[b] += 1 }
            }
            let line = (0..<ModelState.authorBucketCount).filter { n[$0] > 0 }.map {
                "b\($0) n\(Int(n[$0])) true \(String(format: "%.3f", u[$0] / n[$0])) table \(String(format: "%.3f", result.model.authorRateTable[$0]))"
            }.joined(separator: "; ")
            FileHandle.standardError.write(Data("  buckets: \(line)\n".utf8))
        }
        reviewers = result.reviewers
        record(result.sanctions)
    }
}
