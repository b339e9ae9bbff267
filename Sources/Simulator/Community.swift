import Foundation

import ReviewEngine

/// How a synthetic person reviews and writes.
public enum PersonKind: String, Sendable, Codable, CaseIterable {
    /// Votes the truth with a personal accuracy.
    case honest
    /// Votes at random.
    case lazy
    /// Votes "uncivil" on most civil comments of viewpoint B, honestly otherwise.
    case brigade
    /// Calls most uncivil comments civil, honestly otherwise.
    case approver
    /// Writes most uncivil comments; reviews like an approver.
    case troll
}

struct Person {
    var kind: PersonKind
    /// Chance of voting the truth when voting honestly.
    var accuracy: Double
    /// Taste in quality ratings: −1 likes viewpoint A, +1 likes B, 0 neither.
    var leaning: Double
    var taste: Double
    /// Current account (a troll whose account is banned registers a new one).
    var account: UserID
}

/// Viewpoints: A = −1, B = +1, neither = 0. The brigade targets B.
struct Community {
    var persons: [Person] = []
    var trolls: [Int] = []
    /// Cumulative activity for choosing authors.
    var cumulative: [Double] = []
    let trollUncivilRate: Double
    let regularUncivilRate: Double

    init(_ s: Scenario, rng: inout SeededRandom) {
        let n = s.users
        let counts: [(PersonKind, Int)] = [
            (.lazy, Int((Double(n) * s.lazyShare).rounded())),
            (.brigade, Int((Double(n) * s.brigadeShare).rounded())),
            (.approver, Int((Double(n) * s.approverShare).rounded())),
            (.troll, Int((Double(n) * s.trollShare).rounded())),
        ]
        var kinds: [PersonKind] = []
        for (k, c) in counts { kinds += Array(repeating: k, count: c) }
        kinds += Array(repeating: .honest, count: max(0, n - kinds.count))
        // Shuffle so that kinds are not clustered by id.
        for i in stride(from: kinds.count - 1, to: 0, by: -1) { kinds.swapAt(i, rng.below(i + 1)) }
        var total = 0.0
        for (i, kind) in kinds.enumerated() {
            let accuracy = rng.uniform(s.honestAccuracyMin...s.honestAccuracyMax)
            var leaning: Double
            let r = rng.uniform()
            leaning = r < 0.4 ? -1 : (r < 0.7 ? 1 : 0)
            var taste = 0.25
            if kind == .brigade { leaning = -1; taste = 0.5 }
            persons.append(Person(kind: kind, accuracy: accuracy, leaning: leaning, taste: taste, account: UserID(i)))
            if kind == .troll { trolls.append(i) }
            total += kind == .troll ? s.trollActivity : 1
            cumulative.append(total)
        }
        // Uncivil rates that give the scenario's uncivil share with trolls writing their share of it.
        let trollComments = Double(trolls.count) * s.trollActivity / total
        if trollComments > 0 {
            trollUncivilRate = min(0.98, s.uncivilShare * s.trollShareOfUncivil / trollComments)
            regularUncivilRate = max(0, (s.uncivilShare - trollUncivilRate * trollComments) / (1 - trollComments))
        } else {
            trollUncivilRate = 0
            regularUncivilRate = s.uncivilShare
        }
    }

    func chooseAuthor(_ rng: inout SeededRandom) -> Int {
        let x = rng.uniform() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    func civilityVote(_ p: Person, uncivil: Bool, viewpoint: Int8, s: Scenario, _ rng: inout SeededRandom) -> CivilityVote {
        let truth: CivilityVote = uncivil ? .uncivil : .civil
        let honest: CivilityVote = rng.chance(p.accuracy) ? truth : (uncivil ? .civil : .uncivil)
        switch p.kind {
        case .honest: return honest
        case .lazy: return rng.chance(0.5) ? .civil : .uncivil
        case .brigade:
            if !uncivil && viewpoint == 1 && rng.chance(s.brigadeRate) { return .uncivil }
            return honest
        case .approver, .troll:
            if uncivil && rng.chance(s.approverRate) { return .civil }
            return honest
        }
    }

    func qualityVote(_ p: Person, quality: Double, viewpoint: Int8, _ rng: inout SeededRandom) -> QualityVote {
        if p.kind == .lazy { return QualityVote.allCases[rng.below(3)] }
        let raw = quality + p.taste * p.leaning * Double(viewpoint) + 0.15 * rng.normal()
        return raw >= 0.65 ? .good : (raw >= 0.35 ? .somewhat : .notGood)
    }
}
