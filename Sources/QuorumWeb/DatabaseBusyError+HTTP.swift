import Hummingbird
import QuorumStore

/// Too many expensive reads at once: 503, and when to try again.
extension DatabaseBusyError: RetryLaterError {
    public var status: HTTPResponse.Status { .serviceUnavailable }
    public var code: String { "busy" }
    public var message: String { "The site is busy. Please try again in a moment." }
}
