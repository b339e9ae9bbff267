import Foundation
import ReviewEngine
import Yams

/// A sweep: many communities sampled from ranges of the scenario parameters, each run through the engine,
/// majority-of-3 and the oracle, to see whether the goals hold beyond the shipped scenarios.
public struct SweepSpec: Sendable, Codable {
    public var name = "sweep"
    public var seed: UInt64 = 1
    /// Communities sampled.
    public var communities = 100
    /// Each community runs for this many simulated days, between `minimumComments` and `maximumComments`.
    public var days = 30.0
    public var minimumComments = 1_000
    public var maximumComments = 30_000
    /// Registered users per daily comment (at least `minimumUsers`, at most `maximumUsers`).
    public var usersPerDailyComment = 5.0
    public var minimumUsers = 150
    public var maximumUsers = 5_000
    /// A site with fewer comments a day than this runs with `quietMaximumWait` (seconds), as the quiet-site
    /// scenario does; 0 turns it off.
    public var quietBelowPerDay = 100.0
    public var quietMaximumWait = 86_400.0
    /// Scenario keys and the range each is drawn from, uniformly (`[low, high]`).
    public var ranges: [String: [Double]] = [:]
    /// Keys drawn log-uniformly instead (e.g. comments per day).
    public var logScale: [String] = []
    /// Fixed scenario keys for every community (e.g. `honestAccuracyMax: 0.97`).
    public var fixed: [String: Double] = [:]
    /// Policy overrides for every community.
    public var settings = SettingsOverrides()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, seed, communities, days, minimumComments, maximumComments, usersPerDailyComment, minimumUsers
        case maximumUsers, quietBelowPerDay, quietMaximumWait, ranges, logScale, fixed, settings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            .filter { CodingKeys(stringValue: $0) == nil }
        if !unknown.isEmpty {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown sweep keys: \(unknown.joined(separator: ", "))"))
        }
        func v<T: Decodable>(_ key: CodingKeys, _ current: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? current }
        name = try v(.name, name)
        seed = try v(.seed, seed)
        communities = try v(.communities, communities)
        days = try v(.days, days)
        minimumComments = try v(.minimumComments, minimumComments)
        maximumComments = try v(.maximumComments, maximumComments)
        usersPerDailyComment = try v(.usersPerDailyComment, usersPerDailyComment)
        minimumUsers = try v(.minimumUsers, minimumUsers)
        maximumUsers = try v(.maximumUsers, maximumUsers)
        quietBelowPerDay = try v(.quietBelowPerDay, quietBelowPerDay)
        quietMaximumWait = try v(.quietMaximumWait, quietMaximumWait)
        ranges = try v(.ranges, ranges)
        logScale = try v(.logScale, logScale)
        fixed = try v(.fixed, fixed)
        settings = try v(.settings, settings)
    }

    public static func load(path: String) throws -> SweepSpec {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let spec = path.lowercased().hasSuffix(".json")
            ? try JSONDecoder().decode(SweepSpec.self, from: Data(text.utf8))
            : try YAMLDecoder().decode(SweepSpec.self, from: text)
        try spec.validate()
        return spec
    }

    /// Every key must be a numeric scenario key, every range two numbers, low ≤ high.
    public func validate() throws {
        let numeric = Set(Scenario.CodingKeys.allCases.map(\.stringValue)).subtracting(["name", "description", "settings"])
        for (key, range) in ranges {
            guard numeric.contains(key) else { throw ScenarioError.invalid("\(name): '\(key)' is not a scenario parameter") }
            guard range.count == 2, range[0] <= range[1] else { throw ScenarioError.invalid("\(name): range of '\(key)' must be [low, high]") }
            if logScale.contains(key) && range[0] <= 0 { throw ScenarioError.invalid("\(name): log-scale '\(key)' must be positive") }
        }
        for key in fixed.keys where !numeric.contains(key) {
            throw ScenarioError.invalid("\(name): '\(key)' is not a scenario parameter")
        }
        if communities < 1 { throw ScenarioError.invalid("\(name): communities must be at least 1") }
    }

    /// The `index`-th community: the same spec, seed and index always give the same community.
    public func community(_ index: Int) throws -> (scenario: Scenario, parameters: [String: Double]) {
        var rng = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        var values = fixed
        var drawn: [String: Double] = [:]
        for key in ranges.keys.sorted() {
            let r = ranges[key]!
            let u = rng.uniform()
            let x = logScale.contains(key) ? exp(log(r[0]) + u * (log(r[1]) - log(r[0]))) : r[0] + u * (r[1] - r[0])
            values[key] = x
            drawn[key] = x
        }
        var dict = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Scenario())) as! [String: Any]
        let integers: Set<String> = ["comments", "users", "refitEvery", "refitWindow", "seed"]
        for (key, x) in values { dict[key] = integers.contains(key) ? Int(x.rounded()) as Any : x as Any }
        var s = try JSONDecoder().decode(Scenario.self, from: JSONSerialization.data(withJSONObject: dict))
        s.name = "\(name) #\(index)"
        s.seed = rng.next()
        if values["viewpointA"] == nil && s.viewpointA + s.viewpointB > 0.95 { s.viewpointA = 0.95 - s.viewpointB }
        if values["comments"] == nil {
            s.comments = min(maximumComments, max(minimumComments, Int((s.commentsPerDay * days).rounded())))
        }
        if values["users"] == nil {
            s.users = min(maximumUsers, max(minimumUsers, Int((s.commentsPerDay * usersPerDailyComment).rounded())))
        }
        if values["articlesPerDay"] == nil { s.articlesPerDay = min(20, max(2, s.commentsPerDay / 50)) }
        if values["refitEvery"] == nil { s.refitEvery = min(5_000, max(200, s.comments / 10)) }
        if values["refitWindow"] == nil { s.refitWindow = min(20_000, max(5_000, s.comments / 2)) }
        s.settings = settings
        if quietBelowPerDay > 0 && s.commentsPerDay < quietBelowPerDay && settings.maximumWait == nil {
            s.settings.maximumWait = quietMaximumWait
        }
        try s.validate()
        return (s, drawn)
    }
}

/// One goal's value for one policy on one community.
public struct GoalValue: Sendable, Codable {
    public var goal: String
    public var value: Double
    /// The goal is met at or below `bound` (or at or above, for `atLeast`).
    public var bound: Double
    public var atLeast = false
    /// Not measurable here (no brigade, no random voter with 20 reviews).
    public var applies = true
    public var met: Bool { !applies || (atLeast ? value >= bound - 1e-12 : value <= bound + 1e-12) }
    /// How far past the bound, in the goal's units (0 when met).
    public var excess: Double { met ? 0 : abs(value - bound) }
}

extension ScenarioResult {
    /// The goals as numbers, for `policy` (the brigaded-viewpoint comparison is always against majority-of-3).
    public func goalValues(_ policy: PolicyKind = .engine) -> [GoalValue] {
        guard let e = results.first(where: { $0.policy == policy }) else { return [] }
        let m = results.first { $0.policy == .majorityOfThree }
        var g = [
            GoalValue(goal: "uncivil published unseen ≤ 1%", value: e.uncivilPublishedUnseen, bound: 0.01),
            GoalValue(goal: "civil withheld ≤ 3%", value: e.civilWithheld, bound: 0.03),
            GoalValue(goal: "civil withheld, viewpoint B ≤ 3%", value: e.civilWithheldB, bound: 0.03),
            GoalValue(goal: "viewpoint B ≤ 1/5 of majority-of-3's", value: e.civilWithheldB, bound: (m?.civilWithheldB ?? 0) / 5,
                      applies: brigadeShare > 0 && m != nil),
            GoalValue(goal: "moderator load ≤ uncivil share + 3 pp", value: e.moderatorLoad, bound: e.uncivilShare + 0.03),
            GoalValue(goal: "reviews per decided comment ≤ 3", value: e.reviewsPerDecided, bound: 3),
            GoalValue(goal: "random voters stop counting ≤ 20 reviews in ≥ 95%", value: e.randomVotersStoppedWithin20, bound: 0.95,
                      atLeast: true, applies: e.randomVotersMeasured > 0),
        ]
        if policy != .majorityOfThree {
            g.append(GoalValue(goal: "audits ≤ 10% of reviews", value: e.auditShareOfReviews, bound: 0.10))
        }
        return g
    }
}

/// One sampled community's results.
public struct SweepCommunity: Sendable, Codable {
    public var index: Int
    public var parameters: [String: Double]
    public var comments: Int
    public var result: ScenarioResult
}

public struct SweepResult: Sendable, Codable {
    public var spec: String
    public var seed: UInt64
    public var communities: [SweepCommunity]
    public var seconds: Double
}

extension Simulator {
    /// Runs every community of `spec` through the engine, majority-of-3 and the oracle, `threads` at a time.
    /// The results do not depend on `threads` or on timing: community `i` is always the same community.
    public static func sweep(
        _ spec: SweepSpec, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> SweepResult {
        let start = ContinuousClock.now
        let scenarios = try (0..<spec.communities).map { try spec.community($0) }
        let box = SweepBox(count: scenarios.count)
        let next = SweepCounter()
        let workers = max(1, min(threads, scenarios.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.take(below: scenarios.count) {
                let (scenario, parameters) = scenarios[i]
                let result = run(scenario, policies: [.engine, .majorityOfThree, .oracle])
                let done = box.set(i, SweepCommunity(index: i, parameters: parameters, comments: scenario.comments, result: result))
                progress?(done, scenarios.count)
            }
        }
        let elapsed = start.duration(to: .now)
        return SweepResult(spec: spec.name, seed: spec.seed, communities: box.all(),
                           seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

final class SweepCounter: @unchecked Sendable {
    let lock = NSLock()
    var value = 0
    func take(below n: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < n else { return nil }
        value += 1
        return value - 1
    }
}

final class SweepBox: @unchecked Sendable {
    let lock = NSLock()
    var items: [SweepCommunity?]
    var done = 0
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ c: SweepCommunity) -> Int {
        lock.lock()
        defer { lock.unlock() }
        items[i] = c
        done += 1
        return done
    }
    func all() -> [SweepCommunity] { items.compactMap { $0 } }
}

extension SweepResult {
    /// The printed report: per goal the share of communities meeting it (engine, oracle, engine where the oracle
    /// meets it), the engine's gap to the oracle, the worst communities with their parameters, and which
    /// parameters go with the misses.
    public func report(worst: Int = 3) -> String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        func num(_ x: Double, _ goal: String) -> String {
            goal.hasPrefix("reviews per") ? String(format: "%.2f", x) : String(format: "%.2f%%", x * 100)
        }
        let engine = communities.map { $0.result.goalValues(.engine) }
        let oracle = communities.map { $0.result.goalValues(.oracle) }
        guard let names = engine.first?.map(\.goal) else { return "no communities\n" }
        var out = "sweep \(spec) (seed \(seed)): \(communities.count) communities, "
            + "\(communities.map(\.comments).reduce(0, +)) comments each through engine, majority-of-3 and oracle, "
            + String(format: "%.0f s", seconds) + "\n\n"
        out += "goal                                                 engine met   oracle met   engine met where oracle meets   mean gap to oracle\n"
        var allGoalsEngine = 0, allGoalsOracle = 0, allWhereOracle = 0, oracleAll = 0
        for i in communities.indices {
            let e = engine[i].allSatisfy(\.met), o = oracle[i].allSatisfy(\.met)
            if e { allGoalsEngine += 1 }
            if o { allGoalsOracle += 1; oracleAll += 1; if e { allWhereOracle += 1 } }
        }
        for (g, name) in names.enumerated() {
            let applicable = communities.indices.filter { engine[$0][g].applies }
            guard !applicable.isEmpty else { continue }
            let eMet = applicable.filter { engine[$0][g].met }.count
            let oMet = applicable.filter { oracle[$0][g].met }.count
            let both = applicable.filter { oracle[$0][g].met && engine[$0][g].met }.count
            let gap = applicable.map { engine[$0][g].value - oracle[$0][g].value }.reduce(0, +) / Double(applicable.count)
            let n = Double(applicable.count)
            out += name.padding(toLength: 53, withPad: " ", startingAt: 0)
                + pct(Double(eMet) / n).padding(toLength: 13, withPad: " ", startingAt: 0)
                + pct(Double(oMet) / n).padding(toLength: 13, withPad: " ", startingAt: 0)
                + (oMet == 0 ? "n/a" : "\(pct(Double(both) / Double(oMet))) (\(both) of \(oMet))").padding(toLength: 32, withPad: " ", startingAt: 0)
                + (name.hasPrefix("reviews per") ? String(format: "%+.2f", gap) : String(format: "%+.2f pp", gap * 100))
                + (applicable.count < communities.count ? "   [\(applicable.count) communities apply]" : "") + "\n"
        }
        let n = Double(communities.count)
        out += "every goal".padding(toLength: 53, withPad: " ", startingAt: 0)
            + pct(Double(allGoalsEngine) / n).padding(toLength: 13, withPad: " ", startingAt: 0)
            + pct(Double(allGoalsOracle) / n).padding(toLength: 13, withPad: " ", startingAt: 0)
            + (oracleAll == 0 ? "n/a" : "\(pct(Double(allWhereOracle) / Double(oracleAll))) (\(allWhereOracle) of \(oracleAll))") + "\n"

        let keys = Set(communities.flatMap { $0.parameters.keys }).sorted()
        func parameters(_ c: SweepCommunity) -> String {
            keys.map { k in
                let v = c.parameters[k] ?? 0
                return "\(k) " + (v >= 10 ? String(format: "%.0f", v) : String(format: "%.3g", v))
            }.joined(separator: ", ")
        }
        out += "\nworst communities per goal (engine value | oracle value; parameters):\n"
        for (g, name) in names.enumerated() {
            let missed = communities.indices.filter { !engine[$0][g].met }.sorted { engine[$0][g].excess > engine[$1][g].excess }
            guard !missed.isEmpty else { continue }
            out += "  \(name): \(missed.count) missed\n"
            for i in missed.prefix(worst) {
                let c = communities[i]
                out += "    #\(c.index) \(num(engine[i][g].value, name)) | \(num(oracle[i][g].value, name))"
                    + " (\(c.comments) comments): \(parameters(c))\n"
            }
        }

        // Which parameters go with misses: the miss rate (any goal) in the lower and upper half of each range.
        out += "\nparameters and misses (share of communities missing any goal, engine | oracle, in the lower and upper half of each sampled range):\n"
        var rows: [(String, Double)] = []
        for k in keys {
            let values = communities.compactMap { $0.parameters[k] }.sorted()
            guard values.count >= 4 else { continue }
            let median = values[values.count / 2]
            let low = communities.indices.filter { (communities[$0].parameters[k] ?? 0) < median }
            let high = communities.indices.filter { (communities[$0].parameters[k] ?? 0) >= median }
            func rate(_ idx: [Int], _ v: [[GoalValue]]) -> Double {
                idx.isEmpty ? 0 : Double(idx.filter { !v[$0].allSatisfy(\.met) }.count) / Double(idx.count)
            }
            let line = "  \(k.padding(toLength: 22, withPad: " ", startingAt: 0)) below \(String(format: "%.3g", median)): "
                + "\(pct(rate(low, engine))) | \(pct(rate(low, oracle)))   above: \(pct(rate(high, engine))) | \(pct(rate(high, oracle)))"
            rows.append((line, abs(rate(high, engine) - rate(low, engine))))
        }
        for (line, _) in rows.sorted(by: { $0.1 > $1.1 }) { out += line + "\n" }
        return out
    }
}
