import Foundation
import NIOConcurrencyHelpers
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// A comment whose status changed, told to open pages of its article on every instance (through the bus).
public struct CommentNotice: Sendable, Equatable {
    public var slug: String
    public var commentID: Int64
    public var status: CommentStatus

    public init(slug: String, commentID: Int64, status: CommentStatus) {
        self.slug = slug
        self.commentID = commentID
        self.status = status
    }

    /// How the notice travels on the bus: topic `comments:SLUG`, the comment's id and status.
    public var live: LiveNotice { LiveNotice(topic: Self.topicPrefix + slug, id: commentID, state: status.rawValue) }

    public init?(_ notice: LiveNotice) {
        guard notice.topic.hasPrefix(Self.topicPrefix), let status = CommentStatus(rawValue: notice.state) else { return nil }
        self.init(slug: String(notice.topic.dropFirst(Self.topicPrefix.count)), commentID: notice.id, status: status)
    }

    static let topicPrefix = "comments:"
}

/// Open article pages listening for new comments (Server-Sent Events). A change is published on the
/// ``InvalidationBus`` (``CommentService`` does so after its transaction commits); every instance's
/// `CommentEvents` subscribes to it and tells its own listeners, so a reader connected to any instance hears it.
public final class CommentEvents: Sendable {
    /// One change, as the page's script receives it: `{"id":12,"status":"published"}`.
    public struct Event: Sendable, Equatable, Codable {
        public var commentID: Int64
        public var status: CommentStatus

        enum CodingKeys: String, CodingKey {
            case commentID = "id"
            case status
        }

        /// The event as Server-Sent Events text: `event: comment`, its JSON on one `data:` line, a blank line.
        public var serverSentEvent: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Two plain fields always encode; JSON never holds a raw line break, so one data line is enough.
            let json = (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return "event: comment\ndata: \(json)\n\n"
        }
    }

    private struct Listener {
        let slug: String
        let continuation: AsyncStream<Event>.Continuation
    }

    private let listeners = NIOLockedValueBox<[UUID: Listener]>([:])

    public init(bus: any InvalidationBus) {
        bus.subscribe { [weak self] message in
            for notice in message.live.compactMap(CommentNotice.init) { self?.publish(notice) }
        }
    }

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

    /// Tells this instance's listeners (called by the bus).
    func publish(_ notice: CommentNotice) {
        for listener in listeners.withLockedValue({ Array($0.values) }) where listener.slug == notice.slug {
            listener.continuation.yield(Event(commentID: notice.commentID, status: notice.status))
        }
    }

    public var count: Int { listeners.withLockedValue { $0.count } }
}
