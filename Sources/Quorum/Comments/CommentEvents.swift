import Foundation
import NIOConcurrencyHelpers

/// Open article pages listening for new comments (Server-Sent Events). Each instance tells its own listeners;
/// across instances the change arrives through the page-cache invalidation bus, which calls ``publish`` too.
public final class CommentEvents: Sendable {
    public struct Event: Sendable, Equatable {
        public var commentID: Int64
        public var status: CommentStatus
    }

    private struct Listener {
        let slug: String
        let continuation: AsyncStream<Event>.Continuation
    }

    private let listeners = NIOLockedValueBox<[UUID: Listener]>([:])

    public init() {}

    /// A stream of changes to `slug`'s comments, ending when the caller stops listening.
    public func listen(slug: String) -> AsyncStream<Event> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(100))
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLockedValue { $0.removeValue(forKey: id) }
        }
        listeners.withLockedValue { $0[id] = Listener(slug: slug, continuation: continuation) }
        return stream
    }

    public func publish(slug: String, commentID: Int64, status: CommentStatus) {
        for listener in listeners.withLockedValue({ Array($0.values) }) where listener.slug == slug {
            listener.continuation.yield(Event(commentID: commentID, status: status))
        }
    }

    public var count: Int { listeners.withLockedValue { $0.count } }
}
