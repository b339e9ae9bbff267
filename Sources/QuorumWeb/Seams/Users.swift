/// How features look people up without reading Accounts' internals: Accounts' `UserStore` provides it.
public protocol UserDirectory: Sendable {
    /// The user with this email address (normalised), or nil.
    func find(email: String) async throws -> User?
    /// The user with this id, or nil.
    func find(id: Int64) async throws -> User?
}
