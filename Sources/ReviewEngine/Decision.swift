import Foundation

/// What happens to a comment now.
public struct Decision: Sendable, Codable, Hashable {
    public enum Verdict: String, Sendable, Codable, Hashable {
        /// Show it to readers.
        case publish
        /// Hide it and put it in front of a moderator, who confirms or overturns.
        case withhold
        /// Keep it pending and in the review queue.
        case needsMoreReviews
    }

    /// Which rule of the policy produced the verdict (the first one that applied, in the order of `Engine.decide`).
    public enum Rule: String, Sendable, Codable, Hashable {
        /// Peers (with the other evidence) put the chance it is uncivil at or above the withhold bar.
        case peersFoundUncivil
        /// Peers (with the other evidence) put the chance it is uncivil at or below the publish bar.
        case peersFoundCivil
        /// A trusted author's comment is published at once; peers may still withdraw it.
        case trustedAuthor
        /// Peers used up `Settings.maximumReviews` without agreeing.
        case peersCouldNotAgree
        /// The comment waited `Settings.maximumWait` without a decision.
        case timedOut
        /// Not decided yet.
        case waiting
    }

    public var verdict: Verdict
    public var rule: Rule
    /// The engine's estimate that the comment is uncivil, all evidence included.
    public var probabilityUncivil: Double
    /// About how many more counted reviews would settle it (0 when decided); the queue serves the smallest first.
    public var reviewsStillNeeded: Double
    /// Why, in terms a moderator, the author or a newcomer to the code can check.
    public var explanation: Explanation
}

/// The recorded reasoning behind a `Decision`: every piece of evidence with the log-odds it added, and every
/// review with whether and how much it counted. The log-odds of `evidence` and `reviews` add up to `logOdds`.
public struct Explanation: Sendable, Codable, Hashable {
    /// One line a person can read, e.g. "Withheld for a moderator: 3 reviews put the chance it is uncivil at 97%".
    public var summary: String
    /// Evidence other than reviews: the author's record (as an author and, if passed, as a reviewer), the
    /// pre-screen score, the author's self-rating.
    public var evidence: [EvidenceTerm]
    /// One entry per review passed in, in the order the engine weighed them (reviewer id, then review id).
    public var reviews: [ReviewAccount]
    /// Sum of all contributions: the log-odds that the comment is uncivil.
    public var logOdds: Double
    /// The bars the estimate was compared against.
    public var publishAtMost: Double
    public var withholdAtLeast: Double
    /// Where the comment sits on the learned axis of disagreement (bridging model): the expected side,
    /// −1...1, and how sure the engine is that it is not neutral.
    public var side: Double
    /// Reviews that carried weight.
    public var countedReviews: Int

    /// The author-record term, which the server keeps for `Engine.refit`.
    public var authorLogOdds: Double {
        evidence.first { $0.kind == .authorRecord }?.logOdds ?? 0
    }
}

/// One piece of non-review evidence and what it added.
public struct EvidenceTerm: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable {
        case authorRecord, preScreen, selfRating
        /// How the author reviews others: an author who keeps calling uncivil comments civil (an approver of
        /// abuse) writes uncivil comments more often than their comment record alone says.
        case authorAsReviewer
    }

    public var kind: Kind
    /// Log-odds (uncivil : civil) this term added; for the author record it is the starting point.
    public var logOdds: Double
    public var note: String
}

/// What became of one review in a decision.
public struct ReviewAccount: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable {
        /// Weighed by the reviewer's reliability (possibly discounted by the bridging model).
        case counted
        /// The author's own review of their comment never counts.
        case ownComment
        /// A second review by the same reviewer of the same comment; the first one counts.
        case duplicate
        /// The reviewer is serving a review ban.
        case reviewerBanned
        /// The reviewer's accuracy is below the bar: their votes stop counting until it recovers.
        case reviewerMuted
        /// The reviewer's record was not passed in, or shows no better than chance accuracy.
        case noReliability
    }

    public var reviewID: Int64
    public var reviewerID: UserID
    public var vote: CivilityVote
    public var status: Status
    /// Log-odds (uncivil : civil) this review added: positive pushes towards withholding. Zero if not counted.
    public var logOdds: Double
    /// What the vote would have added without the bridging discount (the reviewer's plain reliability).
    public var undiscountedLogOdds: Double
    /// The reviewer's estimated accuracy at decision time.
    public var reviewerAccuracy: Double
    public var note: String
}
