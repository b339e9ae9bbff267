import Hummingbird

/// Per-request state handed to every route and middleware.
public struct QuorumContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Uploads (images) are larger than Hummingbird's 2 MiB default; each route still checks its own limit.
    public var maxUploadSize: Int { 12 * 1024 * 1024 }
}
