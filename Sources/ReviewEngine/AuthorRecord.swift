import Foundation

/// Whether an author's comments wait for peers.
public enum Trust: String, Sendable, Codable, Hashable {
    /// Comments wait for peer reviews; the author reviews three comments before posting.
    case regular
    /// Comments are published at once (still reviewable, and withdrawn if peers find them uncivil);
    /// reviewing is optional.
    case trusted
}

/// Everything the engine remembers about one person as an author. Stored by the server beside the
/// `ReviewerRecord` of the same user.
public struct AuthorRecord: Sendable, Codable, Hashable {
    public var authorID: UserID
    /// Comments published and not later rejected.
    public var published: Int = 0
    /// Comments a moderator confirmed as uncivil.
    public var rejected: Int = 0
    public var lastRejectionAt: Date?
    public var trust: Trust = .regular
    public var commentingBannedUntil: Date?
    public var commentingRevoked: Bool = false

    public init(authorID: UserID) {
        self.authorID = authorID
    }

    /// Whether the author may post at `now`.
    public func mayComment(at now: Date) -> Bool {
        if commentingRevoked { return false }
        if let until = commentingBannedUntil, now < until { return false }
        return true
    }
}
