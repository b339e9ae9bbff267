import Foundation
import QuorumBus
import QuorumMail

import QuorumStore

/// Where the site reads the time. Tests pass one they move forward instead of sleeping.
public struct SiteClock: Sendable {
    public let now: @Sendable () -> Timestamp
    public init(now: @escaping @Sendable () -> Timestamp) { self.now = now }
    public static let system = SiteClock { .now }
}
