import Foundation
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// Quorum's built-in toxicity scorer: a logistic regression over word, word-pair and character n-gram
/// features, trained by `scripts/train-toxicity.py` on the labelled comments in `scripts/toxicity-data`.
/// Offline, no downloads, no I/O: the weights are compiled in. See docs/toxicity.md for what it measures and
/// where it fails: it is a first filter that sends comments to humans, never a judge.
public struct LocalToxicityScorer: ToxicityScorer {
    public init() {}

    /// The threshold at which the documented precision and recall were measured.
    public static var documentedThreshold: Double { LocalToxicityModel.threshold }

    public func score(_ text: String) async throws -> Double {
        Self.score(text)
    }

    /// The same score, synchronously.
    public static func score(_ text: String) -> Double {
        let feats = features(of: text)
        guard !feats.isEmpty else { return 1 / (1 + exp(-LocalToxicityModel.bias)) }
        let weights = Self.weights
        var sum = 0.0
        // In sorted order, as the training script sums: the same text always gets the same bits.
        for f in feats.sorted() {
            if let w = weights[f] { sum += w }
        }
        let z = LocalToxicityModel.bias + sum / Double(feats.count).squareRoot()
        return 1 / (1 + exp(-z))
    }

    static let weights: [String: Double] = {
        var table: [String: Double] = [:]
        for line in LocalToxicityModel.weightsTable.split(separator: "\n") {
            guard let tab = line.lastIndex(of: "\t"), let w = Double(line[line.index(after: tab)...]) else { continue }
            table[String(line[..<tab])] = w
        }
        return table
    }()

    // MARK: features: mirrors tokens() and features() in scripts/train-toxicity.py exactly

    static let leet: [Unicode.Scalar: Unicode.Scalar] = [
        "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i",
    ]

    static func isSymbol(_ s: Unicode.Scalar) -> Bool { s == "@" || s == "$" || s == "*" || s == "!" }
    static func isLower(_ s: Unicode.Scalar) -> Bool { s.value >= 97 && s.value <= 122 }

    static func tokens(of text: String) -> [String] {
        var raw: [[Unicode.Scalar]] = []
        var cur: [Unicode.Scalar] = []
        for s in text.unicodeScalars {
            let o = s.value
            if o >= 65 && o <= 90 {
                cur.append(Unicode.Scalar(o + 32)!)
            } else if (o >= 97 && o <= 122) || (o >= 48 && o <= 57) || isSymbol(s) {
                cur.append(s)
            } else if s == "'" || o == 0x2019 {
                continue
            } else if !cur.isEmpty {
                raw.append(cur)
                cur = []
            }
        }
        if !cur.isEmpty { raw.append(cur) }

        var out: [String] = []
        for var tok in raw {
            while let last = tok.last, isSymbol(last) { tok.removeLast() }
            while let first = tok.first, isSymbol(first), first != "$" { tok.removeFirst() }
            if tok.isEmpty { continue }
            if tok.contains(where: isLower) {
                tok = tok.compactMap { s in s == "*" ? nil : (leet[s] ?? s) }
            } else {
                tok = tok.filter { !isSymbol($0) }
                if tok.isEmpty { continue }
            }
            var capped: [Unicode.Scalar] = []
            for s in tok {
                let n = capped.count
                if n >= 2, capped[n - 1] == s, capped[n - 2] == s { continue }
                capped.append(s)
            }
            var word = ""
            word.unicodeScalars.append(contentsOf: capped)
            out.append(word)
        }
        return out
    }

    static func features(of text: String) -> Set<String> {
        let toks = tokens(of: text)
        var feats = Set<String>()
        for t in toks {
            feats.insert("w=" + t)
            let padded = Array(("<" + t + ">").unicodeScalars)
            for n in 3...4 where padded.count >= n {
                for i in 0...(padded.count - n) {
                    var gram = "c="
                    gram.unicodeScalars.append(contentsOf: padded[i..<(i + n)])
                    feats.insert(gram)
                }
            }
        }
        if toks.count >= 2 {
            for i in 0..<(toks.count - 1) { feats.insert("b=" + toks[i] + " " + toks[i + 1]) }
        }
        var previous: Unicode.Scalar?
        var letters = 0
        var upper = 0
        var doubleBang = false
        for s in text.unicodeScalars {
            if s == "!" && previous == "!" { doubleBang = true }
            previous = s
            if s.value >= 65 && s.value <= 90 {
                letters += 1
                upper += 1
            } else if isLower(s) {
                letters += 1
            }
        }
        if doubleBang { feats.insert("f=!!") }
        if letters >= 8 && upper * 2 >= letters { feats.insert("f=caps") }
        return feats
    }
}
