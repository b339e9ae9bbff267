import Foundation
import QuorumBus
import QuorumMail

import QuorumStore

/// What a person may do on the site. A user may hold several roles.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case reader, member, moderator, editor, admin

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Whether a user may take part, and why not.
public struct UserStatus: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case active, suspended, banned, deleted
    }
    public var kind: Kind
    public var reason: String?
    /// When a suspension ends.
    public var until: Timestamp?

    public static let active = UserStatus(kind: .active)

    public init(kind: Kind, reason: String? = nil, until: Timestamp? = nil) {
        self.kind = kind
        self.reason = reason
        self.until = until
    }

    package init(rawValue: String, reason: String?, until: Timestamp?) {
        self.init(kind: Kind(rawValue: rawValue) ?? .active, reason: reason, until: until)
    }

    /// The status in force at `now`: a suspension that has ended counts as active.
    public func effective(at now: Timestamp) -> UserStatus {
        if kind == .suspended, let until, until <= now { return .active }
        return self
    }
}

public struct User: Sendable, Codable, Equatable {
    public var id: Int64
    public var email: String
    public var displayName: String
    public var status: UserStatus
    public var roles: Set<Role>
    public var createdAt: Timestamp

    public init(id: Int64, email: String, displayName: String, status: UserStatus, roles: Set<Role>, createdAt: Timestamp) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.status = status
        self.roles = roles
        self.createdAt = createdAt
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }
}

public enum EmailAddress {
    /// Lower-cased, trimmed, and checked to have the shape of an address (one `@`, a dot in the domain,
    /// no spaces or control characters). Returns nil for anything else.
    public static func normalise(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard email.count <= 254 else { return nil }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return nil }
        let domain = parts[1]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return nil }
        let forbidden = CharacterSet.whitespacesAndNewlines.union(.controlCharacters).union(CharacterSet(charactersIn: "<>()[]\\,;:\""))
        guard email.unicodeScalars.allSatisfy({ !forbidden.contains($0) }) else { return nil }
        return email
    }
}
