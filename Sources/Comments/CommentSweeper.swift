import Foundation
import Logging
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb

import ServiceLifecycle

/// Decides pending comments that waited too long (every `interval`, on every instance: decisions are
/// idempotent under the row lock), and refits the review engine's model every `refitEvery`.
public struct CommentSweeper: Service {
    let comments: CommentService
    let interval: Duration
    var refitEvery: Duration = .seconds(3600)

    package init(comments: CommentService, interval: Duration, refitEvery: Duration = .seconds(3600)) {
        self.comments = comments
        self.interval = interval
        self.refitEvery = refitEvery
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var sinceRefit: Duration = .zero
            while true {
                do {
                    try await comments.sweep()
                    if sinceRefit >= refitEvery {
                        sinceRefit = .zero
                        try await comments.refit()
                    }
                } catch {
                    comments.logger.error("comment sweep failed", metadata: ["error": "\(String(describing: error))"])
                }
                try await Task.sleep(for: interval)
                sinceRefit += interval
            }
        }
    }
}

/// ServiceLifecycle logs every service it runs by its description: a name, not the whole object graph
/// (which holds configuration and secrets).
extension CommentSweeper: CustomStringConvertible {
    public var description: String { "CommentSweeper" }
}
