import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import QuorumBus
import QuorumStore
import QuorumWeb
import ReadershipEngine

/// Readership: counting (``ReadershipCounter``, ``ReadershipFlusher``), the figures (uniques, views, top
/// articles, referrers, campaigns), the call to action's live share, and editor-defined promotions.
public final class ReadershipService: Sendable {
    public let counter: ReadershipCounter
    let store: ReadershipStore
    let promotionStore: PromotionStore
    let settings: ReadershipSettings
    let clock: SiteClock
    let bus: any InvalidationBus
    let logger: Logger
    let activeMembers: @Sendable () async throws -> Int
    let saltReady = Gauge(label: "quorum_readership_salt_ready")
    private let cachedShare = NIOLockedValueBox<(share: ReaderShare, at: Int64)?>(nil)

    /// `activeMembers` counts the site's active members; by default, users holding the member role.
    public init(database: Database, counter: ReadershipCounter, bus: any InvalidationBus, logger: Logger,
                activeMembers: (@Sendable () async throws -> Int)? = nil) {
        self.counter = counter
        self.store = ReadershipStore(database: database)
        self.promotionStore = PromotionStore(database: database)
        self.settings = counter.settings
        self.clock = counter.clock
        self.bus = bus
        self.logger = logger
        let store = self.store
        self.activeMembers = activeMembers ?? { try await store.usersWithMemberRole() }
    }

    var today: Int64 { SaltPeriod.day(milliseconds: clock.now().milliseconds) }

    /// Distinct readers of the last `lastDays` days, today included: the union of the daily site sketches (and
    /// of what this instance counted but has not flushed yet). A returning reader counts once per salt period.
    public func uniqueReaders(lastDays: Int) async throws -> Int {
        try await figure(lastDays: lastDays).readers
    }

    /// Readers and views of the last `lastDays` days.
    public func figure(lastDays: Int) async throws -> (readers: Int, views: Int) {
        let to = today, from = to - Int64(max(1, lastDays)) + 1
        let rows = try await store.days(scope: "site", from: from, to: to)
        let pending = counter.pendingSite(from: from, to: to)
        var union = pending.sketch
        var views = pending.views
        for row in rows {
            union.merge(row.sketch)
            views += row.views
        }
        return (union.count, views)
    }

    /// Members and readers of the last 30 days, recomputed at most every `shareInterval` (five minutes), never per
    /// request; each recomputation is kept as the day's figure for the dashboard.
    public func share() async throws -> ReaderShare {
        let now = clock.now().milliseconds
        if let cached = cachedShare.withLockedValue({ $0 }), now - cached.at < settings.shareInterval, now >= cached.at {
            return cached.share
        }
        let share = ReaderShare(members: try await activeMembers(), readers: try await uniqueReaders(lastDays: 30))
        cachedShare.withLockedValue { $0 = (share, now) }
        try? await store.recordShare(day: today, members: share.members, readers: share.readers)
        return share
    }
}
