import Foundation

// The review engine is pure: every input is a value, every output is a value, and nothing here reads a clock,
// a database or the network. The comment server persists the records and calls these functions per request;
// the simulator calls exactly the same functions for synthetic communities.

/// A signed-in person. Every commenter is also a reviewer, so one identifier serves both roles.
public typealias UserID = Int64
/// A comment, whether pending, published, withheld or used as an audit.
public typealias CommentID = Int64
/// The article a comment belongs to (used to spread a reviewer's picks across articles).
public typealias ArticleID = Int64

/// The answer to "Is it civil?". Civil is not the same as nice: disagreement is civil; insults, threats,
/// slurs, doxxing and spam are not.
public enum CivilityVote: String, Sendable, Codable, Hashable, CaseIterable {
    case civil
    case uncivil
}

/// The answer to "Is this a good comment?". Quality is taste; it drives the "best" sort, never publication.
public enum QualityVote: String, Sendable, Codable, Hashable, CaseIterable {
    case good
    case somewhat
    case notGood

    /// The number the quality model works with: good 1, somewhat 0.5, not good 0.
    public var score: Double {
        switch self {
        case .good: 1
        case .somewhat: 0.5
        case .notGood: 0
        }
    }
}

/// Optional flags a reviewer can attach. They are recorded and shown to moderators; the decision itself rests
/// on the civility vote.
public enum ReviewFlag: String, Sendable, Codable, Hashable, CaseIterable {
    case personalAttack, harassment, threat, spam, doxxing, misinformation
}

/// One peer review of one comment.
public struct Review: Sendable, Codable, Hashable {
    public var id: Int64
    public var commentID: CommentID
    public var reviewerID: UserID
    public var civility: CivilityVote
    public var quality: QualityVote?
    public var flags: [ReviewFlag]
    public var submittedAt: Date

    public init(
        id: Int64, commentID: CommentID, reviewerID: UserID, civility: CivilityVote,
        quality: QualityVote? = nil, flags: [ReviewFlag] = [], submittedAt: Date
    ) {
        self.id = id
        self.commentID = commentID
        self.reviewerID = reviewerID
        self.civility = civility
        self.quality = quality
        self.flags = flags
        self.submittedAt = submittedAt
    }
}

/// What the engine needs to know about a comment besides its reviews.
public struct CommentUnderReview: Sendable, Codable, Hashable {
    public var id: CommentID
    public var authorID: UserID
    public var articleID: ArticleID
    public var submittedAt: Date
    /// The pre-screen's toxicity score in 0...1 (higher is more likely uncivil), if a scorer ran.
    public var preScreenScore: Double?
    /// The author's own answer to "Is it civil?" after reviewing others, if given.
    public var selfRating: CivilityVote?

    public init(
        id: CommentID, authorID: UserID, articleID: ArticleID, submittedAt: Date,
        preScreenScore: Double? = nil, selfRating: CivilityVote? = nil
    ) {
        self.id = id
        self.authorID = authorID
        self.articleID = articleID
        self.submittedAt = submittedAt
        self.preScreenScore = preScreenScore
        self.selfRating = selfRating
    }
}

// MARK: - Small numeric helpers shared by the policy code.

@inline(__always) func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

@inline(__always) func logit(_ p: Double) -> Double {
    let q = min(max(p, 1e-12), 1 - 1e-12)
    return log(q / (1 - q))
}

/// log(sigmoid(x)) without overflow.
@inline(__always) func logSigmoid(_ x: Double) -> Double {
    x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x))
}

/// Log of a sum of exponentials, for normalising posteriors kept in log space.
func logSumExp(_ values: [Double]) -> Double {
    guard let top = values.max(), top > -Double.infinity else { return -Double.infinity }
    var sum = 0.0
    for v in values { sum += exp(v - top) }
    return top + log(sum)
}

/// A stateless mixing function (SplitMix64's finaliser), used to turn caller-supplied entropy into choices
/// so that the engine stays deterministic without owning a random number generator.
@inline(__always) func mix64(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

@inline(__always) func unitInterval(_ value: UInt64) -> Double {
    Double(value >> 11) * (1.0 / 9_007_199_254_740_992.0)
}

/// The standard normal distribution function.
@inline(__always) func normalCDF(_ z: Double) -> Double {
    0.5 * erfc(-z / 2.0.squareRoot())
}

/// The information (in bits) in the answer to a yes-or-no question whose answer is yes with chance `p`.
@inline(__always) func binaryEntropy(_ p: Double) -> Double {
    let q = min(max(p, 1e-12), 1 - 1e-12)
    return -(q * log2(q) + (1 - q) * log2(1 - q))
}
