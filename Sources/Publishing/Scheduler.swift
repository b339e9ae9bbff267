import Foundation
import Logging
import QuorumBus
import QuorumStore
import QuorumWeb

import ServiceLifecycle

/// Publishes scheduled articles when their time comes, without a restart: a service that wakes every
/// `interval` and asks the store for what is due. Several instances may run it; the store's transaction
/// makes each article go live once.
public struct PublishingScheduler: Service {
    public let service: PublishingService
    public let interval: Duration
    public let logger: Logger

    public init(service: PublishingService, interval: Duration = .seconds(5), logger: Logger) {
        self.service = service
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                for article in try await service.publishDue() {
                    logger.info("published scheduled article", metadata: ["slug": "\(article.slug)"])
                }
            } catch {
                logger.error("publishing scheduled articles failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            // Graceful shutdown cancels the wait, so stopping the server never waits out an interval.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}


/// ServiceLifecycle logs every service it runs by its description: a name, not the whole object graph
/// (which holds configuration and secrets).
extension PublishingScheduler: CustomStringConvertible {
    public var description: String { "PublishingScheduler" }
}
