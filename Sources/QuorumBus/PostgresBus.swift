import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresKit
import QuorumStore
import ServiceLifecycle

import SQLKit

/// The bus of a site whose instances share one PostgreSQL database.
///
/// `publish` applies a message here at once (so the request that made the change sees its effect before it
/// answers, as with ``LocalInvalidationBus``) and then sends it with `SELECT pg_notify('quorum_bus', $1)` on a
/// pooled connection. Each instance keeps one connection of its own that `LISTEN`s on the channel and hands what
/// arrives to its receivers, skipping its own messages (each carries the sending instance's id), so nothing is
/// applied twice and no open page hears a comment twice.
///
/// The listening connection is a ServiceLifecycle service: it starts with the application, stops on graceful
/// shutdown, and if it drops it reconnects with exponential backoff. Notifications sent while it was away are
/// lost (PostgreSQL keeps none for absent listeners), so every time `LISTEN` is (re)established the instance
/// drops its whole page cache. Live notices missed meanwhile are not replayed: open pages catch up on
/// their next reload.
///
/// A notification's payload must be shorter than 8000 bytes; a longer message is split into several
/// (see ``BusPayload``), and one that would need too many becomes "drop everything".
public final class PostgresBus: InvalidationBus, Service {
    public static let channel = "quorum_bus"
    /// `application_name` of the listening connection, as `pg_stat_activity` shows it.
    public static let applicationName = "quorum-bus"

    public struct Backoff: Sendable {
        public var initial: Duration
        public var maximum: Duration
        public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10)) {
            self.initial = initial
            self.maximum = maximum
        }

        /// The wait before attempt `failures + 1`: doubling from `initial`, capped at `maximum`.
        func delay(afterFailures failures: Int) -> Duration {
            var delay = initial
            for _ in 1..<max(1, failures) {
                delay *= 2
                if delay >= maximum { return maximum }
            }
            return min(delay, maximum)
        }
    }

    private struct State {
        var listening = false
        /// Times `LISTEN` was established (the first connection included).
        var connections = 0
    }

    private let database: Database
    private let connectionConfiguration: PostgresConnection.Configuration
    private let receivers = BusReceivers()
    private let state = NIOLockedValueBox(State())
    private let logger: Logger
    private let backoff: Backoff
    private let payloadLimit: Int
    private let listeningGauge = Gauge(label: "quorum_bus_listening")
    /// Times `LISTEN` was established: more than one means the listening connection was lost and came back.
    private let listensCounter = Counter(label: "quorum_bus_listens_total")
    /// Tells this instance's messages from the others' on the channel.
    let instance = UUID().uuidString

    /// The bus for `database` if it is PostgreSQL, nil for SQLite (one process: ``LocalInvalidationBus``).
    public static func forSite(database: Database, logger: Logger, backoff: Backoff = .init()) throws -> PostgresBus? {
        guard case .postgres(let location) = database.location else { return nil }
        return try PostgresBus(database: database, location: location, logger: logger, backoff: backoff)
    }

    init(
        database: Database, location: DatabaseLocation.PostgresLocation, logger: Logger, backoff: Backoff = .init(),
        payloadLimit: Int = BusPayload.maximumBytes
    ) throws {
        self.database = database
        var configuration = try location.sqlConfiguration().coreConfiguration
        configuration.options.additionalStartupParameters.append(("application_name", Self.applicationName))
        self.connectionConfiguration = configuration
        self.logger = logger
        self.backoff = backoff
        self.payloadLimit = payloadLimit
    }

    /// Whether the listening connection is up and `LISTEN` in place.
    public var isListening: Bool { state.withLockedValue { $0.listening } }
    /// How many times `LISTEN` was established: 1 after the start, one more after each reconnection.
    public var connections: Int { state.withLockedValue { $0.connections } }

    public func subscribe(_ receiver: @escaping @Sendable (BusMessage) -> Void) {
        receivers.add(receiver)
    }

    public func publish(_ message: BusMessage) async {
        guard !message.isEmpty else { return }
        receivers.deliver(message)
        for payload in BusPayload.encode(message, from: instance, limit: payloadLimit) {
            do {
                try await notify(payload)
            } catch {
                // This instance is up to date. The others are told again in the background, a few times; should
                // that fail too, their pages still expire (`PageCache.maximumAge`).
                logger.warning("could not tell other instances about a change; retrying", metadata: ["error": "\(String(reflecting: error))"])
                Task { [self] in await self.retry(payload) }
            }
        }
    }

    private func notify(_ payload: String) async throws {
        try await database.read { db in
            try await db.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: payload))").run()
        }
    }

    private func retry(_ payload: String) async {
        for delay in [1, 5, 25] {
            do {
                try await Task.sleep(for: .seconds(delay))
                try await notify(payload)
                return
            } catch {
                if Task.isCancelled { return }
            }
        }
        logger.error("could not tell other instances about a change; their cached pages expire within five minutes")
    }

    // MARK: Listening

    public func run() async throws {
        // Graceful shutdown cancels the loop: the wait, the connection attempt or the listening stream.
        await cancelWhenGracefulShutdown { await self.listen() }
        setListening(false)
    }

    private func listen() async {
        var failures = 0
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: connectionConfiguration, id: connectionID, logger: logger
                )
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        let started = ContinuousClock.now
                        self.listeningStarted()
                        defer {
                            // A connection that ends at once (an idle timeout, a proxy) keeps backing off.
                            if ContinuousClock.now - started > .seconds(30) { failures = 0 }
                        }
                        for try await notification in notifications {
                            self.received(notification.payload)
                        }
                    }
                    if !Task.isCancelled { logger.warning("the bus's listening connection ended; reconnecting") }
                } catch {
                    if !Task.isCancelled {
                        logger.warning("the bus's listening connection failed; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                    }
                }
                setListening(false)
                try? await connection.close()
            } catch {
                if !Task.isCancelled {
                    logger.warning("cannot open the bus's listening connection", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            if Task.isCancelled { return }
            failures += 1
            do {
                try await Task.sleep(for: backoff.delay(afterFailures: failures))
            } catch {
                return
            }
        }
    }

    /// `LISTEN` is in place: from now on nothing is missed, but anything sent before may have been.
    private func listeningStarted() {
        let count = state.withLockedValue { state in
            state.listening = true
            state.connections += 1
            return state.connections
        }
        listeningGauge.record(1)
        listensCounter.increment()
        receivers.deliver(.dropEverything)
        if count == 1 {
            logger.info("listening for other instances' changes", metadata: ["channel": "\(Self.channel)"])
        } else {
            logger.notice("listening again for other instances' changes; dropped the page cache", metadata: ["channel": "\(Self.channel)"])
        }
    }

    private func setListening(_ listening: Bool) {
        state.withLockedValue { $0.listening = listening }
        listeningGauge.record(listening ? 1 : 0)
    }

    func received(_ payload: String) {
        guard let (sender, message) = BusPayload.decode(payload) else {
            // A newer version or something else on the channel: being safe costs a re-render.
            logger.warning("unreadable message on the bus; dropping the page cache")
            receivers.deliver(.dropEverything)
            return
        }
        guard sender != instance else { return }
        receivers.deliver(message)
    }
}

/// How a ``BusMessage`` travels as `NOTIFY` payloads: text lines, the first naming the format and the sender.
///
///     quorum-bus/2 <instance id>
///     t article:harbour-vote                 a cache tag (CacheTag.name)
///     *                                      drop every cached page
///     l 42 published comments:harbour-vote   a live notice: id, state, topic
///
/// (Version 1 carried comment notices as `c` lines; instances of different versions ignore each other's
/// messages, so upgrade all instances together or accept up to five minutes of stale pages meanwhile.)
///
/// A message too long for one payload is split at line boundaries; every part carries the header and is a
/// message of its own. Tags that would need more than `maximumParts` payloads become `*`.
enum BusPayload {
    static let version = "quorum-bus/2"
    /// PostgreSQL refuses payloads of 8000 bytes or more (default build); keep a margin.
    static let maximumBytes = 7900
    static let maximumParts = 8

    static func encode(_ message: BusMessage, from instance: String, limit: Int = maximumBytes) -> [String] {
        let header = "\(version) \(instance)"
        func fits(_ line: String) -> Bool {
            !line.contains(where: \.isNewline) && header.utf8.count + 1 + line.utf8.count <= limit
        }
        let everything = ["*"]
        var tags = message.everything ? everything : message.tags.map { "t \($0.name)" }.sorted()
        if !tags.allSatisfy(fits) { tags = everything }
        // Topics are short and plain, so a notice always fits; one that could not would be left out.
        let live = message.live.map { "l \($0.id) \($0.state) \($0.topic)" }.filter(fits)
        var parts = pack(tags + live, header: header, limit: limit)
        if parts.count > maximumParts, tags != everything {
            parts = pack(everything + live, header: header, limit: limit)
        }
        return parts
    }

    private static func pack(_ lines: [String], header: String, limit: Int) -> [String] {
        var parts: [String] = []
        var current = header
        var size = header.utf8.count
        for line in lines {
            let added = 1 + line.utf8.count
            if size + added > limit, current != header {
                parts.append(current)
                current = header
                size = header.utf8.count
            }
            current += "\n" + line
            size += added
        }
        if current != header { parts.append(current) }
        return parts
    }

    /// The sender and the message, or nil if `payload` is not in this format.
    static func decode(_ payload: String) -> (instance: String, message: BusMessage)? {
        let lines = payload.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first, first.hasPrefix(version + " ") else { return nil }
        let instance = String(first.dropFirst(version.count + 1))
        var message = BusMessage()
        for line in lines.dropFirst() {
            if line == "*" {
                message.everything = true
            } else if line.hasPrefix("t "), line.count > 2 {
                message.tags.insert(CacheTag(name: String(line.dropFirst(2))))
            } else if line.hasPrefix("l ") {
                let fields = line.dropFirst(2).split(separator: " ", maxSplits: 2)
                guard fields.count == 3, let id = Int64(fields[0]) else { return nil }
                message.live.append(LiveNotice(topic: String(fields[2]), id: id, state: String(fields[1])))
            } else {
                return nil
            }
        }
        return (instance, message)
    }
}
