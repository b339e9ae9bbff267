import Foundation
import Logging
import MembershipEngine
import QuorumStore
import ServiceLifecycle
import SQLKit

extension MembershipService {
    /// What the passing of time does: statuses that changed without an event (on hold → lapsed when grace runs
    /// out, cancelled → expired at the period end, an honorary grant's end) are stored and the member role
    /// follows; provider payloads older than `rawPayloadRetention` are cleared from the ledger (the events stay).
    /// Returns how many memberships changed status.
    @discardableResult
    public func upkeep(rawPayloadRetention: TimeInterval) async throws -> Int {
        let at = Timestamp(now())
        return try await database.transaction { db in
            try await store.pruneRawPayloads(db, recordedBefore: at.adding(seconds: -rawPayloadRetention))
            var changed = 0
            for (m, stored) in try await store.all(db) {
                let status = engine.status(of: m, at: at.date).status
                if status == .onHold { try await sendDueReminders(db, m, at: at) }
                guard status.rawValue != stored else { continue }
                try await store.save(db, m, status: status, userID: nil, at: at)
                try await syncRole(db, membershipID: m.id, at: at)
                changed += 1
            }
            return changed
        }
    }
}

/// Runs `MembershipService.upkeep` every `interval` (safe on several instances: each pass is one transaction).
public struct MembershipUpkeep: Service {
    let service: MembershipService
    let interval: Duration
    /// Nil: the site's setting (``MembershipPolicy/rawPayloadRetentionDays``), read on every pass.
    let rawPayloadRetentionDays: Int?

    public init(service: MembershipService, interval: Duration = .seconds(600), rawPayloadRetentionDays: Int? = nil) {
        self.service = service
        self.interval = interval
        self.rawPayloadRetentionDays = rawPayloadRetentionDays
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    let days = rawPayloadRetentionDays ?? service.configuration.policy.rawPayloadRetentionDays
                    try await service.upkeep(rawPayloadRetention: TimeInterval(days) * 86400)
                } catch {
                    service.logger.error("membership upkeep failed", metadata: ["error": "\(String(describing: error))"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// ServiceLifecycle logs every service it runs by its description: a name, not the whole object graph
/// (which holds configuration and secrets).
extension MembershipUpkeep: CustomStringConvertible {
    public var description: String { "MembershipUpkeep" }
}
