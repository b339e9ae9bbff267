import Hummingbird

/// A reader a host site vouches for (single sign-on from the embed): the host's stable id for them, under the
/// host's issuer name, with what the host says of them.
public struct ExternalIdentity: Sendable, Equatable {
    public var issuer: String
    public var subject: String
    public var displayName: String
    /// Used to link to an existing account or stored on a new one only when `emailVerified`.
    public var email: String?
    public var emailVerified: Bool

    public init(issuer: String, subject: String, displayName: String, email: String?, emailVerified: Bool) {
        self.issuer = issuer
        self.subject = subject
        self.displayName = displayName
        self.email = email
        self.emailVerified = emailVerified
    }
}

/// Signing in a reader a host site vouches for. Accounts provides it: the link (issuer, subject) → account, the
/// account made on first use, and the session.
public protocol ExternalSignIn: Sendable {
    /// The session cookie for the account linked to `identity` (linked or made now), and that account's id.
    func signIn(_ identity: ExternalIdentity, userAgent: String) async throws -> (cookie: Cookie, userID: Int64)
    /// A new session's cookie for the account `userID`, which proved itself on the site (the embed's sign-in
    /// window); refused for a banned account.
    func signIn(userID: Int64, userAgent: String) async throws -> Cookie
}
