import Hummingbird

/// A part of the signed-in reader's account page that another feature provides (Membership: status, amount,
/// pause/resume/change/cancel, receipts). Accounts shows the sections in order after the reader's own details,
/// without knowing what they hold. The page is private to the reader and never cached.
public protocol AccountPageSection: Sendable {
    /// The section's HTML for `user` (rendered with `pages`, the theme's renderer, so it is escaped like every
    /// page), or nil to show nothing. Forms in it carry `csrf`.
    func render(for user: User, csrf: String, pages: PageRenderer) async throws -> String?

    /// The reader class `user` has by this section's feature right now, when it knows better than the session's
    /// roles (Membership: a membership active since the request began). The account page then sets the
    /// reader-class cookie, so cached pages follow at once. Nil: no opinion.
    func readerClass(for user: User) async throws -> ReaderClass?
}

extension AccountPageSection {
    public func readerClass(for user: User) async throws -> ReaderClass? { nil }
}

/// A page's section navigation (the masthead's list of sections), for pages of features that do not own
/// sections. Publishing provides it.
public protocol SiteNavigation: Sendable {
    /// `[{name, url}]` in the theme's `nav` shape.
    func links() async throws -> [[String: Any]]
}

/// Signing in with an emailed code from another feature's page (the membership offer: readers sign in where they
/// chose their amount). Accounts provides it; the code and the session are Accounts' own.
public protocol EmailCodeSignIn: Sendable {
    /// Emails a sign-in code (and link) to `email`; returns the request the code is redeemed against. Throws an
    /// `AppError` with a message for the reader (a malformed address, too many requests).
    func sendCode(email: String, ip: String?, next: String) async throws -> String
    /// Redeems the code: the session cookie to set and the address to continue to. Throws an `AppError` for a
    /// wrong or expired code.
    func redeem(requestID: String, code: String, userAgent: String) async throws -> (cookie: Cookie, next: String)
}
