import Foundation
import ReviewEngine
import Testing

@Suite("The one comment lifecycle")
struct LifecycleTests {
    /// A site whose regular authors rarely write an uncivil comment, so that a trusted author's comment is
    /// published at once.
    let engine: Engine = {
        var model = ModelState()
        model.regularAuthorRate = 0.002
        return Engine(model: model)
    }()
    let strong = (1...3).map { reviewer(UserID($0), civilAgreed: 120, civilDisagreed: 4, uncivilAgreed: 20, uncivilDisagreed: 1) }

    var trustedAuthor: AuthorRecord {
        var a = AuthorRecord(authorID: 999)
        a.published = 15
        a.trust = .trusted
        return a
    }

    func records(_ reviews: [Review], author: AuthorRecord) -> LifecycleRecords {
        LifecycleRecords(reviews: reviews, reviewers: strong, author: author, authorAsReviewer: nil)
    }

    func civilVotes(_ n: Int) -> [Review] { (1...n).map { review(Int64($0), by: UserID($0), .civil) } }

    @Test("a trusted author's comment is published under review, and settles once peers confirm it")
    func trustedAuthorSettlesWhenPeersConfirm() throws {
        let c = comment()
        let atOnce = engine.decide(c, reviews: [], author: trustedAuthor, reviewers: [], now: t0)
        #expect(atOnce.rule == .trustedAuthor)
        let first = engine.lifecycle(.pending, event: .decided(atOnce), submittedAt: t0, records: records([], author: trustedAuthor), now: t0)
        #expect(first.stage == .publishedUnderReview)
        #expect(first.decidedBy == .trusted)
        #expect(first.settlement == nil, "it has not stood review yet")

        let reviews = civilVotes(3)
        let later = t0.addingTimeInterval(600)
        let confirmed = engine.decide(c, reviews: reviews, author: trustedAuthor, reviewers: strong, now: later)
        #expect(confirmed.rule == .peersFoundCivil)
        let second = engine.lifecycle(.publishedUnderReview, event: .decided(confirmed), submittedAt: t0,
                                      records: records(reviews, author: trustedAuthor), now: later)
        #expect(second.stage == .published)
        #expect(second.decidedBy == .peers)
        let settlement = try #require(second.settlement, "peers confirmed it: it settles")
        #expect(settlement.reliability.map(\.reviewerID) == [1, 2, 3])
        #expect(settlement.author.record.published == trustedAuthor.published + 1)
        // The same as settling by hand, step by step.
        let byHand = engine.settle(reviews: reviews, reviewers: strong, authorID: 999,
                                   outcome: .published(probabilityUncivil: confirmed.probabilityUncivil), now: later)
        #expect(settlement.reliability == byHand)
    }

    @Test("a trusted author's comment that nobody confirms settles at its deadline, not before")
    func trustedAuthorSettlesAtTheDeadline() throws {
        let c = comment()
        // Nobody reviewed it (reviewing trusted authors' comments comes last in the queue).
        let one: [Review] = []
        let weak: [ReviewerRecord] = []
        let recs = LifecycleRecords(reviews: one, reviewers: weak, author: trustedAuthor, authorAsReviewer: nil)
        let before = t0.addingTimeInterval(engine.settings.maximumWait - 60)
        let early = engine.decide(c, reviews: one, author: trustedAuthor, reviewers: weak, now: before)
        #expect(early.rule == .trustedAuthor)
        let stays = engine.lifecycle(.publishedUnderReview, event: .decided(early), submittedAt: t0, records: recs, now: before)
        #expect(!stays.stageChanged)
        #expect(stays.settlement == nil)

        let after = t0.addingTimeInterval(engine.settings.maximumWait + 60)
        let late = engine.decide(c, reviews: one, author: trustedAuthor, reviewers: weak, now: after)
        let stood = engine.lifecycle(.publishedUnderReview, event: .decided(late), submittedAt: t0, records: recs, now: after)
        #expect(stood.stage == .published)
        #expect(stood.decidedBy == .timeout)
        #expect(stood.settlement?.outcome == .published(probabilityUncivil: late.probabilityUncivil))
    }

    @Test("peers withdraw a trusted author's comment; the moderator's verdict settles it and sanctions the author")
    func withdrawnThenRejected() throws {
        let c = comment()
        let reviews = (1...3).map { review(Int64($0), by: UserID($0), .uncivil) }
        let d = engine.decide(c, reviews: reviews, author: trustedAuthor, reviewers: strong, now: t0)
        #expect(d.verdict == .withhold)
        let withdrawn = engine.lifecycle(.publishedUnderReview, event: .decided(d), submittedAt: t0,
                                         records: records(reviews, author: trustedAuthor), now: t0)
        #expect(withdrawn.stage == .withheld)
        #expect(withdrawn.settlement == nil, "withheld comments settle when a moderator decides")

        let rejected = engine.lifecycle(.withheld, event: .moderated(.uncivil), submittedAt: t0,
                                        records: records(reviews, author: trustedAuthor), now: t0)
        #expect(rejected.stage == .rejected)
        #expect(rejected.decidedBy == .moderator)
        let s = try #require(rejected.settlement)
        #expect(s.outcome == .moderatorVerdict(.uncivil))
        #expect(s.author.record.rejected == 1)
        #expect(s.author.record.trust == .regular)
        #expect(s.sanctions.map(\.kind).contains(.commentingBan))
        #expect(s.sanctions.map(\.kind).contains(.trustLost))
        // Reviewers' sanctions come first, then the author's.
        #expect(s.sanctions == s.reliability.flatMap(\.sanctions) + s.author.sanctions)
    }

    @Test("pending comments: published by peers settle at once; withheld ones wait for a moderator")
    func pendingComments() throws {
        let author = AuthorRecord(authorID: 999)
        let reviews = civilVotes(3)
        let d = engine.decide(comment(), reviews: reviews, author: author, reviewers: strong, now: t0)
        let published = engine.lifecycle(.pending, event: .decided(d), submittedAt: t0, records: records(reviews, author: author), now: t0)
        #expect(published.stage == .published)
        #expect(published.settlement?.author.record.published == 1)

        let waiting = engine.decide(comment(), reviews: [], author: author, reviewers: [], now: t0)
        let none = engine.lifecycle(.pending, event: .decided(waiting), submittedAt: t0, records: records([], author: author), now: t0)
        #expect(!none.stageChanged && none.settlement == nil && none.decidedBy == nil)

        let late = t0.addingTimeInterval(engine.settings.maximumWait + 1)
        let timedOut = engine.decide(comment(), reviews: [], author: author, reviewers: [], now: late)
        #expect(timedOut.rule == .timedOut)
        let sent = engine.lifecycle(.pending, event: .decided(timedOut), submittedAt: t0, records: records([], author: author), now: late)
        #expect(sent.stage == .withheld)
        #expect(sent.decidedBy == .timeout)
        #expect(sent.settlement == nil)
    }

    @Test("a rejection for another reason settles nothing; decisions on settled comments change nothing")
    func otherRejectionsAndSettledComments() {
        let author = AuthorRecord(authorID: 999)
        let off = engine.lifecycle(.withheld, event: .moderated(nil), submittedAt: t0, records: records([], author: author), now: t0)
        #expect(off.stage == .rejected)
        #expect(off.settlement == nil)
        #expect(off.sanctions.isEmpty)

        let reviews = civilVotes(3)
        let d = engine.decide(comment(), reviews: reviews, author: author, reviewers: strong, now: t0)
        for stage in [CommentStage.published, .withheld, .approved, .rejected] {
            let e = engine.lifecycle(stage, event: .decided(d), submittedAt: t0, records: records(reviews, author: author), now: t0)
            #expect(!e.stageChanged && e.settlement == nil, "\(stage)")
        }
        let approved = engine.lifecycle(.withheld, event: .moderated(.civil), submittedAt: t0, records: records(reviews, author: author), now: t0)
        #expect(approved.stage == .approved)
        #expect(approved.settlement?.outcome == .moderatorVerdict(.civil))
        #expect(approved.stage.isVisible)
    }
}
