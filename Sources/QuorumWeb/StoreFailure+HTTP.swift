import Hummingbird
import QuorumStore

/// PostgreSQL is down or restarting: 503 at once, and when to try again.
extension DatabaseUnavailableError: RetryLaterError {
    public var status: HTTPResponse.Status { .serviceUnavailable }
    public var code: String { "database_unavailable" }
    public var message: String { "The site cannot reach its database right now; nothing was saved. Please try again in a moment." }
}

/// The disk under the database is full: 507, so the operator's alert and the reader's message both say so.
extension StorageFullError: AppError {
    public var status: HTTPResponse.Status { .init(code: 507, reasonPhrase: "Insufficient Storage") }
    public var code: String { "storage_full" }
    public var message: String { "The site has run out of storage space; what you sent was not saved. Please try again later." }
}
