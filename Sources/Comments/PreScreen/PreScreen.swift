import Foundation
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// What the pre-screen knows about a comment's author: their recent comments and when they last commented.
public struct PreScreenAuthor: Sendable, Equatable {
    public struct PastComment: Sendable, Equatable {
        public var text: String
        public var postedAt: Date

        public init(text: String, postedAt: Date) {
            self.text = text
            self.postedAt = postedAt
        }
    }

    /// The author's own recent comments (any article, any state); older than the duplicate window are ignored.
    public var recentComments: [PastComment]
    /// When the author last submitted a comment; when `nil`, the newest of `recentComments` is used.
    public var lastCommentAt: Date?

    public init(recentComments: [PastComment] = [], lastCommentAt: Date? = nil) {
        self.recentComments = recentComments
        self.lastCommentAt = lastCommentAt
    }
}

/// Why a comment is refused before it reaches peer review.
public enum PreScreenRefusalCode: String, Sendable, Codable, Equatable, CaseIterable {
    case empty
    case tooLong
    case tooFrequent
    case duplicate
    case bannedWord
    case tooManyLinks
    /// Only when `PreScreenSettings.toxicityRefuseThreshold` is set.
    case toxic
}

/// A refused comment: a code for the program, a message for the reader.
public struct PreScreenRefusal: Sendable, Equatable, Codable, Error, CustomStringConvertible {
    public var code: PreScreenRefusalCode
    /// Shown to the reader as is. Never repeats a banned word back.
    public var message: String
    /// For `.tooFrequent`: whole seconds until the author may comment again.
    public var retryAfterSeconds: Int?

    public init(code: PreScreenRefusalCode, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Why a comment is held for a moderator instead of going to peer review. Shown to moderators.
public enum PreScreenHoldReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The comment contains this entry of the suspect-word list (as the admin wrote it).
    case suspectWord(String)
    /// The toxicity scorer's score reached the hold threshold.
    case toxicity(score: Double, threshold: Double)

    public var description: String {
        switch self {
        case .suspectWord(let word): "contains the suspect word “\(word)”"
        case .toxicity(let score, let threshold):
            "toxicity score \(String(format: "%.2f", score)) at or above \(String(format: "%.2f", threshold))"
        }
    }
}

/// The pre-screen's answer for one comment.
public enum PreScreenDecision: Sendable, Equatable {
    /// On to peer review. `score` is the toxicity score (0 civil … 1 toxic).
    case pass(score: Double)
    /// To the moderators' "held by pre-screen" queue.
    case hold(reasons: [PreScreenHoldReason], score: Double)
    /// Not accepted; the reader sees the refusal's message and may edit and try again.
    case refuse(PreScreenRefusal)

    public var score: Double? {
        switch self {
        case .pass(let score), .hold(_, let score): score
        case .refuse: nil
        }
    }
}

/// The checks a comment goes through before peer review.
///
/// Everything but the toxicity scorer is pure and synchronous (`checkRules`); `screen` adds the one
/// asynchronous call to the scorer. Order: empty, too long, too frequent, duplicate, banned words,
/// links (each refuses), then suspect words and the toxicity score (each holds).
public struct PreScreen: Sendable {
    public let settings: PreScreenSettings
    public let scorer: any ToxicityScorer
    let banned: WordList
    let suspect: WordList

    public init(settings: PreScreenSettings = .default, scorer: any ToxicityScorer = LocalToxicityScorer()) {
        self.settings = settings
        self.scorer = scorer
        self.banned = WordList(settings.bannedWords)
        self.suspect = WordList(settings.suspectWords)
    }

    /// The outcome of the checks that need no scorer.
    public enum RuleOutcome: Sendable, Equatable {
        case refuse(PreScreenRefusal)
        /// Not refused; hold for these reasons (empty: no reason to hold so far).
        case proceed(holdReasons: [PreScreenHoldReason])
    }

    /// Screens a comment: the rules, then (unless refused) the toxicity scorer.
    ///
    /// Throws only what the scorer throws; wrap a remote scorer in `FallbackToxicityScorer` to never throw.
    public func screen(_ text: String, author: PreScreenAuthor, now: Date = Date()) async throws -> PreScreenDecision {
        var reasons: [PreScreenHoldReason]
        switch checkRules(text, author: author, now: now) {
        case .refuse(let refusal): return .refuse(refusal)
        case .proceed(let holdReasons): reasons = holdReasons
        }
        let raw = try await scorer.score(text)
        let score = raw.isFinite ? min(max(raw, 0), 1) : 1
        if let refuseAt = settings.toxicityRefuseThreshold, score >= refuseAt {
            return .refuse(
                PreScreenRefusal(
                    code: .toxic,
                    message: "Your comment looks abusive, so it can't be posted. Please keep it civil: "
                        + "criticise ideas, not people."
                )
            )
        }
        if score >= settings.toxicityHoldThreshold {
            reasons.append(.toxicity(score: score, threshold: settings.toxicityHoldThreshold))
        }
        return reasons.isEmpty ? .pass(score: score) : .hold(reasons: reasons, score: score)
    }

    /// The checks that need no scorer: pure, synchronous, cheap.
    public func checkRules(_ text: String, author: PreScreenAuthor, now: Date = Date()) -> RuleOutcome {
        if TextChecks.isBlank(text) {
            return .refuse(PreScreenRefusal(code: .empty, message: "Your comment is empty. Write something before posting."))
        }
        let length = text.count
        if length > settings.maxCharacters {
            return .refuse(
                PreScreenRefusal(
                    code: .tooLong,
                    message: "Your comment is \(Self.grouped(length)) characters long; the limit is "
                        + "\(Self.grouped(settings.maxCharacters)). Please shorten it."
                )
            )
        }
        if let wait = secondsToWait(author: author, now: now) {
            return .refuse(
                PreScreenRefusal(
                    code: .tooFrequent,
                    message: "You're commenting too quickly. Please wait \(wait) second\(wait == 1 ? "" : "s") "
                        + "and try again.",
                    retryAfterSeconds: wait
                )
            )
        }
        if isDuplicate(text, author: author, now: now) {
            return .refuse(
                PreScreenRefusal(
                    code: .duplicate,
                    message: "You've already posted this comment. Please write something new."
                )
            )
        }
        if banned.containsMatch(in: text) {
            return .refuse(
                PreScreenRefusal(
                    code: .bannedWord,
                    message: "Your comment contains a banned word. Please remove it and try again."
                )
            )
        }
        let links = TextChecks.linkCount(in: text)
        if links > settings.maxLinks {
            let message =
                settings.maxLinks <= 0
                ? "Links aren't allowed in comments here. Please remove them and try again."
                : "Your comment has \(links) links; at most \(settings.maxLinks) "
                    + "\(settings.maxLinks == 1 ? "is" : "are") allowed. Please remove some and try again."
            return .refuse(PreScreenRefusal(code: .tooManyLinks, message: message))
        }
        return .proceed(holdReasons: suspect.matches(in: text).map { .suspectWord($0) })
    }

    /// Whole seconds until the author may comment again, or nil if they may now.
    func secondsToWait(author: PreScreenAuthor, now: Date) -> Int? {
        guard settings.minSecondsBetweenComments > 0 else { return nil }
        guard let last = author.lastCommentAt ?? author.recentComments.map(\.postedAt).max() else { return nil }
        let elapsed = now.timeIntervalSince(last)
        let remaining = Double(settings.minSecondsBetweenComments) - elapsed
        guard remaining > 0 else { return nil }
        return Int(remaining.rounded(.up))
    }

    func isDuplicate(_ text: String, author: PreScreenAuthor, now: Date) -> Bool {
        let key = Self.duplicateKey(text)
        let since = now.addingTimeInterval(-Double(settings.duplicateWindowSeconds))
        return author.recentComments.contains { past in
            past.postedAt >= since && Self.duplicateKey(past.text) == key
        }
    }

    static func duplicateKey(_ text: String) -> String {
        let normalised = TextChecks.normalisedForDuplicates(text)
        // A comment of emoji or punctuation only is compared as written.
        return normalised.isEmpty ? "\u{0}" + text.trimmingCharacters(in: .whitespacesAndNewlines) : normalised
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
