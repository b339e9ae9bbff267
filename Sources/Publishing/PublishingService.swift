import Foundation
import Logging
import QuorumBus
import QuorumStore

import QuorumWeb

/// The editor's use cases: every change goes through here so that the pages it affects are invalidated.
public struct PublishingService: Sendable {
    public let store: ArticleStore
    public let bus: any InvalidationBus
    /// The current time; tests pass a clock they control.
    public let now: @Sendable () -> Timestamp

    public init(store: ArticleStore, bus: any InvalidationBus, now: @escaping @Sendable () -> Timestamp = { .now }) {
        self.store = store
        self.bus = bus
        self.now = now
    }

    public func create(_ input: ArticleInput) async throws -> Article {
        try await store.create(input, now: now())
    }

    public func update(id: Int64, _ input: ArticleInput) async throws -> Article {
        let at = now()
        let (before, after) = try await store.update(id: id, input, now: at)
        await bus.publish(CacheTag.pages(showing: before, now: at).union(CacheTag.pages(showing: after, now: at)))
        return after
    }

    public func delete(id: Int64) async throws -> Article {
        let at = now()
        let before = try await store.delete(id: id)
        await bus.publish(CacheTag.pages(showing: before, now: at))
        return before
    }

    public func publish(id: Int64) async throws -> Article {
        let at = now()
        let article = try await store.publish(id: id, now: at)
        await bus.publish(CacheTag.pages(showing: article, now: at))
        return article
    }

    public func schedule(id: Int64, at publishAt: Timestamp) async throws -> Article {
        let article = try await store.schedule(id: id, at: publishAt, now: now())
        await bus.publish([.article(article.slug)])
        return article
    }

    public func addCorrection(articleID: Int64, note: String) async throws -> Article {
        let article = try await store.addCorrection(articleID: articleID, note: note, now: now())
        // The page shows the note; feeds and sitemaps show the new modification time.
        await bus.publish([.article(article.slug), .feeds])
        return article
    }

    /// Publishes what is due and invalidates the pages it now appears on.
    @discardableResult
    public func publishDue() async throws -> [Article] {
        let at = now()
        let published = try await store.publishDue(now: at)
        for article in published {
            await bus.publish(CacheTag.pages(showing: article, now: at))
        }
        return published
    }
}
