import Foundation
import NIOConcurrencyHelpers
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb
import ReviewEngine
import SQLKit

/// A site with one published article, a clock the test moves, and helpers to make readers and reviewers.
struct CommentFixture: Sendable {
    let test: TestDatabase
    let site: Site
    let comments: CommentService
    let clock: NIOLockedValueBox<Timestamp>
    let article: Article
    let events: CommentEvents

    static func make(_ test: TestDatabase, screen: any CommentScreen = NoScreen(), configure: (inout QuorumConfiguration) -> Void = { _ in }) async throws -> CommentFixture {
        var configuration = LiveServer.configuration(for: test)
        configure(&configuration)
        let site = Site(configuration: configuration, database: test.database, theme: try Theme.load(), logger: TestDatabases.logger)
        let clock = NIOLockedValueBox(Timestamp.now)
        let bus = LocalInvalidationBus()
        let events = CommentEvents(bus: bus)
        let comments = CommentService(site: site, bus: bus, articles: PublishedArticles(), screen: screen, events: events, now: { clock.withLockedValue { $0 } })
        let store = ArticleStore(database: test.database)
        _ = try await store.createSection(slug: "news", name: "News")
        let draft = try await store.create(ArticleInput(slug: "harbour-vote", headline: "Council votes on the harbour", body: "Text.", section: "news"))
        let article = try await store.publish(id: draft.id, now: clock.withLockedValue { $0 }.adding(seconds: -60))
        return CommentFixture(test: test, site: site, comments: comments, clock: clock, article: article, events: events)
    }

    func advance(seconds: Double) { clock.withLockedValue { $0 = $0.adding(seconds: seconds) } }

    func reader(_ name: String, roles: Set<Role> = []) async throws -> User {
        try await site.users.create(email: "\(name)@example.com", displayName: name.capitalized, roles: roles)
    }

    /// A reviewer whose record shows many passed audits: their votes count fully.
    func provenReviewer(_ name: String) async throws -> User {
        let user = try await reader(name)
        var record = ReviewerRecord(reviewerID: user.id)
        record.audits.civilAgreed = 20
        record.audits.uncivilAgreed = 20
        record.reviewsGiven = 40
        let proven = record
        try await test.database.transaction { db in try await CommentRows.save(proven, now: .now, on: db) }
        return user
    }

    /// Writes and submits a comment, skipping the reviewing step (used to fill the queue).
    func submitted(_ text: String, by author: User, rating: CivilityVote = .civil) async throws -> Comment {
        let draft = try await comments.write(articleID: article.id, author: author, body: text)
        while let task = try await comments.currentTask(reviewer: author, forComment: draft.id) {
            try await comments.review(taskID: task.id, reviewer: author, .init(civility: .civil, quality: .good))
        }
        return try await comments.submit(commentID: draft.id, author: author, selfRating: rating)
    }

    /// Has `reviewer` review `commentID` through a real task.
    func review(_ commentID: Int64, by reviewer: User, _ civility: CivilityVote, quality: QualityVote = .good) async throws {
        let taskID = try await assignTask(commentID, to: reviewer)
        try await comments.review(taskID: taskID, reviewer: reviewer, .init(civility: civility, quality: quality))
    }

    /// Hands `commentID` to `reviewer` as a task, as the queue would.
    func assignTask(_ commentID: Int64, to reviewer: User) async throws -> Int64 {
        try await test.database.transaction { db in
            try await db.insert(into: "review_tasks").columns("reviewer_id", "comment_id", "is_audit", "anonymise", "reason", "created_at")
                .values(SQLBind(reviewer.id), SQLBind(commentID), SQLBind(0), SQLBind(1), SQLBind("test"), SQLBind(Timestamp.now.milliseconds))
                .returning("id").first(decodingColumn: "id", as: Int64.self)!
        }
    }

    func status(_ id: Int64) async throws -> CommentStatus? { try await comments.comment(id)?.status }

    func outbox(to address: String) async throws -> [String] {
        try await test.database.read { db in
            try await db.select().column("subject").from("outbox").where("to_address", .equal, address).all(decodingColumn: "subject", as: String.self)
        }
    }
}

/// A pre-screen that holds or refuses what the test says.
struct ScriptedScreen: CommentScreen {
    var hold: [String] = []
    var refuse: [String] = []
    func screen(_ text: String, author: AuthorHistory, final: Bool, now: Timestamp) async -> ScreenVerdict {
        if refuse.contains(where: text.contains) { return .refuse(code: "banned_word", message: "This comment contains a word that is not allowed here.") }
        if final, hold.contains(where: text.contains) { return .hold(score: 0.9, reasons: ["suspect word"]) }
        return .pass(score: 0.1)
    }
}
