import Foundation
import ReviewEngine
import Simulator
import Testing

@Suite("The publish bar near the deadline")
struct NearDeadlineTests {
    @Test("a comment left just above the publish bar waits, and is published once near its deadline")
    func relaxedNearDeadline() {
        var e = Engine()
        e.settings.publishAtMost = 0.001
        e.settings.publishNearDeadlineAtMost = 0.01
        e.settings.relaxPublishAfterWaitShare = 0.75
        // One reliable civil vote on a comment with a doubtful start: between 0.1% and 1%.
        let r = reviewer(1, civilAgreed: 60, civilDisagreed: 2, uncivilAgreed: 10, uncivilDisagreed: 1)
        let c = comment(score: 0.03)
        let reviews = [review(1, by: 1, .civil)]
        let early = e.decide(c, reviews: reviews, author: AuthorRecord(authorID: 999), reviewers: [r],
                             now: t0.addingTimeInterval(e.settings.maximumWait * 0.5))
        #expect(early.probabilityUncivil > 0.001 && early.probabilityUncivil < 0.01)
        #expect(early.verdict == .needsMoreReviews)
        let late = e.decide(c, reviews: reviews, author: AuthorRecord(authorID: 999), reviewers: [r],
                            now: t0.addingTimeInterval(e.settings.maximumWait * 0.8))
        #expect(late.verdict == .publish)
        #expect(late.rule == .peersFoundCivil)
        #expect(late.explanation.publishAtMost == 0.01)
        #expect(late.explanation.summary.contains("relaxed near the deadline"))
        // At the deadline too: a comment that reached the relaxed bar is published, not timed out.
        let due = e.decide(c, reviews: reviews, author: AuthorRecord(authorID: 999), reviewers: [r],
                           now: t0.addingTimeInterval(e.settings.maximumWait + 1))
        #expect(due.verdict == .publish && due.rule == .peersFoundCivil)
        // Without a counted review nothing is published by the relaxed bar: the deadline sends it to moderators.
        let unreviewed = e.decide(comment(score: 0.001), reviews: [], author: AuthorRecord(authorID: 999), reviewers: [],
                                  now: t0.addingTimeInterval(e.settings.maximumWait + 1))
        #expect(unreviewed.verdict == .withhold && unreviewed.rule == .timedOut)
        // Off when the two bars are equal.
        e.settings.publishNearDeadlineAtMost = e.settings.publishAtMost
        let off = e.decide(c, reviews: reviews, author: AuthorRecord(authorID: 999), reviewers: [r],
                           now: t0.addingTimeInterval(e.settings.maximumWait * 0.8))
        #expect(off.verdict == .needsMoreReviews)
    }
}
