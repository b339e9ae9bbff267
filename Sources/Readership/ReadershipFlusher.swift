import Logging
import Metrics
import QuorumStore
import ReadershipEngine
import ServiceLifecycle

/// Every `flushInterval`: keeps the current and next salt in memory (made in the database if no instance made
/// them yet), deletes the salts of periods that ended, and merges what was counted into the database. On
/// shutdown it flushes once more, so a graceful restart loses no views.
public struct ReadershipFlusher: Service {
    let service: ReadershipService

    public init(service: ReadershipService) { self.service = service }

    public func run() async throws {
        try? await service.prepareSalts()
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully {
                do {
                    try await Task.sleep(for: service.settings.flushInterval)
                } catch {
                    break
                }
                await service.tick()
            }
        } onGracefulShutdown: {}
        await service.tick()
    }
}

extension ReadershipService {
    /// One round of upkeep: salts, then the flush. Errors are logged and the counts kept for the next round.
    func tick() async {
        do {
            try await prepareSalts()
        } catch {
            logger.warning("readership: could not prepare salts", metadata: ["error": "\(String(describing: type(of: error)))"])
        }
        do {
            try await flush()
        } catch {
            logger.warning("readership: flush failed, kept for the next one", metadata: ["error": "\(String(describing: type(of: error)))"])
        }
    }

    /// Loads (or makes) the salts of the current and next period and deletes older ones, in the database and
    /// in memory.
    public func prepareSalts() async throws {
        let now = clock.now()
        let period = SaltPeriod.index(milliseconds: now.milliseconds, periodDays: settings.saltPeriodDays)
        let current = try await store.salt(period: period, now: now)
        let next = try await store.salt(period: period + 1, now: now)
        try await store.deleteSalts(before: period)
        counter.setSalts([period: current, period + 1: next])
        saltReady.record(1)
    }

    /// Writes what this instance counted since the last flush.
    public func flush() async throws {
        let batch = counter.take()
        guard !batch.isEmpty || !batch.kinds.isEmpty else { return }
        do {
            try await store.merge(batch)
        } catch {
            counter.putBack(batch)
            throw error
        }
        for (kind, views) in batch.kinds {
            Counter(label: "quorum_readership_views", dimensions: [("page", kind)]).increment(by: views)
        }
    }
}
