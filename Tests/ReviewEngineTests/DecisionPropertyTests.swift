import Foundation
import ReviewEngine
import Simulator
import Testing

@Suite("Decisions: properties that must hold for every review situation")
struct DecisionPropertyTests {
    static let seeds: [UInt64] = Array(1...300)

    @Test("the order of reviews does not change the decision", arguments: seeds)
    func orderDoesNotMatter(seed: UInt64) {
        let s = Situation(seed: seed)
        let base = s.decide()
        var rng = SeededRandom(seed: seed &+ 1000)
        var shuffled = s.reviews
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.below(i + 1)) }
        let again = s.decide(shuffled)
        #expect(again.verdict == base.verdict)
        #expect(again.rule == base.rule)
        #expect(again.probabilityUncivil == base.probabilityUncivil)
        #expect(again.explanation == base.explanation)
    }

    @Test("an extra honest review that agrees never flips the decision the other way", arguments: seeds)
    func agreeingReviewNeverFlips(seed: UInt64) {
        let s = Situation(seed: seed)
        let before = s.decide()
        var honest = reviewer(500, civilAgreed: 80, civilDisagreed: 4, uncivilAgreed: 15, uncivilDisagreed: 1)
        honest.civilityFactor = 0
        var withHonest = s
        withHonest.reviewers.append(honest)
        for vote in CivilityVote.allCases {
            let after = withHonest.decide(s.reviews + [review(400, by: 500, vote)])
            switch vote {
            case .civil:
                #expect(after.probabilityUncivil <= before.probabilityUncivil)
                if before.verdict == .publish { #expect(after.verdict == .publish) }
                if before.verdict != .withhold { #expect(after.verdict != .withhold || after.rule == .peersCouldNotAgree) }
            case .uncivil:
                #expect(after.probabilityUncivil >= before.probabilityUncivil)
                if before.verdict == .withhold { #expect(after.verdict == .withhold) }
                if before.verdict != .publish || before.rule == .trustedAuthor {
                    #expect(after.verdict != .publish || after.rule == .trustedAuthor)
                }
            }
        }
    }

    @Test("a reviewer never decides their own comment", arguments: seeds)
    func ownReviewNeverCounts(seed: UInt64) {
        var s = Situation(seed: seed)
        s.reviewers.append(reviewer(999, civilAgreed: 200, civilDisagreed: 0, uncivilAgreed: 40, uncivilDisagreed: 0))
        let without = s.decide(s.reviews.filter { $0.reviewerID != 999 })
        for vote in CivilityVote.allCases {
            let own = review(300, by: 999, vote)
            let with = s.decide(s.reviews.filter { $0.reviewerID != 999 } + [own])
            #expect(with.verdict == without.verdict)
            #expect(with.probabilityUncivil == without.probabilityUncivil)
            let account = with.explanation.reviews.first { $0.reviewID == 300 }
            #expect(account?.status == .ownComment)
            #expect(account?.logOdds == 0)
        }
    }

    @Test("a banned reviewer's votes have no weight", arguments: seeds)
    func bannedReviewerHasNoWeight(seed: UInt64) {
        var s = Situation(seed: seed)
        var banned = reviewer(777, civilAgreed: 200, civilDisagreed: 1, uncivilAgreed: 40, uncivilDisagreed: 0)
        banned.reviewBannedUntil = t0.addingTimeInterval(7 * 86400)
        s.reviewers.append(banned)
        let without = s.decide()
        for vote in CivilityVote.allCases {
            let with = s.decide(s.reviews + [review(301, by: 777, vote)])
            #expect(with.probabilityUncivil == without.probabilityUncivil)
            #expect(with.verdict == without.verdict)
            let account = with.explanation.reviews.first { $0.reviewID == 301 }
            #expect(account?.status == .reviewerBanned)
            #expect(account?.logOdds == 0)
        }
        // Once the ban is over, the same vote counts again.
        let later = s.decide(s.reviews + [review(301, by: 777, .uncivil)], now: t0.addingTimeInterval(8 * 86400))
        #expect(later.explanation.reviews.first { $0.reviewID == 301 }?.status == .counted)
    }

    @Test("the explanation accounts for every review and adds up", arguments: seeds)
    func explanationAccountsForEveryReview(seed: UInt64) {
        let s = Situation(seed: seed)
        let d = s.decide()
        let e = d.explanation
        #expect(e.reviews.count == s.reviews.count)
        #expect(Set(e.reviews.map(\.reviewID)) == Set(s.reviews.map(\.id)))
        for account in e.reviews {
            #expect(!account.note.isEmpty)
            if account.status != .counted { #expect(account.logOdds == 0) }
        }
        let total = e.evidence.reduce(0) { $0 + $1.logOdds } + e.reviews.reduce(0) { $0 + $1.logOdds }
        #expect(abs(total - e.logOdds) < 1e-9)
        #expect(abs(1 / (1 + exp(-e.logOdds)) - d.probabilityUncivil) < 1e-12)
        #expect(e.countedReviews == e.reviews.filter { $0.status == .counted }.count)
        #expect(!e.summary.isEmpty)
    }
}
