import Foundation
import NIOConcurrencyHelpers
import ReviewEngine
import SQLKit
import Testing
@testable import Comments
@testable import Publishing
@testable import QuorumBus
@testable import QuorumStore
@testable import QuorumWeb

/// The write path's cost: statements and transactions per step of the comment flow, held to a budget so that
/// repeated reads cannot creep back; settings kept per instance and dropped on every instance when they change;
/// SQLite's writer committing concurrent transactions together without answering any before its commit.
@Suite("Comments: the write path's queries, settings kept, group commit")
struct CommentWritePathTests {
    /// Statements (every query, BEGIN and COMMIT included) and transactions one call runs.
    struct Cost: CustomStringConvertible {
        var statements: Int
        var transactions: Int
        var description: String { "\(statements) statements in \(transactions) transaction(s)" }
    }

    static func cost<R>(_ database: Database, _ body: () async throws -> R) async throws -> (R, Cost) {
        let statements = database.statementCount, transactions = database.transactionCount
        let result = try await body()
        return (result, Cost(statements: database.statementCount - statements, transactions: database.transactionCount - transactions))
    }

    /// The most statements each step may take, with three comments waiting for review and settings kept (the
    /// same on both engines: PostgreSQL's row lock is part of the read, SQLite needs none). Counted from the code
    /// before the write path was cut down, they were: write 14, fetch a review task 21 to 23, review 18, rate own
    /// 25, with the settings rows read again in every step. Lower is fine; higher fails.
    static let budget = (write: 9, task: 15, review: 13, submit: 13)

    @Test(arguments: TestDatabases.kinds)
    func everyStepStaysWithinItsQueryBudgetInOneTransaction(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let database = test.database
            let others = [try await f.reader("x"), try await f.reader("y"), try await f.reader("z")]
            for (i, other) in others.enumerated() { _ = try await f.submitted("An earlier view number \(i).", by: other) }
            let a = try await f.reader("a")
            let (draft, write) = try await Self.cost(database) {
                try await f.comments.write(articleID: f.article.id, author: a, body: "I think the harbour plan is too expensive.")
            }
            #expect(write.transactions == 1, "write: \(write)")
            #expect(write.statements <= Self.budget.write, "write: \(write)")
            for position in 1...3 {
                let (task, fetch) = try await Self.cost(database) { try await f.comments.currentTask(reviewer: a, forComment: draft.id) }
                let picked = try #require(task)
                #expect(picked.position == position)
                #expect(fetch.transactions == 1, "fetch a review task: \(fetch)")
                #expect(fetch.statements <= Self.budget.task, "fetch a review task: \(fetch)")
                let (_, review) = try await Self.cost(database) {
                    try await f.comments.review(taskID: picked.id, reviewer: a, .init(civility: .civil, quality: .somewhat))
                }
                #expect(review.transactions == 1, "review: \(review)")
                #expect(review.statements <= Self.budget.review, "review: \(review)")
            }
            let (submitted, submit) = try await Self.cost(database) {
                try await f.comments.submit(commentID: draft.id, author: a, selfRating: .civil)
            }
            #expect(submitted.status == .pending)
            #expect(submit.transactions == 1, "rate own: \(submit)")
            #expect(submit.statements <= Self.budget.submit, "rate own: \(submit)")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func settingsAreReadOnceUntilTheyChange(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            _ = try await f.comments.rules()
            let (_, kept) = try await Self.cost(test.database) {
                _ = try await f.comments.rules()
                return try await f.comments.engine()
            }
            #expect(kept.statements == 0, "kept settings cost no query: \(kept)")
            var settings = try await f.comments.engine().settings
            settings.auditShare = 0.21
            try await f.comments.saveEngineSettings(settings)
            #expect(try await f.comments.engine().settings.auditShare == 0.21, "a change is seen at once on this instance")
            // A row changed by something that announces it (here: by hand, then the announcement).
            try await f.site.settings.set("comment_max_length", "120")
            await f.comments.settingsChanged()
            #expect(try await f.comments.rules().maximumLength == 120)
        }
    }

    /// Two instances on one PostgreSQL database, each with its own pool and bus: a change saved on one reaches
    /// the settings the other keeps.
    @Test(.enabled(if: TestDatabases.postgresURL != nil, "needs QUORUM_TEST_POSTGRES_URL"))
    func aSettingsChangeOnOneInstanceReachesTheOthers() async throws {
        try await TestDatabases.withDatabase(.postgres) { test in
            guard case .postgres(let location) = test.location else { return }
            let databases = [try await Database.open(test.location, options: .init(poolSize: 2), logger: TestDatabases.logger),
                             try await Database.open(test.location, options: .init(poolSize: 2), logger: TestDatabases.logger)]
            let buses = try databases.map {
                try PostgresBus(database: $0, location: location, logger: TestDatabases.logger, backoff: .init(initial: .milliseconds(50)))
            }
            let services = try databases.indices.map { i in
                let site = Site(configuration: LiveServer.configuration(for: test), database: databases[i], theme: try Theme.load(), logger: TestDatabases.logger)
                return CommentService(site: site, bus: buses[i], articles: PublishedArticles(), screen: NoScreen(),
                                      events: CommentEvents(bus: buses[i]), now: { .now })
            }
            let listening = buses.map { bus in Task { try await bus.run() } }
            defer { for task in listening { task.cancel() } }
            try await PostgresBusTests.waitUntil("both buses listen") { buses.allSatisfy(\.isListening) }
            #expect(try await services[0].engine().settings.auditShare != 0.33)
            var settings = try await services[1].engine().settings
            settings.auditShare = 0.33
            try await services[1].saveEngineSettings(settings)
            try await PostgresBusTests.waitUntil("the other instance drops its settings", timeout: 5) {
                try await services[0].engine().settings.auditShare == 0.33
            }
            for task in listening { task.cancel() }
            for database in databases { await database.close() }
        }
    }

    /// Many transactions at once on SQLite: those that succeed are all committed (and visible to a reader) when
    /// they return, those that throw leave nothing, and they share commits.
    @Test func sqliteCommitsConcurrentTransactionsTogetherAndAnswersAfterTheCommit() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let database = test.database
            struct Refused: Error {}
            let before = database.commitCount
            let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for i in 0..<40 {
                    group.addTask {
                        do {
                            try await database.transaction { db in
                                try await SettingsStore.set("group-commit-\(i)", "\(i)", now: .now, on: db)
                                // Something that takes a moment, so others queue behind this one.
                                try await Task.sleep(for: .milliseconds(2))
                                if i % 3 == 0 { throw Refused() }
                            }
                        } catch is Refused {
                            return (i, false)
                        }
                        // Answered only after the commit: a reader on another connection sees the row already.
                        let seen = try await SettingsStore(database: database).get("group-commit-\(i)")
                        #expect(seen == "\(i)", "transaction \(i) answered before its commit")
                        return (i, true)
                    }
                }
                var outcomes: [Int: Bool] = [:]
                for try await (i, ok) in group { outcomes[i] = ok }
                return outcomes
            }
            for i in 0..<40 {
                #expect(outcomes[i] == (i % 3 != 0))
                let stored = try await SettingsStore(database: database).get("group-commit-\(i)")
                #expect(stored == (i % 3 == 0 ? nil : "\(i)"), "transaction \(i)")
            }
            // Alone, the 26 that succeed would each have a commit of their own.
            let commits = database.commitCount - before
            #expect(commits < 26, "\(commits) commits for 26 transactions: none was shared")
        }
    }
}
