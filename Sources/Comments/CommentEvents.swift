import Foundation
import Metrics
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
    public struct Event: Sendable, Equatable {
        public var commentID: Int64
        public var status: CommentStatus
        public var slug: String = ""
    }

    private struct Listener {
        let slugs: Set<String>
        let continuation: AsyncStream<Event>.Continuation
    }

    private let listeners = NIOLockedValueBox<[UUID: Listener]>([:])
    /// Open live streams per client address, for ``LiveStreamSettings/perClient``.
    private let streamsByClient = NIOLockedValueBox<[String: Int]>([:])
    private let streamsGauge = Gauge(label: "quorum_live_streams")

    public init(bus: any InvalidationBus) {
        bus.subscribe { [weak self] message in
            for notice in message.live.compactMap(CommentNotice.init) { self?.publish(notice) }
        }
    }

    /// A stream of changes to `slug`'s comments, ending when the caller stops listening.
    public func listen(slug: String) -> AsyncStream<Event> {
        listen(slugs: [slug])
    }

    /// A stream of changes to the comments of any of `slugs` (one stream for all of a browser's open articles).
    public func listen(slugs: Set<String>) -> AsyncStream<Event> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(100))
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLockedValue { $0.removeValue(forKey: id) }
        }
        listeners.withLockedValue { $0[id] = Listener(slugs: slugs, continuation: continuation) }
        return stream
    }

    /// Tells this instance's listeners (called by the bus).
    func publish(_ notice: CommentNotice) {
        for listener in listeners.withLockedValue({ Array($0.values) }) where listener.slugs.contains(notice.slug) {
            listener.continuation.yield(Event(commentID: notice.commentID, status: notice.status, slug: notice.slug))
        }
    }

    public var count: Int { listeners.withLockedValue { $0.count } }

    /// Counts a new stream for `client`, or refuses it (false) when the client already has `limit` open.
    func admitStream(client: String, limit: Int) -> Bool {
        let (admitted, total) = streamsByClient.withLockedValue { counts -> (Bool, Int) in
            let open = counts[client, default: 0]
            guard open < limit else { return (false, counts.values.reduce(0, +)) }
            counts[client] = open + 1
            return (true, counts.values.reduce(0, +))
        }
        streamsGauge.record(total)
        return admitted
    }

    /// The end of a stream ``admitStream(client:limit:)`` counted.
    func releaseStream(client: String) {
        let total = streamsByClient.withLockedValue { counts -> Int in
            if let open = counts[client] { counts[client] = open > 1 ? open - 1 : nil }
            return counts.values.reduce(0, +)
        }
        streamsGauge.record(total)
    }

    /// Streams open now on this instance, all clients together.
    public var openStreams: Int { streamsByClient.withLockedValue { $0.values.reduce(0, +) } }
}
