import Foundation

import ReviewEngine

/// What one policy achieved on one scenario.
public struct PolicyResult: Sendable, Codable {
    public var policy: PolicyKind
    public var comments: Int
    public var uncivilShare: Double
    /// Uncivil comments published without a moderator having seen them, as a share of uncivil comments.
    public var uncivilPublishedUnseen: Double
    /// Uncivil comments that were visible at some point (e.g. a trusted author's, before peers withdrew it).
    public var uncivilEverVisible: Double
    /// Civil comments withheld or sent to moderators, overall and per viewpoint.
    public var civilWithheld: Double
    public var civilWithheldA: Double
    public var civilWithheldB: Double
    public var civilWithheldNeutral: Double
    /// Reviews (audits included) per decided comment.
    public var reviewsPerDecided: Double
    public var auditShareOfReviews: Double
    /// Minutes from submission to publish or withhold.
    public var decisionMinutesP50: Double
    public var decisionMinutesP95: Double
    /// Random voters with at least 20 review turns whose votes stopped counting for good within their first 20.
    public var randomVotersStoppedWithin20: Double
    public var randomVotersMeasured: Int
    /// Reviews after which random voters' votes stopped counting for good (p50, p95).
    public var randomVoterStopP50: Double
    public var randomVoterStopP95: Double
    /// Comments a moderator had to look at, as a share of all comments.
    public var moderatorLoad: Double
    public var timedOut: Double
    public var trustedAuthorsComments: Double
    /// Best-sort quality: rank correlation with true quality of the bridged score and of the plain mean.
    public var qualityCorrelationBridged: Double?
    public var qualityCorrelationRaw: Double?
    public var sanctions: [String: Int]
    /// Which rule published the uncivil comments nobody moderated, and which withheld the civil ones.
    public var uncivilPublishedByRule: [String: Int]
    public var civilWithheldByRule: [String: Int]
    /// Per kind of reviewer (current accounts with at least 20 reviews): mean accuracy, mean |factor|,
    /// share whose votes do not count at the end.
    public var reviewerProfiles: [String: String]
    public var seconds: Double
    /// Reviews of pending comments that carried weight, per comment; mean length of the review queue.
    public var countedReviewsPerComment: Double
    public var meanQueueLength: Double
    /// What the last refit found the author record, pre-screen and self-rating worth (`ModelState.evidenceWeights`).
    public var evidenceWeights: EvidenceWeights? = nil
}

public struct ScenarioResult: Sendable, Codable {
    public var scenario: String
    public var seed: UInt64
    public var results: [PolicyResult]
    /// The scenario's brigade share: the goal against majority-of-3 for "the brigaded viewpoint" applies only
    /// where there is a brigade (elsewhere viewpoint B is like any other, and the row shows the ratio only).
    public var brigadeShare: Double = 0
}

extension Run {
    func result(seconds: Double) -> PolicyResult {
        var uncivil = 0, unseen = 0, visible = 0
        var civil = [0, 0, 0], civilHeld = [0, 0, 0]
        var decided = 0, moderated = 0, timedOut = 0
        var times: [Double] = []
        var uncivilByRule: [String: Int] = [:], civilByRule: [String: Int] = [:]
        for c in comments {
            if c.decidedAt != nil { decided += 1 }
            if let t = c.decidedAt { times.append(t - c.submitted) }
            if c.seenByModerator { moderated += 1 }
            if c.uncivil {
                uncivil += 1
                if c.everPublished && !c.seenByModerator {
                    unseen += 1
                    uncivilByRule["\(c.rule)/\(community.persons[c.person].kind.rawValue)", default: 0] += 1
                    if trace > 0 {
                        let votes = c.reviews.map { "\(community.persons[accountPerson[Int($0.reviewerID)]].kind.rawValue):\($0.civility.rawValue):\(reviewers[Int($0.reviewerID)].reviewsGiven)" }
                        FileHandle.standardError.write(Data("UNSEEN day \(Int(c.submitted / 1440)) \(c.rule) author \(community.persons[c.person].kind.rawValue) pub \(c.authorPublished) p \(c.lastP) votes \(votes.joined(separator: " "))\n".utf8))
                    }
                }
                if c.everPublished { visible += 1 }
            } else {
                let v = Int(c.viewpoint) + 1  // 0: A, 1: neither, 2: B
                civil[v] += 1
                if c.seenByModerator {
                    civilHeld[v] += 1
                    civilByRule["\(c.rule)/\(["A", "-", "B"][v])/\(community.persons[c.person].kind.rawValue)", default: 0] += 1
                }
            }
            if let d = c.decidedAt, d - c.submitted >= maxWaitMinutes - 1e-9 { timedOut += 1 }
        }
        let trustedComments = comments.filter { $0.decidedAt == $0.submitted && $0.everPublished }.count
        times.sort()
        func pct(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        func quantile(_ xs: [Double], _ q: Double) -> Double {
            xs.isEmpty ? 0 : xs[min(xs.count - 1, Int(Double(xs.count - 1) * q + 0.5))]
        }
        // Random voters: the review turn after which none of their reviews carried weight (a muted reviewer spared
        // a review with no audit due still had the turn).
        var stops: [Double] = []
        for (account, person) in accountPerson.enumerated() where community.persons[person].kind == .lazy {
            guard turnsByAccount[account] >= 20 else { continue }
            stops.append(Double(lastCountedByAccount[account]))
        }
        stops.sort()
        let within = stops.filter { $0 <= 20 }.count
        var quality: (Double, Double)?
        if policy != .majorityOfThree { quality = qualityCorrelations() }
        let n = comments.count
        return PolicyResult(
            policy: policy, comments: n, uncivilShare: pct(uncivil, n),
            uncivilPublishedUnseen: pct(unseen, uncivil), uncivilEverVisible: pct(visible, uncivil),
            civilWithheld: pct(civilHeld.reduce(0, +), civil.reduce(0, +)),
            civilWithheldA: pct(civilHeld[0], civil[0]), civilWithheldB: pct(civilHeld[2], civil[2]),
            civilWithheldNeutral: pct(civilHeld[1], civil[1]),
            reviewsPerDecided: decided == 0 ? 0 : Double(totalReviews) / Double(decided),
            auditShareOfReviews: pct(auditReviews, totalReviews),
            decisionMinutesP50: quantile(times, 0.5), decisionMinutesP95: quantile(times, 0.95),
            randomVotersStoppedWithin20: pct(within, stops.count), randomVotersMeasured: stops.count,
            randomVoterStopP50: quantile(stops, 0.5), randomVoterStopP95: quantile(stops, 0.95),
            moderatorLoad: pct(moderated, n), timedOut: pct(timedOut, n), trustedAuthorsComments: pct(trustedComments, n),
            qualityCorrelationBridged: quality?.0, qualityCorrelationRaw: quality?.1,
            sanctions: Dictionary(uniqueKeysWithValues: sanctionCounts.map { ($0.key.rawValue, $0.value) }),
            uncivilPublishedByRule: uncivilByRule, civilWithheldByRule: civilByRule,
            reviewerProfiles: policy != .majorityOfThree ? reviewerProfiles() : [:],
            seconds: seconds, countedReviewsPerComment: Double(countedReviews) / Double(max(n, 1)),
            meanQueueLength: queueLengthSum / Double(max(n, 1)),
            evidenceWeights: policy == .majorityOfThree ? nil : engine.model.evidenceWeights)
    }

    func reviewerProfiles() -> [String: String] {
        var out: [String: String] = [:]
        for kind in PersonKind.allCases {
            var n = 0.0, acc = 0.0, factor = 0.0, muted = 0.0
            for (account, person) in accountPerson.enumerated()
            where community.persons[person].kind == kind && reviewsByAccount[account] >= 20 {
                let r = reviewers[account]
                n += 1
                acc += engine.reliability(of: r).accuracy
                factor += r.civilityFactor
                if r.standing == .muted || r.isBanned(at: date) { muted += 1 }
            }
            guard n > 0 else { continue }
            out[kind.rawValue] = String(format: "n %.0f, accuracy %.3f, factor %+.2f, not counting %.1f%%",
                                        n, acc / n, factor / n, 100 * muted / n)
        }
        return out
    }

    /// Spearman correlation with true quality, over civil comments with at least two quality ratings.
    func qualityCorrelations() -> (Double, Double) {
        var truth: [Double] = [], bridged: [Double] = [], raw: [Double] = []
        for c in comments where !c.uncivil && c.reviews.count >= 2 {
            let records = c.reviews.map { reviewers[Int($0.reviewerID)] }
            let q = engine.quality(of: c.reviews, authorID: c.authorID, reviewers: records)
            truth.append(c.quality)
            bridged.append(q.score)
            raw.append(q.rawMean)
        }
        return (spearman(truth, bridged), spearman(truth, raw))
    }
}

func ranks(_ xs: [Double]) -> [Double] {
    let order = xs.indices.sorted { xs[$0] < xs[$1] }
    var r = [Double](repeating: 0, count: xs.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && xs[order[j + 1]] == xs[order[i]] { j += 1 }
        let avg = Double(i + j) / 2
        for k in i...j { r[order[k]] = avg }
        i = j + 1
    }
    return r
}

func spearman(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count > 2 else { return 0 }
    let ra = ranks(a), rb = ranks(b)
    let n = Double(a.count)
    let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices {
        sab += (ra[i] - ma) * (rb[i] - mb)
        saa += (ra[i] - ma) * (ra[i] - ma)
        sbb += (rb[i] - mb) * (rb[i] - mb)
    }
    return sab / (saa * sbb).squareRoot()
}

/// Runs a scenario under both policies.
public enum Simulator {
    public static func run(
        _ scenario: Scenario, policies: [PolicyKind] = PolicyKind.standard,
        progress: (@Sendable (PolicyKind, Double) -> Void)? = nil
    ) -> ScenarioResult {
        var results: [PolicyResult] = []
        for policy in policies {
            let start = ContinuousClock.now
            let run = Run(scenario: scenario, policy: policy, progress: progress)
            _ = run.run()
            let elapsed = start.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            results.append(run.result(seconds: seconds))
        }
        return ScenarioResult(scenario: scenario.name, seed: scenario.seed, results: results,
                              brigadeShare: scenario.brigadeShare)
    }
}

/// The issue's goals, checked against a result.
public struct GoalCheck: Sendable {
    public var name: String
    public var target: String
    public var value: String
    public var met: Bool
}

extension ScenarioResult {
    public func goals() -> [GoalCheck] {
        guard let e = results.first(where: { $0.policy == .engine }) else { return [] }
        let m = results.first { $0.policy == .majorityOfThree }
        func p(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        var g: [GoalCheck] = [
            GoalCheck(name: "uncivil published unseen", target: "≤ 1%", value: p(e.uncivilPublishedUnseen), met: e.uncivilPublishedUnseen <= 0.01),
            GoalCheck(name: "civil withheld (all)", target: "≤ 3%", value: p(e.civilWithheld), met: e.civilWithheld <= 0.03),
            GoalCheck(name: "civil withheld (viewpoint B)", target: "≤ 3%", value: p(e.civilWithheldB), met: e.civilWithheldB <= 0.03),
        ]
        if let m {
            let cap = m.civilWithheldB / 5
            if brigadeShare > 0 {
                g.append(GoalCheck(name: "B withheld vs majority-of-3", target: "≤ \(p(cap)) (1/5 of \(p(m.civilWithheldB)))",
                                   value: p(e.civilWithheldB), met: e.civilWithheldB <= cap + 1e-12))
            } else {
                g.append(GoalCheck(name: "B withheld vs majority-of-3 (no brigade: n/a)",
                                   target: "1/5 of \(p(m.civilWithheldB)) = \(p(cap))", value: p(e.civilWithheldB), met: true))
            }
        }
        g += [
            GoalCheck(name: "moderator load", target: "≤ \(p(e.uncivilShare + 0.03)) (uncivil + 3pp)", value: p(e.moderatorLoad),
                      met: e.moderatorLoad <= e.uncivilShare + 0.03),
            GoalCheck(name: "reviews per decided comment", target: "≤ 3.0", value: String(format: "%.2f", e.reviewsPerDecided),
                      met: e.reviewsPerDecided <= 3.0),
            GoalCheck(name: "random voters stop counting ≤ 20 reviews", target: "≥ 95%",
                      value: e.randomVotersMeasured == 0 ? "n/a (none with 20 reviews)" : p(e.randomVotersStoppedWithin20),
                      met: e.randomVotersMeasured == 0 || e.randomVotersStoppedWithin20 >= 0.95),
        ]
        return g
    }

    /// The printed report: one column per policy, then the goals.
    public func table() -> String {
        func p(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        func m(_ x: Double) -> String { String(format: "%.0f", x) }
        let rows: [(String, (PolicyResult) -> String)] = [
            ("comments", { "\($0.comments)" }),
            ("uncivil share", { p($0.uncivilShare) }),
            ("uncivil published unseen (of uncivil)", { p($0.uncivilPublishedUnseen) }),
            ("uncivil ever visible (of uncivil)", { p($0.uncivilEverVisible) }),
            ("civil withheld/to moderators (of civil)", { p($0.civilWithheld) }),
            ("  viewpoint A", { p($0.civilWithheldA) }),
            ("  viewpoint B (brigaded)", { p($0.civilWithheldB) }),
            ("  neither", { p($0.civilWithheldNeutral) }),
            ("reviews per decided comment", { String(format: "%.2f", $0.reviewsPerDecided) }),
            ("  of which audits", { p($0.auditShareOfReviews) }),
            ("time to decision p50 (min)", { m($0.decisionMinutesP50) }),
            ("time to decision p95 (min)", { m($0.decisionMinutesP95) }),
            ("random voters stopped ≤ 20 reviews", {
                $0.randomVotersMeasured == 0 ? "n/a" : "\(p($0.randomVotersStoppedWithin20)) of \($0.randomVotersMeasured)" }),
            ("random voter stops after p50 / p95", {
                $0.policy == .majorityOfThree ? "never" : "\(m($0.randomVoterStopP50)) / \(m($0.randomVoterStopP95))" }),
            ("moderator load (of all comments)", { p($0.moderatorLoad) }),
            ("timed out", { p($0.timedOut) }),
            ("published at once (trusted)", { p($0.trustedAuthorsComments) }),
            ("best sort: rank corr. bridged / raw", {
                guard let b = $0.qualityCorrelationBridged, let r = $0.qualityCorrelationRaw else { return "-" }
                return String(format: "%.3f / %.3f", b, r)
            }),
            ("counted reviews per comment", { String(format: "%.2f", $0.countedReviewsPerComment) }),
            ("mean review queue length", { String(format: "%.1f", $0.meanQueueLength) }),
            ("evidence weights author / pre-screen / self", {
                guard let w = $0.evidenceWeights else { return "-" }
                return String(format: "%.2f / %.2f / %.2f", w.authorRecord, w.preScreen, w.selfRating)
            }),
            ("run time (s)", { String(format: "%.1f", $0.seconds) }),
        ]
        let width = rows.map { $0.0.count }.max()! + 2
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var out = "scenario: \(scenario) (seed \(seed))\n"
        out += pad("", width) + results.map { pad($0.policy.rawValue, 22) }.joined() + "\n"
        for (label, f) in rows {
            out += pad(label, width) + results.map { pad(f($0), 22) }.joined() + "\n"
        }
        if let e = results.first(where: { $0.policy == .engine }), !e.sanctions.isEmpty {
            out += "engine sanctions: " + e.sanctions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        for r in results {
            func list(_ d: [String: Int]) -> String {
                d.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            out += "\(r.policy.rawValue): uncivil published unseen by rule/author: \(list(r.uncivilPublishedByRule))\n"
            out += "\(r.policy.rawValue): civil sent to moderators by rule/viewpoint: \(list(r.civilWithheldByRule))\n"
        }
        for r in results where !r.reviewerProfiles.isEmpty {
            for (k, v) in r.reviewerProfiles.sorted(by: { $0.key < $1.key }) { out += "\(r.policy.rawValue) reviewers, \(k): \(v)\n" }
        }
        let checks = goals()
        if !checks.isEmpty {
            out += "goals (engine):\n"
            for c in checks {
                out += "  [\(c.met ? "met" : "MISSED")] \(pad(c.name, 42)) \(pad(c.value, 12)) target \(c.target)\n"
            }
        }
        return out
    }
}
