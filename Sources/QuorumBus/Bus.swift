import NIOConcurrencyHelpers

import QuorumStore

/// What a cached page depends on, by name. A change names the tags it touches and every page carrying one of
/// them is dropped; nothing else is. Features define their own tags (`.article(slug)` is the web layer's,
/// sections and authors are Publishing's); only the name travels between instances.
public struct CacheTag: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(name: String) { self.name = name }

    /// A tag made of a kind and a value, e.g. `section:politics`.
    public init(_ kind: String, _ value: String) { self.name = "\(kind):\(value)" }

    /// Every page: each carries it, so changing what all pages show (the section navigation) drops them all.
    public static let site = CacheTag(name: "site")

    public var description: String { name }
}

/// Something that changed, for pages open in browsers (a comment published on an article, say): a topic the
/// page listens to, the id of what changed and its new state, each a plain value so the bus stays ignorant of
/// the features that send them.
public struct LiveNotice: Sendable, Hashable {
    /// What listeners subscribe to, e.g. `comments:some-article`. No spaces.
    public var topic: String
    public var id: Int64
    /// A one-word state, e.g. `published`. No spaces.
    public var state: String

    public init(topic: String, id: Int64, state: String) {
        self.topic = topic
        self.id = id
        self.state = state
    }
}

/// What one change tells every instance: the cache tags it made stale, or that every cached page is (after a
/// gap in which announcements may have been missed), and live notices for open pages.
public struct BusMessage: Sendable, Equatable {
    public var tags: Set<CacheTag>
    /// Drop every cached page (``tags`` is then beside the point).
    public var everything: Bool
    public var live: [LiveNotice]

    public init(tags: Set<CacheTag> = [], everything: Bool = false, live: [LiveNotice] = []) {
        self.tags = tags
        self.everything = everything
        self.live = live
    }

    public static let dropEverything = BusMessage(everything: true)
    public var isEmpty: Bool { tags.isEmpty && !everything && live.isEmpty }
}

/// Carries invalidations and live notices to every instance of the site. One instance:
/// ``LocalInvalidationBus``. Several instances on PostgreSQL: ``PostgresBus``, which applies a message here at
/// once and `NOTIFY`s it to the others, whose listening connection hands it to the same receivers.
public protocol InvalidationBus: Sendable {
    /// Announces `message` to every instance, this one included (here, before `publish` returns).
    func publish(_ message: BusMessage) async
    /// Registers a receiver for announcements (each instance's page cache and live streams subscribe once).
    func subscribe(_ receiver: @escaping @Sendable (BusMessage) -> Void)
}

extension InvalidationBus {
    /// Announces that pages carrying any of `tags` are stale.
    public func publish(_ tags: Set<CacheTag>) async {
        await publish(BusMessage(tags: tags))
    }
}

/// The receivers of one instance, told synchronously; the buses share it.
final class BusReceivers: Sendable {
    private let receivers = NIOLockedValueBox<[@Sendable (BusMessage) -> Void]>([])
    func add(_ receiver: @escaping @Sendable (BusMessage) -> Void) {
        receivers.withLockedValue { $0.append(receiver) }
    }
    func deliver(_ message: BusMessage) {
        guard !message.isEmpty else { return }
        for receiver in receivers.withLockedValue({ $0 }) { receiver(message) }
    }
}

/// Delivers within this process, synchronously, before `publish` returns.
public final class LocalInvalidationBus: InvalidationBus {
    private let receivers = BusReceivers()
    public init() {}
    public func publish(_ message: BusMessage) async {
        receivers.deliver(message)
    }
    public func subscribe(_ receiver: @escaping @Sendable (BusMessage) -> Void) {
        receivers.add(receiver)
    }
}
