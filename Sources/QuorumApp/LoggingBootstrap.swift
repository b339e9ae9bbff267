import Accounts
import Comments
import Logging
import NIOConcurrencyHelpers
import Publishing
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// Sets up swift-log once per process: lines go to standard output with their metadata,
/// which carries Hummingbird's request id (`hb.request.id`) for every line logged while serving a request.
public enum LoggingBootstrap {
    private static let done = NIOLockedValueBox(false)

    public static func once() {
        done.withLockedValue { done in
            guard !done else { return }
            LoggingSystem.bootstrap { label in StreamLogHandler.standardOutput(label: label) }
            done = true
        }
    }
}
