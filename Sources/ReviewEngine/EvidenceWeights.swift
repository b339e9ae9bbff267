import Foundation

/// How much of each kind of evidence other than reviews a decision uses: 1 is the term as calibrated, 0 is
/// none of it. `Engine.refit` learns them from what the evidence is shown to be worth on this site, and never
/// sets one above 1.
///
/// Why: the pre-screen calibration, the self-rating rates and the author table are fitted by the same EM as
/// the reviewers, against classes that themselves lean on these terms; where peers are few or noisy, a weak
/// pre-screen or a self-rating that authors never use can end up carrying decisions. The weights are checked
/// against classes that do not depend on the terms: moderators' verdicts, and comments whose counted votes
/// alone decide them.
public struct EvidenceWeights: Sendable, Codable, Hashable {
    /// The author's record (as an author and as a reviewer), beyond the site's base rate.
    public var authorRecord: Double = 1
    public var preScreen: Double = 1
    public var selfRating: Double = 1
    /// Comments the last fit rested on.
    public var basedOn: Int = 0

    public init(authorRecord: Double = 1, preScreen: Double = 1, selfRating: Double = 1, basedOn: Int = 0) {
        self.authorRecord = authorRecord
        self.preScreen = preScreen
        self.selfRating = selfRating
        self.basedOn = basedOn
    }

    public func weight(of kind: EvidenceTerm.Kind) -> Double {
        switch kind {
        case .authorRecord, .authorAsReviewer: authorRecord
        case .preScreen: preScreen
        case .selfRating: selfRating
        }
    }
}

extension BatchFit {
    /// Votes whose summed log-likelihood ratio reaches this decide a comment without other evidence: such
    /// comments (and those a moderator decided) are what the evidence weights are checked against.
    static let decisiveVotes = 3.0

    /// Learns `ModelState.evidenceWeights`: a logistic regression of the class (a moderator's verdict, or the
    /// class the counted votes alone give where they are decisive) on the three calibrated terms, with its own
    /// intercept (the comments it rests on are not a random sample), each coefficient pulled towards its previous
    /// value (1 at first) by a ridge worth `ridge` comments, and clipped to 0...1.
    mutating func fitEvidenceWeights(ridge: Double = 40) {
        let previous = model.evidenceWeights ?? EvidenceWeights()
        let base = logit(model.uncivilShare)
        var rows: [(x: [Double], y: Double)] = []
        for c in 0..<commentCount {
            let y: Double
            if let v = verdict[c] {
                y = v == .uncivil ? 1 : 0
            } else {
                var llr = 0.0
                for k in voteStart[c]..<voteStart[c + 1] {
                    let r = rel[voteReviewer[k]]
                    guard r.accuracyLogit > 0 else { continue }
                    llr += logVote(voteUncivil[k], r, 0, y: 1, g: 0) - logVote(voteUncivil[k], r, 0, y: 0, g: 0)
                }
                guard abs(llr) >= Self.decisiveVotes else { continue }
                y = sigmoid(base + llr)
            }
            let (published, rejected) = authorRecords[c]
            var author = logit(model.authorRate(published: published, rejected: rejected)) - base
            if authorReviewer[c] >= 0, let table = model.authorAsReviewerLogOdds, authorReviewer[c] < table.count {
                author += table[authorReviewer[c]]
            }
            let pre = preScreen[c].map { model.preScreenIntercept + model.preScreenSlope * $0 - base } ?? 0
            let own = selfRating[c].map { model.selfRatingWeight($0) } ?? 0
            rows.append(([1, author, pre, own], y))
        }
        guard rows.count >= 50 else { return }
        var w = [base, previous.authorRecord, previous.preScreen, previous.selfRating]
        let prior = w
        for _ in 0..<8 {
            var g = [Double](repeating: 0, count: 4)
            var h = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
            for j in 1..<4 {
                g[j] -= ridge * (w[j] - prior[j])
                h[j][j] += ridge
            }
            h[0][0] += 1e-6
            for (x, y) in rows {
                var z = 0.0
                for j in 0..<4 { z += w[j] * x[j] }
                let p = sigmoid(z)
                let s = max(p * (1 - p), 1e-9)
                for j in 0..<4 {
                    g[j] += (y - p) * x[j]
                    for k in 0..<4 { h[j][k] += s * x[j] * x[k] }
                }
            }
            guard let step = solve4(h, g) else { break }
            for j in 0..<4 { w[j] += step[j] }
            for j in 1..<4 { w[j] = min(max(w[j], 0), 1) }
        }
        model.evidenceWeights = EvidenceWeights(authorRecord: w[1], preScreen: w[2], selfRating: w[3], basedOn: rows.count)
    }
}

/// Solves h · x = g for a 4×4 symmetric positive definite h (Gaussian elimination with partial pivoting).
func solve4(_ h: [[Double]], _ g: [Double]) -> [Double]? {
    var a = h, b = g
    let n = 4
    for col in 0..<n {
        var pivot = col
        for r in col..<n where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
        guard abs(a[pivot][col]) > 1e-12 else { return nil }
        a.swapAt(col, pivot)
        b.swapAt(col, pivot)
        for r in (col + 1)..<n {
            let f = a[r][col] / a[col][col]
            for k in col..<n { a[r][k] -= f * a[col][k] }
            b[r] -= f * b[col]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
        var s = b[r]
        for k in (r + 1)..<n { s -= a[r][k] * x[k] }
        x[r] = s / a[r][r]
    }
    return x
}
