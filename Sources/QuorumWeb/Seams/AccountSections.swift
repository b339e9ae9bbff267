/// A part of the signed-in reader's account page that another feature provides (Membership: status, amount,
/// pause/resume/change/cancel, receipts). Accounts shows the sections in order after the reader's own details,
/// without knowing what they hold. The page is private to the reader and never cached.
public protocol AccountPageSection: Sendable {
    /// The section's HTML for `user` (rendered with `pages`, the theme's renderer, so it is escaped like every
    /// page), or nil to show nothing. Forms in it carry `csrf`.
    func render(for user: User, csrf: String, pages: PageRenderer) async throws -> String?
}

/// A page's section navigation (the masthead's list of sections), for pages of features that do not own
/// sections. Publishing provides it.
public protocol SiteNavigation: Sendable {
    /// `[{name, url}]` in the theme's `nav` shape.
    func links() async throws -> [[String: Any]]
}
