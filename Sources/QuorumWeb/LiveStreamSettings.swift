import Foundation

/// How live comment streams (Server-Sent Events) are kept in check.
public struct LiveStreamSettings: Sendable, Equatable {
    /// How often an idle stream gets a comment line. It keeps proxies from closing the stream, and a write that
    /// fails ends it; a client that closes its end is noticed at once (see ``StreamCloseWatcher``).
    public var heartbeat: Duration = .seconds(10)
    /// Streams one client address may hold open at once. A browser needs one (its tabs share it); more is
    /// several browsers behind one address. Over the limit: 429 with `Retry-After`.
    public var perClient: Int = 8
    /// Articles one stream may follow (one per open tab showing a thread).
    public var maximumArticles: Int = 20

    public init() {}
}

