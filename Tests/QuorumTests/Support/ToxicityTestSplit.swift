import Foundation

/// The held-out test split of scripts/toxicity-data with the score the training script computed for each comment
/// and the numbers docs/toxicity.md documents: `Fixtures/toxicity-test-split.json`, a resource of this test
/// target written by `scripts/train-toxicity.py`.
struct ToxicityTestSplit: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        let category: String
        let label: Int
        let expectedScore: Double
        let text: String
    }

    let threshold: Double
    let precision: Double
    let recall: Double
    let f1: Double
    let rocAUC: Double
    let items: [Item]

    static func load() throws -> ToxicityTestSplit {
        let url = Bundle.module.bundleURL.appendingPathComponent("Fixtures/toxicity-test-split.json")
        return try JSONDecoder().decode(ToxicityTestSplit.self, from: Data(contentsOf: url))
    }
}
