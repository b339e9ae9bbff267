import Foundation

import ReviewEngine

/// The two policies compared on the same community.
public enum PolicyKind: String, Sendable, Codable, CaseIterable {
    /// The review engine: reliability weights, bridging, audits, trust, timeouts, sanctions.
    case engine
    /// Three reviews, oldest comment first, majority decides; timeouts go to moderators.
    case majorityOfThree = "majority-of-3"
}

struct SimComment {
    enum State { case pending, publishedUnderReview, published, withheld, moderated }
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
    var state: State = .pending
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
    /// Reviews given per account, and the index of the last one that carried weight.
    var reviewsByAccount: [Int] = []
    var lastCountedByAccount: [Int] = []

    var queue: [QueueCandidate] = []
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
            let state = comments[c].state
            if state != .pending && state != .publishedUnderReview { submissionCursor += 1; continue }
            guard comments[c].submitted + maxWaitMinutes <= t else { break }
            submissionCursor += 1
            let saved = now
            now = comments[c].submitted + maxWaitMinutes + 1e-6
            timeOut(c)
            now = saved
        }
        if policy == .engine && settledSinceRefit >= scenario.refitEvery { refit() }
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
        if policy == .engine {
            if authors[me].trust == .trusted && !rng.chance(scenario.trustedReviewRate) { return }
            if reviewers[me].isBanned(at: date) { return }
        }
        var recent: [QueuePick] = []
        var count = 3
        if policy == .engine {
            var oldest: Double?
            for q in queue where !q.alreadyPublished {
                let t = q.submittedAt.timeIntervalSinceReferenceDate
                if oldest == nil || t < oldest! { oldest = t }
            }
            // The recent review budget is not passed: the extra reviews matter most in a new site's first weeks,
            // when nobody is trusted yet and every commenter reviews, so a recent average is above three exactly
            // when they are needed; trusted authors' skipped reviews pay it back (see docs/moderation-quality.md).
            let ask = engine.reviewsToAsk(of: reviewers[me], waiting: queue.count,
                                          oldestWaitingSince: oldest.map { Date(timeIntervalSinceReferenceDate: $0) },
                                          now: date)
            count = ask.required
            for _ in 0..<ask.optional where rng.chance(scenario.extraReviewRate) { count += 1 }
        }
        for _ in 0..<count {
            guard let pick = nextPick(for: account, recent: recent) else { return }
            recent.append(pick)
            let c = Int(pick.commentID - 1)
            let p = community.persons[person]
            let vote = community.civilityVote(p, uncivil: comments[c].uncivil, viewpoint: comments[c].viewpoint, s: scenario, &rng)
            let quality = community.qualityVote(p, quality: comments[c].quality, viewpoint: comments[c].viewpoint, &rng)
            reviewID += 1
            let review = Review(id: reviewID, commentID: pick.commentID, reviewerID: account, civility: vote,
                                quality: quality, submittedAt: date)
            totalReviews += 1
            reviewsByAccount[me] += 1
            if policy == .engine { reviewers[me] = engine.recordReviewGiven(by: reviewers[me]) }
            if pick.isAudit {
                auditReviews += 1
                gradeAudit(review, comment: c)
            } else {
                if counts(account) { lastCountedByAccount[me] = reviewsByAccount[me]; countedReviews += 1 }
                comments[c].reviews.append(review)
                if let q = queuePosition[pick.commentID] { queue[q].reviewerIDs.append(account) }
                decide(c)
            }
        }
    }

    /// Whether a review by this account would carry weight now.
    func counts(_ account: UserID) -> Bool {
        guard policy == .engine else { return true }
        let r = reviewers[Int(account)]
        if r.standing == .muted || r.isBanned(at: date) { return false }
        return engine.reliability(of: r).accuracyLogit > 0
    }

    func nextPick(for account: UserID, recent: [QueuePick]) -> QueuePick? {
        switch policy {
        case .engine:
            return engine.pick(for: reviewers[Int(account)], candidates: queue, audits: audits, recentPicks: recent,
                               now: date, entropy: rng.next())
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
        for s in update.sanctions { sanctionCounts[s.kind, default: 0] += 1 }
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
        comments.append(c)
        let index = comments.count - 1
        comments[index].authorPublished = authors[Int(p.account)].published
        comments[index].authorRejected = authors[Int(p.account)].rejected
        submissionOrder.append(index)
        queuePosition[c.id] = queue.count
        queue.append(QueueCandidate(
            commentID: c.id, authorID: c.authorID, articleID: c.article, submittedAt: date, reviewerIDs: [],
            reviewsStillNeeded: 3, alreadyPublished: false, authorPublished: authors[Int(c.authorID)].published))
        if policy == .engine { decide(index) }
    }

    func underReview(_ c: Int) -> CommentUnderReview {
        let s = comments[c]
        return CommentUnderReview(id: s.id, authorID: s.authorID, articleID: s.article, submittedAt: date(s.submitted),
                                  preScreenScore: s.preScreen, selfRating: s.selfRating)
    }

    func decide(_ c: Int) {
        switch policy {
        case .engine:
            // The author's own reviewer record is passed too: how they review is evidence about what they write.
            let records = comments[c].reviews.map { reviewers[Int($0.reviewerID)] } + [reviewers[Int(comments[c].authorID)]]
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
            switch d.verdict {
            case .publish:
                if comments[c].state == .pending { comments[c].decidedAt = now; comments[c].everPublished = true }
                if d.rule == .trustedAuthor {
                    comments[c].state = .publishedUnderReview
                    if let q = queuePosition[comments[c].id] { queue[q].alreadyPublished = true }
                } else {
                    finalPublish(c)
                }
            case .withhold:
                withhold(c)
            case .needsMoreReviews:
                break
            }
        case .majorityOfThree:
            let votes = comments[c].reviews
            guard votes.count >= 3 else { return }
            let uncivil = votes.filter { $0.civility == .uncivil }.count
            comments[c].rule = "majority"
            if uncivil * 2 > votes.count {
                withhold(c)
            } else {
                comments[c].decidedAt = now
                comments[c].everPublished = true
                finalPublish(c)
            }
        }
    }

    func timeOut(_ c: Int) {
        if comments[c].state == .publishedUnderReview {
            finalPublish(c)
            return
        }
        switch policy {
        case .engine: decide(c)
        case .majorityOfThree:
            comments[c].rule = "timedOut"
            withhold(c)
        }
        if comments[c].state == .pending { withhold(c) }  // cannot happen: the engine decides at the timeout
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

    func finalPublish(_ c: Int) {
        comments[c].state = .published
        removeFromQueue(c)
        settle(c, outcome: .published(probabilityUncivil: comments[c].lastP))
    }

    func withhold(_ c: Int) {
        if comments[c].decidedAt == nil { comments[c].decidedAt = now }
        comments[c].state = .withheld
        removeFromQueue(c)
        moderatorEvents.append((now + scenario.moderatorDelayMinutes, c))
    }

    func moderate(_ c: Int) {
        comments[c].seenByModerator = true
        comments[c].state = .moderated
        let verdict: CivilityVote = comments[c].uncivil ? .uncivil : .civil
        if verdict == .civil { comments[c].everPublished = true }
        settle(c, outcome: .moderatorVerdict(verdict))
        if policy == .engine {
            audits.append(AuditCandidate(commentID: comments[c].id, authorID: comments[c].authorID,
                                         articleID: comments[c].article, verdict: verdict, reviewerIDs: comments[c].reviews.map(\.reviewerID)))
            if audits.count > 600 { audits.removeFirst(audits.count - 600) }
        }
    }

    func settle(_ c: Int, outcome: Outcome) {
        let author = Int(comments[c].authorID)
        if policy == .engine {
            let records = comments[c].reviews.map { reviewers[Int($0.reviewerID)] }
            for u in engine.settle(reviews: comments[c].reviews, reviewers: records, authorID: comments[c].authorID,
                                   outcome: outcome, now: date) {
                apply(u)
            }
            settled.append(c)
            settledSinceRefit += 1
        }
        let update = engine.authorOutcome(outcome, author: authors[author],
                                          reviewer: policy == .engine ? reviewers[author] : nil, now: date)
        var record = update.record
        if policy == .majorityOfThree { record.trust = .regular }
        authors[author] = record
        for s in update.sanctions { sanctionCounts[s.kind, default: 0] += 1 }
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
        for s in result.sanctions { sanctionCounts[s.kind, default: 0] += 1 }
    }
}
