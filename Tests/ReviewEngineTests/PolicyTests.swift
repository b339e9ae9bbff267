import Foundation
import ReviewEngine
import Simulator
import Testing

@Suite("Policy rules")
struct PolicyTests {
    let engine = Engine()

    @Test("strong agreeing reviews publish; strong uncivil reviews withhold; one weak review waits")
    func basicVerdicts() {
        let c = comment()
        let author = AuthorRecord(authorID: 999)
        let rs = (1...3).map { reviewer(UserID($0), civilAgreed: 120, civilDisagreed: 4, uncivilAgreed: 20, uncivilDisagreed: 1) }
        let civil = engine.decide(c, reviews: (1...3).map { review(Int64($0), by: UserID($0), .civil) },
                                  author: author, reviewers: rs, now: t0)
        #expect(civil.verdict == .publish)
        #expect(civil.rule == .peersFoundCivil)
        let uncivil = engine.decide(c, reviews: (1...3).map { review(Int64($0), by: UserID($0), .uncivil) },
                                    author: author, reviewers: rs, now: t0)
        #expect(uncivil.verdict == .withhold)
        #expect(uncivil.rule == .peersFoundUncivil)
        let none = engine.decide(c, reviews: [], author: author, reviewers: [], now: t0)
        #expect(none.verdict == .needsMoreReviews)
        #expect(none.reviewsStillNeeded >= 1)
    }

    @Test("a muted reviewer's votes do not count, and the explanation says why")
    func mutedDoesNotCount() {
        var r = reviewer(5)
        r.standing = .muted
        let d = engine.decide(comment(), reviews: [review(1, by: 5, .civil)], author: AuthorRecord(authorID: 999),
                              reviewers: [r], now: t0)
        #expect(d.explanation.reviews[0].status == .reviewerMuted)
        #expect(d.explanation.reviews[0].note.contains("fell below"))
        #expect(d.verdict == .needsMoreReviews)
    }

    @Test("nothing waits forever: timeouts go to moderators, or publish for trusted authors")
    func timeouts() {
        let late = t0.addingTimeInterval(engine.settings.maximumWait + 1)
        var author = AuthorRecord(authorID: 999)
        let d = engine.decide(comment(score: 0.5), reviews: [], author: author, reviewers: [], now: late)
        #expect(d.verdict == .withhold)
        #expect(d.rule == .timedOut)
        author.trust = .trusted
        author.published = 50
        let held = engine.decide(comment(score: 0.9, selfRating: .uncivil), reviews: [], author: author, reviewers: [], now: late)
        #expect(held.verdict == .publish)
        #expect(held.rule == .timedOut)
    }

    @Test("trusted authors are published at once, and peers can still withdraw the comment")
    func trustedAuthor() {
        var author = AuthorRecord(authorID: 999)
        author.trust = .trusted
        author.published = 40
        let now = t0.addingTimeInterval(60)
        // A clean pre-screen score: above `trustedHoldAbove` (0.5%) the comment waits for peers instead.
        let first = engine.decide(comment(score: 0.001), reviews: [], author: author, reviewers: [], now: now)
        #expect(first.verdict == .publish)
        #expect(first.rule == .trustedAuthor)
        let rs = (1...3).map { reviewer(UserID($0), civilAgreed: 120, civilDisagreed: 3, uncivilAgreed: 20, uncivilDisagreed: 1) }
        let withdrawn = engine.decide(comment(score: 0.01), reviews: (1...3).map { review(Int64($0), by: UserID($0), .uncivil) },
                                      author: author, reviewers: rs, now: now)
        #expect(withdrawn.verdict == .withhold)
    }

    @Test("a brigade's votes are discounted on comments of the side they follow")
    func bridgingDiscountsPartisanVotes() {
        var model = ModelState()
        model.sidePrior = [0.05, 0.05, 0.5, 0.05, 0.35]
        let e = Engine(model: model)
        // Brigade members: reliable elsewhere, but their "uncivil" votes follow side +1.
        let brigade = (1...2).map { reviewer(UserID($0), civilAgreed: 60, civilDisagreed: 25, uncivilAgreed: 20, uncivilDisagreed: 1, factor: 3) }
        let honest = reviewer(3, civilAgreed: 120, civilDisagreed: 5, uncivilAgreed: 20, uncivilDisagreed: 1)
        let reviews = [review(1, by: 1, .uncivil), review(2, by: 2, .uncivil), review(3, by: 3, .civil)]
        let bridged = e.decide(comment(), reviews: reviews, author: AuthorRecord(authorID: 999),
                               reviewers: brigade + [honest], now: t0)
        var plain = e
        plain.settings.bridging = false
        let unbridged = plain.decide(comment(), reviews: reviews, author: AuthorRecord(authorID: 999),
                                     reviewers: brigade + [honest], now: t0)
        #expect(bridged.probabilityUncivil < unbridged.probabilityUncivil)
        let first = bridged.explanation.reviews.first { $0.reviewerID == 1 }!
        #expect(first.logOdds < first.undiscountedLogOdds)
        #expect(first.note.contains("follow side"))
    }

    @Test("random voting is caught within 20 reviews, and audits failed while muted escalate bans")
    func randomVoterIsMutedAndBanned() {
        var rng = SeededRandom(seed: 42)
        var r = ReviewerRecord(reviewerID: 1)
        var mutedAt: Int?
        for i in 1...20 {
            let truth: CivilityVote = rng.chance(0.1) ? .uncivil : .civil
            let vote: CivilityVote = rng.chance(0.5) ? .civil : .uncivil
            r.reviewsGiven += 1
            let u = engine.settle(reviews: [review(Int64(i), by: 1, vote)], reviewers: [r], authorID: 999,
                                  outcome: .moderatorVerdict(truth), now: t0)
            r = u[0].record
            if r.standing == .muted && mutedAt == nil { mutedAt = i }
        }
        #expect(mutedAt != nil)
        #expect(r.standing == .muted)
        // Failing audits while muted: 2, then 7, then 30 days.
        var bans: [Double] = []
        var now = t0
        for i in 0..<12 {
            let u = engine.grade(audit: review(Int64(100 + i), by: 1, .civil), verdict: .uncivil, reviewer: r, now: now)
            r = u.record
            if let ban = u.sanctions.first(where: { $0.kind == .reviewBan }) {
                bans.append(ban.until!.timeIntervalSince(now) / 86400)
                now = ban.until!
            }
        }
        #expect(Array(bans.prefix(4)) == [2, 7, 30, 30])
    }

    @Test("an accurate reviewer is not muted")
    func accurateReviewerStays() {
        var rng = SeededRandom(seed: 7)
        var r = ReviewerRecord(reviewerID: 1)
        for i in 1...60 {
            let truth: CivilityVote = rng.chance(0.1) ? .uncivil : .civil
            let vote = rng.chance(0.95) ? truth : (truth == .civil ? .uncivil : .civil)
            r = engine.settle(reviews: [review(Int64(i), by: 1, vote)], reviewers: [r], authorID: 999,
                              outcome: .moderatorVerdict(truth), now: t0)[0].record
        }
        #expect(r.standing == .good)
        #expect(engine.reliability(of: r).accuracy > 0.85)
    }

    @Test("trust is earned by published comments and lost on a rejection, which also bans commenting")
    func trustAndAuthorSanctions() {
        var author = AuthorRecord(authorID: 9)
        let good = reviewer(9, civilAgreed: 40, civilDisagreed: 1, uncivilAgreed: 6, uncivilDisagreed: 0)
        var granted = false
        for _ in 0..<engine.settings.trustAfterPublished {
            let u = engine.authorOutcome(.published(probabilityUncivil: 0.001), author: author, reviewer: good, now: t0)
            author = u.record
            if u.sanctions.contains(where: { $0.kind == .trustGranted }) { granted = true }
        }
        #expect(granted)
        #expect(author.trust == .trusted)
        let rejected = engine.authorOutcome(.moderatorVerdict(.uncivil), author: author, reviewer: good, now: t0)
        #expect(rejected.record.trust == .regular)
        #expect(rejected.sanctions.contains { $0.kind == .trustLost })
        #expect(rejected.sanctions.contains { $0.kind == .commentingBan })
        #expect(!rejected.record.mayComment(at: t0.addingTimeInterval(86400)))
        #expect(rejected.record.mayComment(at: t0.addingTimeInterval(8 * 86400)))
        let second = engine.authorOutcome(.moderatorVerdict(.uncivil), author: rejected.record, reviewer: good, now: t0)
        #expect(second.record.commentingRevoked)
    }
}

@Suite("Review queue")
struct QueueTests {
    let engine = Engine()

    func candidate(_ id: CommentID, author: UserID, article: ArticleID = 1, needed: Double, age: Double,
                   reviewed: [UserID] = []) -> QueueCandidate {
        QueueCandidate(commentID: id, authorID: author, articleID: article, submittedAt: t0.addingTimeInterval(-age),
                       reviewerIDs: reviewed, reviewsStillNeeded: needed)
    }

    @Test("closest to a decision first, oldest among equals, never own or already reviewed")
    func ordering() {
        var me = ReviewerRecord(reviewerID: 1)
        me.reviewsGiven = 100
        let cs = [
            candidate(1, author: 1, needed: 0.2, age: 900),  // own
            candidate(2, author: 2, needed: 0.3, age: 800, reviewed: [1]),  // already reviewed
            candidate(3, author: 3, needed: 2.5, age: 5000),
            candidate(4, author: 4, needed: 0.6, age: 100),
            candidate(5, author: 5, needed: 0.9, age: 300),
        ]
        let picks = (0..<50).compactMap { e -> QueuePick? in
            engine.pick(for: me, candidates: cs, audits: [], now: t0, entropy: UInt64(e))
        }
        #expect(picks.count == 50)
        #expect(picks.allSatisfy { $0.commentID == 5 })
        let none = engine.pick(for: me, candidates: [cs[0], cs[1]], audits: [], now: t0, entropy: 1)
        #expect(none == nil)
    }

    @Test("recent picks' articles and authors are avoided among equals")
    func spread() {
        var me = ReviewerRecord(reviewerID: 1)
        me.reviewsGiven = 100
        let cs = [candidate(1, author: 2, article: 7, needed: 1, age: 500), candidate(2, author: 3, article: 8, needed: 1, age: 100)]
        let recent = [QueuePick(commentID: 99, authorID: 4, articleID: 7, isAudit: false, anonymiseAuthor: false, reason: "")]
        let pick = engine.pick(for: me, candidates: cs, audits: [], recentPicks: recent, now: t0, entropy: 3)
        #expect(pick?.commentID == 2)
    }

    @Test("about 5% of picks are audits; muted reviewers get audits; banned reviewers get nothing")
    func audits() {
        var me = reviewer(1)  // has caught uncivil comments: cleared of approving abuse
        me.reviewsGiven = 100
        let cs = [candidate(1, author: 2, needed: 1, age: 100)]
        let pool = (0..<40).map { AuditCandidate(commentID: 1000 + Int64($0), authorID: 50, articleID: 3,
                                                  verdict: $0 % 2 == 0 ? .civil : .uncivil, reviewerIDs: []) }
        let picks = (0..<4000).compactMap { engine.pick(for: me, candidates: cs, audits: pool, now: t0, entropy: UInt64($0) &* 7919) }
        let share = Double(picks.filter(\.isAudit).count) / Double(picks.count)
        #expect(share > 0.035 && share < 0.065)
        // A reviewer never seen to catch an uncivil comment gets about 25% audits, all with an uncivil verdict.
        var unproven = ReviewerRecord(reviewerID: 3)
        unproven.reviewsGiven = 100
        let checks = (0..<4000).compactMap { engine.pick(for: unproven, candidates: cs, audits: pool, now: t0, entropy: UInt64($0) &* 7919) }
        let audited = checks.filter(\.isAudit)
        let auditShare = Double(audited.count) / Double(checks.count)
        #expect(auditShare > 0.2 && auditShare < 0.3, "audit share \(auditShare)")
        let uncivilAudits = Set(pool.filter { $0.verdict == .uncivil }.map(\.commentID))
        #expect(audited.allSatisfy { uncivilAudits.contains($0.commentID) })
        me.standing = .muted
        #expect(engine.pick(for: me, candidates: cs, audits: pool, now: t0, entropy: 12345)?.isAudit == true)
        me.reviewBannedUntil = t0.addingTimeInterval(3600)
        #expect(engine.pick(for: me, candidates: cs, audits: pool, now: t0, entropy: 1) == nil)
    }

    @Test("veteran authors are anonymised")
    func veterans() {
        var me = ReviewerRecord(reviewerID: 1)
        me.reviewsGiven = 100
        var c = candidate(1, author: 2, needed: 1, age: 100)
        c.authorPublished = engine.settings.veteranAfterPublished
        #expect(engine.pick(for: me, candidates: [c], audits: [], now: t0, entropy: 99)?.anonymiseAuthor == true)
    }
}
