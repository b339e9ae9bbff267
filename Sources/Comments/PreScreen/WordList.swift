import Foundation
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// A compiled list of banned or suspect words and phrases, matched on whole words of a normalised text.
///
/// Evasions it sees through: case and accents ("FÜCK"), repeated letters ("fuuuuck"), common leetspeak
/// (0→o, 1→i or l, 3→e, 4→a, 5→s, 7→t, @→a, $→s, ! between letters→i, * for any one letter), invisible
/// characters inside a word, and letters spelled out one at a time with separators ("f.u.c.k", "f u c k").
///
/// What it will not do is match inside a longer word: "Scunthorpe", "assassin" and "cocktail" never match
/// "cunt", "ass" or "cock". An entry ending in `*` opts into matching longer words that *start* with it.
/// Repeated letters in the text only match where the entry has that letter: "ass" needs two s's, so the
/// word "as" never matches it.
struct WordList: Sendable {
    /// One entry of the list: one or more words, each a sequence of letter runs.
    struct Entry: Sendable {
        let original: String
        let words: [[Run]]
        let prefix: Bool
    }

    struct Run: Sendable, Equatable {
        let letter: Character
        let count: Int
    }

    let entries: [Entry]

    init(_ words: [String]) {
        entries = words.compactMap(WordList.compile)
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The entries (as written in the settings) that occur in `text`, in list order, without repeats.
    func matches(in text: String) -> [String] {
        guard !entries.isEmpty else { return [] }
        let tokens = WordList.tokens(of: text)
        guard !tokens.isEmpty else { return [] }
        return entries.filter { WordList.occurs($0, in: tokens) }.map(\.original)
    }

    func containsMatch(in text: String) -> Bool {
        !matches(in: text).isEmpty
    }

    // MARK: compiling entries

    static func compile(_ entry: String) -> Entry? {
        var text = entry.trimmingCharacters(in: .whitespacesAndNewlines)
        var prefix = false
        if text.hasSuffix("*") {
            prefix = true
            text = String(text.dropLast())
        }
        let folded = fold(text)
        let words = folded.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map { word in
            runs(of: Array(word))
        }.filter { !$0.isEmpty }
        guard !words.isEmpty else { return nil }
        return Entry(original: entry, words: words, prefix: prefix)
    }

    static func runs(of letters: [Character]) -> [Run] {
        var out: [Run] = []
        for c in letters {
            if let last = out.last, last.letter == c {
                out[out.count - 1] = Run(letter: c, count: last.count + 1)
            } else {
                out.append(Run(letter: c, count: 1))
            }
        }
        return out
    }

    // MARK: normalising text

    /// One position of a normalised word: the letters it may stand for (`nil` = any letter, from "*").
    struct Slot: Sendable, Equatable {
        let letters: [Character]?

        func accepts(_ c: Character) -> Bool {
            guard let letters else { return true }
            return letters.contains(c)
        }
    }

    typealias Token = [Slot]

    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
    }

    static let leet: [Character: [Character]] = [
        "0": ["o"], "1": ["i", "l"], "3": ["e"], "4": ["a"], "5": ["s"], "7": ["t"],
        "@": ["a"], "$": ["s"], "!": ["i"],
    ]

    /// Characters that are letters in disguise inside a word, punctuation at its edges.
    static let disguises: Set<Character> = ["@", "$", "!", "*"]

    static func isInvisible(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { s in
            s.properties.generalCategory == .format || s.value == 0x00AD || s.properties.isVariationSelector
        }
    }

    /// The words of `text`, normalised, in order.
    static func tokens(of text: String) -> [Token] {
        var raw: [[Character]] = []
        var current: [Character] = []
        for c in fold(text) {
            if isInvisible(c) { continue }  // "fu\u{200B}ck" is one word
            if c.isLetter || c.isNumber || disguises.contains(c) {
                current.append(c)
            } else if !current.isEmpty {
                raw.append(current)
                current = []
            }
        }
        if !current.isEmpty { raw.append(current) }
        return raw.compactMap(token)
    }

    static func token(_ chars: [Character]) -> Token? {
        var chars = chars[...]
        // "!" and "*" at the edges are punctuation ("now!!!", "*really*"); "$" and "@" may start a word ("$hit").
        while let last = chars.last, last == "!" || last == "*" { chars = chars.dropLast() }
        while let first = chars.first, first == "!" || first == "*" { chars = chars.dropFirst() }
        guard !chars.isEmpty else { return nil }
        let hasLetter = chars.contains(where: \.isLetter)
        if !hasLetter {
            // A number stays a number: "455" is not "ass".
            let kept = chars.filter { !disguises.contains($0) }
            return kept.isEmpty ? nil : kept.map { Slot(letters: [$0]) }
        }
        return chars.map { c in
            if c == "*" { return Slot(letters: nil) }
            if let letters = leet[c] { return Slot(letters: letters) }
            return Slot(letters: [c])
        }
    }

    // MARK: matching

    static func occurs(_ entry: Entry, in tokens: [Token]) -> Bool {
        let n = entry.words.count
        if n <= tokens.count {
            for start in 0...(tokens.count - n) {
                var all = true
                for k in 0..<n {
                    let isLast = k == n - 1
                    if !matches(entry.words[k], tokens[start + k], prefix: entry.prefix && isLast) {
                        all = false
                        break
                    }
                }
                if all { return true }
            }
        }
        // Letters spelled out one by one: "f u c k", "f.u.c.k", "f-u-c-k-i-n-g". Only for one-word entries,
        // only over runs of three or more single-letter tokens.
        guard n == 1 else { return false }
        var i = 0
        while i < tokens.count {
            guard tokens[i].count == 1 else {
                i += 1
                continue
            }
            var j = i
            while j < tokens.count, tokens[j].count == 1 { j += 1 }
            if j - i >= 3 {
                let letters = tokens[i..<j].map { $0[0] }
                let limit = min(letters.count, 64)
                for a in 0..<(limit - 1) {
                    for b in (a + 2)...limit {
                        if matches(entry.words[0], Array(letters[a..<b]), prefix: entry.prefix) { return true }
                    }
                }
            }
            i = j
        }
        return false
    }

    /// Whether a whole token spells the word: each run of the word matched by at least as many slots of the
    /// token (more are repeated letters), nothing left over unless `prefix`.
    static func matches(_ runs: [Run], _ token: Token, prefix: Bool) -> Bool {
        let minimum = runs.reduce(0) { $0 + $1.count }
        guard token.count >= minimum, token.count <= 256 else { return false }
        // reachable[r][p]: the first r runs can consume exactly the first p slots.
        var reachable = [Bool](repeating: false, count: token.count + 1)
        reachable[0] = true
        for run in runs {
            var next = [Bool](repeating: false, count: token.count + 1)
            for p in 0...token.count where reachable[p] {
                var q = p
                while q < token.count, token[q].accepts(run.letter) {
                    q += 1
                    if q - p >= run.count { next[q] = true }
                }
            }
            reachable = next
            if !reachable.contains(true) { return false }
        }
        return prefix ? reachable.contains(true) : reachable[token.count]
    }
}
