import Foundation
import ReviewEngine
import Simulator
import Testing

@Suite("Placing comments on the axis from their ratings")
struct RatingSideTests {
    @Test("a partisan's uncivil vote counts less on a comment whose ratings put it on the side they vote against")
    func ratingsPlaceTheComment() {
        var model = ModelState()
        model.sidePrior = [0.3, 0.05, 0.3, 0.05, 0.3]
        model.qualityMean = 0.5
        model.qualitySideScale = 1
        model.qualityNoise = 0.2
        model.qualityInterceptSpread = 0.3
        let e = Engine(model: model)
        // Reviewer 1 calls side +1 uncivil (civility factor +3) and rates it lower (quality factor −0.5).
        var partisan = reviewer(1, civilAgreed: 60, civilDisagreed: 20, uncivilAgreed: 15, uncivilDisagreed: 1, factor: 3)
        partisan.qualityFactor = -0.5
        var likesPlus = reviewer(2)
        likesPlus.qualityFactor = 0.3
        var likesMinus = reviewer(3)
        likesMinus.qualityFactor = -0.3
        func rated(_ own: QualityVote, _ plus: QualityVote, _ minus: QualityVote) -> [Review] {
            [Review(id: 1, commentID: 1, reviewerID: 1, civility: .uncivil, quality: own, submittedAt: t0),
             Review(id: 2, commentID: 1, reviewerID: 2, civility: .civil, quality: plus, submittedAt: t0),
             Review(id: 3, commentID: 1, reviewerID: 3, civility: .civil, quality: minus, submittedAt: t0)]
        }
        let all = [partisan, likesPlus, likesMinus]
        // Ratings that say "side +1": the reviewer who likes +1 rates it good, the others poorly.
        let onPlus = e.decide(comment(), reviews: rated(.notGood, .good, .notGood), author: AuthorRecord(authorID: 999),
                              reviewers: all, now: t0)
        // Ratings that say "side −1".
        let onMinus = e.decide(comment(), reviews: rated(.good, .notGood, .good), author: AuthorRecord(authorID: 999),
                               reviewers: all, now: t0)
        let plusVote = onPlus.explanation.reviews.first { $0.reviewerID == 1 }!
        let minusVote = onMinus.explanation.reviews.first { $0.reviewerID == 1 }!
        #expect(onPlus.explanation.side > 0.3)
        #expect(onMinus.explanation.side < -0.3)
        #expect(plusVote.logOdds < minusVote.logOdds)
        #expect(onPlus.probabilityUncivil < onMinus.probabilityUncivil)
        // Before the model has learned the rating parameters, ratings say nothing.
        let blind = Engine(model: ModelState())
        #expect(blind.model.qualitySideLogLikelihood([(0.5, 0.3)], grid: [-1, 0, 1]) == [0, 0, 0])
    }

    @Test("refit finds the rating axis: a brigade that rates one side down gets a quality factor of its own")
    func refitFindsRatingAxis() {
        let h = RefitTests().history(seed: 7)
        let refit = Engine().refit(h.history, reviewers: h.reviewers, now: t0)
        func mean(_ kind: String) -> Double {
            let xs = refit.reviewers.indices.filter { h.kinds[$0] == kind }.map { refit.reviewers[$0].qualityFactor }
            return xs.reduce(0, +) / Double(xs.count)
        }
        #expect(abs(mean("brigade")) > 0.1)
        #expect(abs(mean("brigade")) > 3 * abs(mean("honest")))
        #expect(refit.model.qualityNoise != nil && refit.model.qualityInterceptSpread != nil)
        #expect(refit.model.qualitySideScale == 1)
    }

    @Test("a stored model from before the rating parameters still decodes")
    func oldModelDecodes() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ModelState())) as! [String: Any]
        json.removeValue(forKey: "qualityNoise")
        json.removeValue(forKey: "qualitySideScale")
        json.removeValue(forKey: "qualityInterceptSpread")
        let model = try JSONDecoder().decode(ModelState.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(model.qualitySideScale == nil)
    }
}
