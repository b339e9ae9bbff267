import Foundation
import ReviewEngine
import Simulator
import Testing

@Suite("The author's record as a reviewer")
struct AuthorAsReviewerTests {
    func approver(_ id: UserID) -> ReviewerRecord {
        var r = reviewer(id, civilAgreed: 30, civilDisagreed: 1, uncivilAgreed: 0, uncivilDisagreed: 2)
        r.audits.uncivilDisagreed = 2
        return r
    }

    @Test("an author who keeps passing uncivil comments as a reviewer starts from a higher chance")
    func evidenceTerm() {
        var model = ModelState()
        model.authorAsReviewerLogOdds = [-0.4, 0, 2]
        let e = Engine(model: model)
        let r = reviewer(1)
        let reviews = [review(1, by: 1, .civil)]
        let plain = e.decide(comment(), reviews: reviews, author: AuthorRecord(authorID: 999), reviewers: [r], now: t0)
        #expect(!plain.explanation.evidence.contains { $0.kind == .authorAsReviewer })
        #expect(e.authorReviewerBucket(approver(999)) == 2)
        let suspect = e.decide(comment(), reviews: reviews, author: AuthorRecord(authorID: 999),
                               reviewers: [r, approver(999)], now: t0)
        let term = suspect.explanation.evidence.first { $0.kind == .authorAsReviewer }
        #expect(term?.logOdds == 2)
        #expect(term?.note.contains("keeps calling uncivil comments civil") == true)
        #expect(suspect.probabilityUncivil > plain.probabilityUncivil)
        // One who has been seen to catch uncivil comments (passed uncivil audits) is cleared.
        var cleared = reviewer(999, civilAgreed: 30, civilDisagreed: 1, uncivilAgreed: 4, uncivilDisagreed: 0)
        cleared.audits.uncivilAgreed = 2
        #expect(e.authorReviewerBucket(cleared) == 0)
        let clean = e.decide(comment(), reviews: reviews, author: AuthorRecord(authorID: 999), reviewers: [r, cleared], now: t0)
        #expect(clean.probabilityUncivil < plain.probabilityUncivil)
        // The author's own review still never counts, record passed or not.
        let own = e.decide(comment(), reviews: reviews + [review(2, by: 999, .civil)], author: AuthorRecord(authorID: 999),
                           reviewers: [r, cleared], now: t0)
        #expect(own.probabilityUncivil == clean.probabilityUncivil)
        // Before a refit has learned the table there is no such term.
        #expect(!Engine().decide(comment(), reviews: reviews, author: AuthorRecord(authorID: 999), reviewers: [r, approver(999)],
                                 now: t0).explanation.evidence.contains { $0.kind == .authorAsReviewer })
    }

    @Test("refit learns that authors who approve abuse write uncivil comments more often")
    func refitLearns() {
        var rng = SeededRandom(seed: 11)
        let honest = (0..<40).map { reviewer(UserID($0), civilAgreed: 80, civilDisagreed: 4, uncivilAgreed: 10, uncivilDisagreed: 1) }
        let authors = (100..<300).map { id -> ReviewerRecord in
            id < 120 ? approver(UserID(id)) : reviewer(UserID(id), civilAgreed: 30, civilDisagreed: 1, uncivilAgreed: 3, uncivilDisagreed: 0)
        }
        var history: [SettledComment] = []
        var rid: Int64 = 0
        for c in 0..<4000 {
            let author = UserID(100 + rng.below(200))
            let uncivil = rng.chance(author < 120 ? 0.5 : 0.03)
            let reviews = (0..<3).map { _ -> Review in
                rid += 1
                return Review(id: rid, commentID: CommentID(c), reviewerID: UserID(rng.below(40)),
                              civility: rng.chance(0.93) == uncivil ? .uncivil : .civil, submittedAt: t0)
            }
            history.append(SettledComment(
                comment: CommentUnderReview(id: CommentID(c), authorID: author, articleID: 1, submittedAt: t0),
                reviews: reviews, moderatorVerdict: uncivil ? .uncivil : .civil, authorLogOdds: logit(0.08),
                authorPublished: 3, authorRejected: 0))
        }
        let refit = Engine().refit(history, reviewers: honest + authors, now: t0)
        let table = refit.model.authorAsReviewerLogOdds ?? []
        #expect(table.count == 3)
        #expect(table[2] > 1.5)
        #expect(table[0] < 0)
    }

    @Test("a stored model from before the author-as-reviewer table still decodes")
    func oldModelDecodes() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ModelState())) as! [String: Any]
        json.removeValue(forKey: "authorAsReviewerLogOdds")
        let model = try JSONDecoder().decode(ModelState.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(model.authorAsReviewerLogOdds == nil)
    }
}

private func logit(_ p: Double) -> Double { log(p / (1 - p)) }
