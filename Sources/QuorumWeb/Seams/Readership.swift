import NIOCore

/// One page view as the server saw it, handed to the readership counter. Raw values live only for the call:
/// the counter hashes the address and User-Agent at once and keeps nothing of them.
public struct PageView: Sendable {
    /// The request's path (no query string on the fast path).
    public var path: Substring
    /// The query string, if any (campaign parameters are read from it).
    public var query: Substring?
    /// The connection's peer (the last proxy when there is one).
    public var peer: SocketAddress?
    public var userAgent: Substring?
    public var forwardedFor: Substring?
    public var referer: Substring?
    /// A prefetch or preview (`Sec-Purpose`/`Purpose: prefetch`, `X-Moz: prefetch`, `X-Purpose: preview`).
    public var isPrefetch: Bool
    public var reader: ReaderClass

    public init(path: Substring, query: Substring? = nil, peer: SocketAddress?, userAgent: Substring?, forwardedFor: Substring?,
                referer: Substring?, isPrefetch: Bool, reader: ReaderClass) {
        self.path = path
        self.query = query
        self.peer = peer
        self.userAgent = userAgent
        self.forwardedFor = forwardedFor
        self.referer = referer
        self.isPrefetch = isPrefetch
        self.reader = reader
    }
}

/// Counts page views, including those the page cache answers on the event loop: `count` must be quick and must
/// never block (no I/O, no awaiting). Readership provides it; the composition root gives it to the page cache.
public protocol PageViewCounter: Sendable {
    func count(_ view: PageView)
}
