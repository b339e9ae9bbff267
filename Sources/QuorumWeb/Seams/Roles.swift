import QuorumStore
import SQLKit

/// A role another feature decides: Membership decides `member` from its state machine. Accounts owns the roles
/// table and provides this; calls take the caller's connection so the role changes in the same transaction as
/// the decision.
public protocol RoleGrants: Sendable {
    func set(_ role: Role, granted: Bool, userID: Int64, on db: any SQLDatabase, at now: Timestamp) async throws
}
