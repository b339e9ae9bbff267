import Logging
import ServiceLifecycle

/// Forgets rate-limit windows that ended more than a day ago, every `interval`, so the `rate_limits` table holds
/// about a day of counters however long the site runs. Safe on every instance at once (a plain delete).
public struct RateLimitPruner: Service {
    let limiter: RateLimiter
    let interval: Duration
    let logger: Logger

    public init(limiter: RateLimiter, interval: Duration = .seconds(3600), logger: Logger) {
        self.limiter = limiter
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    try await limiter.prune()
                } catch {
                    logger.error("could not prune rate limits", metadata: ["error": "\(String(describing: error))"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// ServiceLifecycle logs every service it runs by its description: a name, not the whole object graph
/// (which holds configuration and secrets).
extension RateLimitPruner: CustomStringConvertible {
    public var description: String { "RateLimitPruner" }
}
