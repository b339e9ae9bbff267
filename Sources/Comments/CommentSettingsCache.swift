import Foundation
import NIOConcurrencyHelpers
import QuorumBus
import QuorumStore
import ReviewEngine

import SQLKit

/// The comment settings rows, read once and kept by this instance until one of them changes.
///
/// Every step of the comment flow needs the site's rules, the engine (its settings and learned model) and the
/// pre-screen's settings: six `settings` rows that change when an admin saves them or the hourly refit stores a
/// model. They are read in one query, decoded once, and kept; whoever changes a row announces it with
/// ``changed()`` after its transaction committed, which publishes ``CacheTag/commentSettings`` on the bus, so
/// every instance (this one at once, the others through PostgreSQL's `NOTIFY`) drops its copy and reads the rows
/// again on next use. A bus that lost messages says "drop everything", which drops this too.
final class CommentSettingsCache: Sendable {
    /// The settings as one value, decoded.
    struct Snapshot: Sendable {
        var rules: CommentService.SiteRules
        var engine: Engine
        var preScreen: PreScreenSettings
    }

    private struct State {
        var snapshot: Snapshot?
        /// Bumped by every invalidation: a read that began before one is not kept.
        var generation = 0
    }

    private let database: Database
    private let bus: any InvalidationBus
    private let state = NIOLockedValueBox(State())

    static let keys = [
        "comments_who", "comments_close_after_days", "comment_max_length",
        CommentSettingsRows.engineSettings, CommentSettingsRows.engineModel, CommentSettingsRows.preScreen,
    ]

    init(database: Database, bus: any InvalidationBus) {
        self.database = database
        self.bus = bus
        bus.subscribe { [weak self] message in
            if message.everything || message.tags.contains(.commentSettings) { self?.invalidate() }
        }
    }

    /// The current settings: kept ones, or the rows read now (one query).
    func snapshot() async throws -> Snapshot {
        let (kept, generation) = state.withLockedValue { ($0.snapshot, $0.generation) }
        if let kept { return kept }
        let rows = try await database.read { db in
            try await db.select().columns("key", "value").from("settings").where("key", .in, Self.keys).all()
        }
        var values: [String: String] = [:]
        for row in rows { values[try row.decode(column: "key", as: String.self)] = try row.decode(column: "value", as: String.self) }
        let snapshot = Self.decode(values)
        state.withLockedValue { state in
            if state.generation == generation { state.snapshot = snapshot }
        }
        return snapshot
    }

    /// Tells every instance that comment settings rows changed. Call after the transaction that changed them.
    func changed() async {
        invalidate()
        await bus.publish(BusMessage(tags: [.commentSettings]))
    }

    func invalidate() {
        state.withLockedValue { state in
            state.snapshot = nil
            state.generation += 1
        }
    }

    /// The settings the rows say; a row that cannot be read leaves its defaults (it is reported at start-up and
    /// on the settings page).
    static func decode(_ values: [String: String]) -> Snapshot {
        let rows = CommentSettingsRows.self
        var engine = Engine()
        if case .success(let settings?) = rows.decode(ReviewEngine.Settings.self, values[rows.engineSettings], key: rows.engineSettings) {
            engine.settings = settings
        }
        if case .success(let model?) = rows.decode(ModelState.self, values[rows.engineModel], key: rows.engineModel) {
            engine.model = model
        }
        var preScreen = PreScreenSettings.default
        if case .success(let decoded?) = rows.decode(PreScreenSettings.self, values[rows.preScreen], key: rows.preScreen) {
            preScreen = decoded
        }
        let rules = CommentService.SiteRules(
            membersOnly: values["comments_who"] == "members",
            closeAfterDays: values["comments_close_after_days"].flatMap(Int.init),
            maximumLength: values["comment_max_length"].flatMap(Int.init) ?? CommentService.defaultMaximumLength
        )
        return Snapshot(rules: rules, engine: engine, preScreen: preScreen)
    }
}

extension CacheTag {
    /// The comment settings rows (``CommentSettingsCache``): no page carries it; instances drop their settings.
    static let commentSettings = CacheTag(name: "comment-settings")
}
