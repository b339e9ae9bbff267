import Foundation
import ReviewEngine
import Testing

@Suite("Approvers of abuse, queue deadlines, the optional extra review")
struct SupplyAndApproverTests {
    let engine = Engine()

    @Test("a reviewer never seen to catch an uncivil comment counts less on civil votes until they do")
    func approverUntilCleared() {
        // Same clean record on civil comments; only the second has caught uncivil comments.
        let unknown = reviewer(1, civilAgreed: 40, civilDisagreed: 2, uncivilAgreed: 0, uncivilDisagreed: 0)
        let cleared = reviewer(2, civilAgreed: 40, civilDisagreed: 2, uncivilAgreed: 4, uncivilDisagreed: 0)
        let pUnknown = engine.approverProbability(of: unknown, sensitivityIfNot: engine.reliability(of: unknown).sensitivity)
        let pCleared = engine.approverProbability(of: cleared, sensitivityIfNot: engine.reliability(of: cleared).sensitivity)
        #expect(abs(pUnknown - engine.model.approverShare) < 1e-9)
        #expect(pCleared < 0.001)
        let wUnknown = engine.reliability(of: unknown).weight(of: .civil)
        let wCleared = engine.reliability(of: cleared).weight(of: .civil)
        #expect(wUnknown < 0 && wCleared < wUnknown)
    }

    @Test("a reviewer who keeps passing uncivil audits is found out as an approver")
    func approverFoundOut() {
        var r = reviewer(3, civilAgreed: 60, civilDisagreed: 3, uncivilAgreed: 0, uncivilDisagreed: 0)
        r.audits.uncivilDisagreed = 3
        let rel = engine.reliability(of: r)
        #expect(engine.approverProbability(of: r, sensitivityIfNot: 0.8) > 0.95)
        #expect(rel.sensitivity < 0.3)
        // Their civil vote then says almost nothing about a comment being civil.
        #expect(abs(rel.weight(of: .civil)) < 0.3)
    }

    @Test("approverSensitivity 0 turns the check off")
    func approverCheckOff() {
        var s = Settings()
        s.approverSensitivity = 0
        let off = Engine(settings: s)
        let r = reviewer(4, civilAgreed: 40, civilDisagreed: 2, uncivilAgreed: 0, uncivilDisagreed: 0)
        #expect(off.approverProbability(of: r, sensitivityIfNot: 0.8) == 0)
        #expect(off.reliability(of: r).weight(of: .civil) < engine.reliability(of: r).weight(of: .civil))
    }

    @Test("a comment near its deadline goes to the front of the queue, oldest first")
    func deadlineFirst() {
        var me = ReviewerRecord(reviewerID: 1)
        me.reviewsGiven = 100
        let urgentAge = engine.settings.maximumWait * engine.settings.urgentAfterWaitShare + 60
        let cs = [
            QueueCandidate(commentID: 1, authorID: 2, articleID: 1, submittedAt: t0.addingTimeInterval(-60),
                           reviewerIDs: [], reviewsStillNeeded: 0.4),
            QueueCandidate(commentID: 2, authorID: 3, articleID: 2, submittedAt: t0.addingTimeInterval(-urgentAge),
                           reviewerIDs: [], reviewsStillNeeded: 3.5),
            QueueCandidate(commentID: 3, authorID: 4, articleID: 3, submittedAt: t0.addingTimeInterval(-urgentAge - 600),
                           reviewerIDs: [], reviewsStillNeeded: 2.5),
        ]
        let pick = engine.pick(for: me, candidates: cs, audits: [], now: t0, entropy: 5)
        #expect(pick?.commentID == 3)
        // Still never the reviewer's own comment, however urgent.
        var mine = cs
        mine[2].authorID = 1
        mine[1].reviewerIDs = [1]
        #expect(engine.pick(for: me, candidates: mine, audits: [], now: t0, entropy: 5)?.commentID == 1)
        // Turned off, closeness to a decision decides again.
        var s = Settings()
        s.urgentAfterWaitShare = 0
        #expect(Engine(settings: s).pick(for: me, candidates: cs, audits: [], now: t0, entropy: 5)?.commentID == 1)
    }

    @Test("extra optional reviews are asked when the queue is long, never of muted or banned reviewers")
    func extraReview() {
        var me = ReviewerRecord(reviewerID: 1)
        let long = engine.settings.askExtraReviewWhenWaiting
        #expect(engine.reviewsToAsk(of: me, waiting: long, now: t0) == (3, 1))
        #expect(engine.reviewsToAsk(of: me, waiting: long - 1, now: t0) == (3, 0))
        #expect(engine.reviewsToAsk(of: me, waiting: 3 * long, now: t0) == (3, 2))
        #expect(engine.reviewsToAsk(of: me, waiting: 9 * long - 1, now: t0) == (3, 2))
        #expect(engine.reviewsToAsk(of: me, waiting: 9 * long, now: t0) == (3, 3), "a long backlog asks a third")
        #expect(engine.reviewsToAsk(of: me, waiting: 100 * long, now: t0) == (3, engine.settings.maximumExtraReviews))
        var two = engine
        two.settings.maximumExtraReviews = 2
        #expect(two.reviewsToAsk(of: me, waiting: 100 * long, now: t0) == (3, 2))
        // A short queue whose oldest comment nears its deadline (a quiet site) is worth an extra review too.
        let late = t0.addingTimeInterval(-engine.settings.maximumWait * engine.settings.urgentAfterWaitShare - 1)
        #expect(engine.reviewsToAsk(of: me, waiting: 2, oldestWaitingSince: late, now: t0) == (3, 1))
        #expect(engine.reviewsToAsk(of: me, waiting: 2, oldestWaitingSince: t0, now: t0) == (3, 0))
        // Not once the site spends nearly its review budget.
        #expect(engine.reviewsToAsk(of: me, waiting: 3 * long, reviewsPerComment: 3.02, now: t0) == (3, 0))
        #expect(engine.reviewsToAsk(of: me, waiting: 3 * long, reviewsPerComment: 2.5, now: t0) == (3, 2))
        me.standing = .muted
        #expect(engine.reviewsToAsk(of: me, waiting: long, now: t0) == (3, 0))
        me.reviewBannedUntil = t0.addingTimeInterval(60)
        #expect(engine.reviewsToAsk(of: me, waiting: long, now: t0) == (0, 0))
    }

    @Test("a stored model from before the approver share still decodes")
    func oldModelDecodes() throws {
        let data = try JSONEncoder().encode(ModelState())
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object.removeValue(forKey: "learnedApproverShare")
        let old = try JSONSerialization.data(withJSONObject: object)
        let model = try JSONDecoder().decode(ModelState.self, from: old)
        #expect(model.approverShare == 0.1)
    }
}

@Suite("Withholding on one vote")
struct OneVoteTests {
    let engine = Engine()

    @Test("one uncivil vote withholds only when the chance is very high; a second agreeing vote withholds at the usual bar")
    func secondUncivilVote() {
        var author = AuthorRecord(authorID: 999)
        author.published = 3
        let c = comment(score: 0.5)  // a pre-screen score that raises some doubt
        let strong = (1...3).map { reviewer(UserID($0), civilAgreed: 120, civilDisagreed: 4, uncivilAgreed: 20, uncivilDisagreed: 1) }
        let one = engine.decide(c, reviews: [review(1, by: 1, .uncivil)], author: author, reviewers: strong, now: t0)
        #expect(one.probabilityUncivil >= engine.settings.withholdAtLeast)
        #expect(one.probabilityUncivil < engine.settings.withholdOnOneUncivilVoteAtLeast)
        #expect(one.verdict == .needsMoreReviews)
        let two = engine.decide(c, reviews: [review(1, by: 1, .uncivil), review(2, by: 2, .uncivil)], author: author,
                                reviewers: strong, now: t0)
        #expect(two.verdict == .withhold)
        #expect(two.rule == .peersFoundUncivil)
        // Turned off, one vote withholds at the usual bar.
        var s = Settings()
        s.withholdOnOneUncivilVoteAtLeast = 0
        let off = Engine(settings: s).decide(c, reviews: [review(1, by: 1, .uncivil)], author: author, reviewers: strong, now: t0)
        #expect(off.verdict == .withhold)
    }
}

@Suite("Stored settings")
struct StoredSettingsTests {
    @Test("settings saved before new ones were added still decode, and keep what was saved")
    func oldSettingsDecode() throws {
        var saved = Settings()
        saved.publishAtMost = 0.002
        let data = try JSONEncoder().encode(saved)
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ["withholdOnOneUncivilVoteAtLeast", "approverSensitivity", "urgentAfterWaitShare",
                    "askExtraReviewWhenWaiting", "requiredReviews", "reviewBudgetPerComment",
                    "auditShareUntilCleared", "clearedApproverBelow"] {
            #expect(object.removeValue(forKey: key) != nil)
        }
        let decoded = try JSONDecoder().decode(Settings.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(decoded.publishAtMost == 0.002)
        #expect(decoded.urgentAfterWaitShare == Settings().urgentAfterWaitShare)
        #expect(try JSONDecoder().decode(Settings.self, from: JSONEncoder().encode(saved)) == saved)
    }
}
