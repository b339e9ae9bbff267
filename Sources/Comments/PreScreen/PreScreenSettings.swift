import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

/// What the comment pre-screen checks, per site. Admins edit it; it is stored as JSON in the settings table.
///
/// Decoding tolerates missing keys (each falls back to its default), so settings saved by an older
/// version keep working when a setting is added.
public struct PreScreenSettings: Sendable, Codable, Equatable {
    /// Words and phrases that refuse a comment outright. Matching ignores case, accents, repeated letters,
    /// common leetspeak and separators ("f.u.c.k"), but only ever matches whole words, so "Scunthorpe" or
    /// "assassin" are safe. A trailing `*` also matches longer words that start with it ("fuck*" matches
    /// "fucking"). Phrases ("kill yourself") match consecutive words.
    public var bannedWords: [String]
    /// Words and phrases that hold a comment for a moderator instead of sending it to peer review.
    public var suspectWords: [String]
    /// Most links (http(s) URLs and bare domains such as example.com/path) one comment may contain.
    public var maxLinks: Int
    /// Longest comment, in characters (grapheme clusters).
    public var maxCharacters: Int
    /// Shortest time between two comments by the same person, in seconds; 0 turns the limit off.
    public var minSecondsBetweenComments: Int
    /// How far back, in seconds, a comment counts as one of the author's recent comments for the
    /// duplicate check.
    public var duplicateWindowSeconds: Int
    /// A toxicity score at or above this holds the comment for a moderator.
    public var toxicityHoldThreshold: Double
    /// A toxicity score at or above this refuses the comment outright; `nil` (the default) never refuses
    /// on the score alone, since no scorer is reliable enough to reject without a human.
    public var toxicityRefuseThreshold: Double?

    public static let defaultBannedWords = ["fuck*", "motherfuck*", "cunt*", "kill yourself", "kys"]
    public static let defaultSuspectWords = [
        "idiot*", "moron*", "imbecile*", "cretin*", "scum*", "vermin", "subhuman*", "rape*", "bitch*",
        "bastard*", "asshole*", "dickhead*", "die in a fire", "i know where you live",
    ]

    public init(
        bannedWords: [String] = PreScreenSettings.defaultBannedWords,
        suspectWords: [String] = PreScreenSettings.defaultSuspectWords,
        maxLinks: Int = 2,
        maxCharacters: Int = 3_000,
        minSecondsBetweenComments: Int = 30,
        duplicateWindowSeconds: Int = 7 * 24 * 3_600,
        toxicityHoldThreshold: Double = 0.6,
        toxicityRefuseThreshold: Double? = nil
    ) {
        self.bannedWords = bannedWords
        self.suspectWords = suspectWords
        self.maxLinks = maxLinks
        self.maxCharacters = maxCharacters
        self.minSecondsBetweenComments = minSecondsBetweenComments
        self.duplicateWindowSeconds = duplicateWindowSeconds
        self.toxicityHoldThreshold = toxicityHoldThreshold
        self.toxicityRefuseThreshold = toxicityRefuseThreshold
    }

    public static let `default` = PreScreenSettings()

    enum CodingKeys: String, CodingKey {
        case bannedWords, suspectWords, maxLinks, maxCharacters, minSecondsBetweenComments
        case duplicateWindowSeconds, toxicityHoldThreshold, toxicityRefuseThreshold
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PreScreenSettings()
        bannedWords = try c.decodeIfPresent([String].self, forKey: .bannedWords) ?? d.bannedWords
        suspectWords = try c.decodeIfPresent([String].self, forKey: .suspectWords) ?? d.suspectWords
        maxLinks = try c.decodeIfPresent(Int.self, forKey: .maxLinks) ?? d.maxLinks
        maxCharacters = try c.decodeIfPresent(Int.self, forKey: .maxCharacters) ?? d.maxCharacters
        minSecondsBetweenComments =
            try c.decodeIfPresent(Int.self, forKey: .minSecondsBetweenComments) ?? d.minSecondsBetweenComments
        duplicateWindowSeconds =
            try c.decodeIfPresent(Int.self, forKey: .duplicateWindowSeconds) ?? d.duplicateWindowSeconds
        toxicityHoldThreshold =
            try c.decodeIfPresent(Double.self, forKey: .toxicityHoldThreshold) ?? d.toxicityHoldThreshold
        toxicityRefuseThreshold = try c.decodeIfPresent(Double.self, forKey: .toxicityRefuseThreshold)
    }
}
