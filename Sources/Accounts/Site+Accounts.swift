import QuorumMail
import QuorumStore

import QuorumWeb

/// The account stores, reached from the site every route holds. They are thin values over the database, so
/// making one per use costs nothing.
extension Site {
    public var users: UserStore { UserStore(database: database) }
    public var sessions: SessionStore { SessionStore(database: database) }
    public var signIn: SignInService { SignInService(database: database, configuration: configuration) }
}
