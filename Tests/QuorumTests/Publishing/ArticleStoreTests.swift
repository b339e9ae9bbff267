import Foundation
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Publishing store")
struct ArticleStoreTests {
    @Test(arguments: TestDatabases.kinds)
    func createReadUpdateAndDuplicateSlugs(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let store = try await Fixtures.newsroom(test.database)
            let draft = try await store.create(Fixtures.input("harbour-reopens", tags: ["Oceans", "Trade", "oceans"]))
            #expect(draft.status == .draft)
            #expect(draft.authors.map(\.slug) == ["ana-ruiz", "ben-okafor"])
            #expect(draft.tags.map(\.slug) == ["oceans", "trade"])
            #expect(draft.hero?.credit == "Photo: Harbour Wire / Ana Ruiz")
            #expect(draft.wireCredit == "Reporting by Ana Ruiz; Editing by Ben Okafor")
            #expect(try await store.article(slug: "harbour-reopens") == draft)

            await #expect(throws: PublishingError.duplicateSlug("harbour-reopens")) {
                try await store.create(Fixtures.input("harbour-reopens"))
            }
            do {
                _ = try await store.create(Fixtures.input("elsewhere", section: "sport"))
                Issue.record("an unknown section was accepted")
            } catch let error as PublishingError {
                #expect(error.status == .unprocessableContent)
                #expect(error.message.contains("section"))
            }
            var changed = Fixtures.input("harbour-reopened", headline: "The harbour reopened")
            changed.authors = ["ben-okafor"]
            changed.tags = []
            let (before, after) = try await store.update(id: draft.id, changed)
            #expect(before.slug == "harbour-reopens")
            #expect(after.slug == "harbour-reopened")
            #expect(after.authors.map(\.slug) == ["ben-okafor"])
            #expect(after.tags.isEmpty)
            _ = try await store.create(Fixtures.input("second"))
            await #expect(throws: PublishingError.duplicateSlug("second")) {
                try await store.update(id: draft.id, Fixtures.input("second"))
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func publishingSchedulingAndCorrections(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let store = try await Fixtures.newsroom(test.database)
            let now = Timestamp(milliseconds: 1_780_000_000_000)
            let draft = try await store.create(Fixtures.input("later"), now: now)
            #expect(!draft.isLive(at: now))
            let scheduled = try await store.schedule(id: draft.id, at: now.adding(seconds: 3600), now: now)
            #expect(scheduled.status == .scheduled)
            #expect(try await store.publishDue(now: now.adding(seconds: 60)).isEmpty)
            let due = try await store.publishDue(now: now.adding(seconds: 3601))
            #expect(due.map(\.slug) == ["later"])
            #expect(due.first?.publishedAt == now.adding(seconds: 3600))
            #expect(due.first?.isLive(at: now.adding(seconds: 3601)) == true)
            #expect(try await store.publishDue(now: now.adding(seconds: 7200)).isEmpty, "an article goes live once")

            await #expect(throws: PublishingError.self) { try await store.schedule(id: draft.id, at: now.adding(seconds: 9000), now: now) }
            await #expect(throws: PublishingError.self) { try await store.addCorrection(articleID: draft.id, note: "  ") }
            let corrected = try await store.addCorrection(articleID: draft.id, note: "The harbour is in the north, not the south.", now: now.adding(seconds: 7200))
            #expect(corrected.corrections.map(\.note) == ["The harbour is in the north, not the south."])
            #expect(corrected.modifiedAt == now.adding(seconds: 7200))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func listingsShowOnlyLiveArticlesNewestFirst(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let store = try await Fixtures.newsroom(test.database)
            let now = Timestamp.now
            for index in 0..<5 {
                try await Fixtures.published(store, Fixtures.input("story-\(index)", section: index % 2 == 0 ? "world" : "science", tags: index == 4 ? ["Rare"] : ["Oceans"]),
                                             at: now.adding(seconds: Double(index - 10) * 60))
            }
            _ = try await store.create(Fixtures.input("unpublished-draft"))
            let all = try await store.latest(now: now, perPage: 3)
            #expect(all.articles.map(\.slug) == ["story-4", "story-3", "story-2"])
            #expect(all.hasMore)
            let second = try await store.latest(now: now, page: 2, perPage: 3)
            #expect(second.articles.map(\.slug) == ["story-1", "story-0"])
            #expect(!second.hasMore)
            let science = try #require(try await store.section(slug: "science"))
            #expect(try await store.latest(.section(science.id), now: now).articles.map(\.slug) == ["story-3", "story-1"])
            let rare = try #require(try await store.tag(slug: "rare"))
            #expect(try await store.latest(.tag(rare.id), now: now).articles.map(\.slug) == ["story-4"])
            let ben = try #require(try await store.author(slug: "ben-okafor"))
            #expect(try await store.latest(.author(ben.id), now: now).articles.count == 5)
            #expect(try await store.allForEditors().articles.count == 6)
            #expect(try await store.publishedSince(now.adding(seconds: -460), now: now, limit: 10).map(\.slug) == ["story-4", "story-3"])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func searchRanksHeadlineMatchesFirstAndForgetsDeletedArticles(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let store = try await Fixtures.newsroom(test.database)
            let now = Timestamp.now.adding(seconds: -60)
            try await Fixtures.published(store, Fixtures.input("body-match", headline: "Council meets", body: "The lighthouse keeper retired after forty years."), at: now)
            let headline = try await Fixtures.published(store, Fixtures.input("headline-match", headline: "Lighthouse keepers honoured", body: "A ceremony was held."), at: now.adding(seconds: -600))
            _ = try await store.create(Fixtures.input("draft-match", headline: "Lighthouse draft"))
            try await Fixtures.published(store, Fixtures.input("unrelated", headline: "Budget passes"), at: now)

            let results = try await store.search("lighthouse")
            #expect(results.articles.map(\.slug) == ["headline-match", "body-match"])
            // Stemming and prefixes: "keeper" finds "keepers"; the last word may be cut short.
            #expect(try await store.search("keeper").articles.count == 2)
            #expect(try await store.search("lightho").articles.count == 2)
            // Query syntax is not passed through: quotes, operators and punctuation are just separators.
            #expect(try await store.search("\"lighthouse\" OR (* -budget").articles.count >= 0)
            #expect(try await store.search("   ").articles.isEmpty)

            _ = try await store.delete(id: headline.id)
            #expect(try await store.search("lighthouse").articles.map(\.slug) == ["body-match"])
            // Edits are re-indexed.
            let bodyMatch = try #require(try await store.article(slug: "body-match"))
            var input = Fixtures.input("body-match", headline: "Council meets", body: "Nothing about towers.")
            input.tags = []
            _ = try await store.update(id: bodyMatch.id, input)
            #expect(try await store.search("lighthouse").articles.isEmpty)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func apiTokensAreHashedAtRest(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let token = try await Fixtures.token(test.database)
            let tokens = APITokenStore(database: test.database, users: UserStore(database: test.database))
            let found = try #require(try await tokens.authenticate(token))
            #expect(found.user.email == "editor@example.com")
            let stored = try await test.database.read { db in
                try await db.select().column("token_hash").from("api_tokens").all().map { try $0.decode(column: "token_hash", as: String.self) }
            }
            #expect(stored == [APITokenStore.hash(token)])
            #expect(!stored.contains(token))
            #expect(try await tokens.authenticate(token + "0") == nil)
            #expect(try await tokens.authenticate("qrm_" + String(repeating: "0", count: 64)) == nil)
            try await tokens.revoke(id: found.tokenID)
            #expect(try await tokens.authenticate(token) == nil)
        }
    }
}
