import Foundation
import Publishing
import QuorumStore
import QuorumWeb
import SQLKit

/// Fills one article with a large, realistic comment thread for benchmarks (`quorum bench seed`): many authors,
/// top-level comments and replies to them, the statuses a busy site has (mostly published, some pending, held,
/// withheld and rejected), editor's picks, recommendations, quality scores, and peer reviews on a share of them.
///
/// Rows go in with multi-row `INSERT`s in large transactions (ids are assigned here, so replies can name their
/// parent without reading back), which makes a million comments a matter of minutes. Deterministic for a seed.
public struct ThreadSeeder: Sendable {
    public var comments: Int
    public var authors: Int = 5_000
    /// Share of comments that answer an earlier top-level comment.
    public var replyShare: Double = 0.3
    /// Share of comments reviewed by three readers (rows in `reviews`).
    public var reviewedShare: Double = 0.05
    /// Comments that are not published, besides `comments` published ones: this share of them.
    public var unpublishedShare: Double = 0.04
    public var seed: UInt64 = 42
    /// The thread spans this many days up to now.
    public var days: Int = 30

    public init(comments: Int) { self.comments = comments }

    public struct Summary: Sendable, CustomStringConvertible {
        public var articleID: Int64
        public var published: Int
        public var other: Int
        public var replies: Int
        public var reviews: Int
        public var authors: Int
        public var seconds: Double
        public var description: String {
            "\(published) published comments (\(replies) replies) and \(other) in other states, \(reviews) reviews, by \(authors) authors, "
                + "on article \(articleID) in \(String(format: "%.1f", seconds)) s"
        }
    }

    /// SplitMix64: small, fast and the same everywhere.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    static let openings = [
        "I think", "Honestly,", "As a resident,", "Respectfully,", "For what it is worth,", "In my experience", "Frankly,",
        "Good piece.", "Interesting:", "Not convinced:",
    ]
    static let middles = [
        "the council has to publish the figures before the vote", "the harbour plan ignores the fishing cooperatives",
        "the budget line for dredging is far too optimistic", "the reporter could have asked the port authority",
        "this has been promised three times in ten years", "trams would serve the quay better than more parking",
        "the map makes the argument much easier to follow", "the consultation was announced with two days' notice",
        "the numbers in the third paragraph deserve a headline of their own", "nobody has asked who maintains it afterwards",
    ]
    static let endings = [
        ".", ", and I hope the follow-up says so.", ". Thank you for reporting it.", ", which is the real story here.",
        ". We will see in six months.", ", as anyone who lives nearby knows.",
    ]

    static func body(_ random: inout Random) -> String {
        let sentences = 1 + random.below(4)
        var text = ""
        for n in 0..<sentences {
            if n > 0 { text += random.below(5) == 0 ? "\n\n" : " " }
            text += openings[random.below(openings.count)] + " " + middles[random.below(middles.count)] + endings[random.below(endings.count)]
        }
        return text
    }

    /// Seeds the article `slug` (created, published, in section `news`, if it does not exist).
    public func run(database: Database, articleSlug slug: String, now: Timestamp = .now, progress: @Sendable (String) -> Void = { _ in }) async throws -> Summary {
        let started = Date()
        var random = Random(state: seed)
        let articleID = try await article(slug, database: database, now: now)

        // Authors: one multi-row insert per batch, roles as readers.
        let authorIDs = try await database.transaction { db -> [Int64] in
            let first = ((try await db.select().column(SQLFunction("MAX", args: SQLIdentifier("id")), as: "m").from("users")
                .first(decodingColumn: "m", as: Int64?.self)).flatMap { $0 } ?? 0) + 1
            let ids = (0..<Int64(authors)).map { first + $0 }
            for batch in stride(from: 0, to: ids.count, by: 500) {
                let part = ids[batch..<min(batch + 500, ids.count)]
                var users = db.insert(into: "users").columns("id", "email", "display_name", "status", "created_at", "updated_at")
                var roles = db.insert(into: "user_roles").columns("user_id", "role", "granted_at")
                for id in part {
                    users = users.values(SQLBind(id), SQLBind("reader\(id)@bench.quorum.test"), SQLBind("Reader \(id)"), SQLBind("active"),
                                         SQLBind(now.milliseconds), SQLBind(now.milliseconds))
                    roles = roles.values(SQLBind(id), SQLBind(Role.reader.rawValue), SQLBind(now.milliseconds))
                }
                try await users.run()
                try await roles.run()
            }
            if database.kind == .postgres {
                try await db.raw("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))").run()
            }
            return ids
        }
        progress("\(authorIDs.count) authors")

        let unpublished = Int(Double(comments) * unpublishedShare)
        let total = comments + unpublished
        let start = now.milliseconds - Int64(days) * 86_400_000
        let step = max(1, (now.milliseconds - start) / Int64(max(1, total)))
        var summary = Summary(articleID: articleID, published: 0, other: 0, replies: 0, reviews: 0, authors: authorIDs.count, seconds: 0)
        let firstID = try await database.read { db in
            ((try await db.select().column(SQLFunction("MAX", args: SQLIdentifier("id")), as: "m").from("comments")
                .first(decodingColumn: "m", as: Int64?.self)).flatMap { $0 } ?? 0) + 1
        }
        // Top-level published comments so far, for replies to pick a parent from (recent ones more often).
        var topLevel: [Int64] = []
        topLevel.reserveCapacity(comments)
        let perTransaction = 20_000, perStatement = 400
        // PostgreSQL keeps every version of a row a transaction updates: the published-count trigger, firing
        // for each of thousands of rows in one transaction, would walk an ever longer chain of versions of the
        // one counter row. It is off while seeding; the count is set once at the end.
        if database.kind == .postgres {
            try await database.read { db in try await db.raw("ALTER TABLE comments DISABLE TRIGGER comments_count").run() }
        }
        var nextID = firstID
        var made = 0
        while made < total {
            let count = min(perTransaction, total - made)
            var rows: [[any SQLExpression]] = []
            var reviews: [[any SQLExpression]] = []
            rows.reserveCapacity(count)
            for n in 0..<count {
                let id = nextID
                nextID += 1
                let index = made + n
                let at = start + Int64(index) * step + Int64(random.below(Int(step)))
                // Not published: spread through the thread, in the proportions a busy site has; exactly
                // `comments` published in the end.
                let left = total - index, publishedLeft = comments - summary.published
                let isPublished = publishedLeft > 0 && random.unit() * Double(left) < Double(publishedLeft)
                let status: String
                if isPublished {
                    status = "published"
                } else {
                    let r = random.unit()
                    status = r < 0.45 ? "pending" : r < 0.65 ? "withheld" : r < 0.8 ? "held" : r < 0.95 ? "rejected" : "deleted"
                }
                var parent: Int64?
                if !topLevel.isEmpty, random.unit() < replyShare {
                    // Mostly answers to recent comments, sometimes to old ones.
                    let recent = min(topLevel.count, 2_000)
                    parent = random.below(4) == 0 ? topLevel[random.below(topLevel.count)] : topLevel[topLevel.count - 1 - random.below(recent)]
                }
                if status == "published" {
                    summary.published += 1
                    if parent == nil { topLevel.append(id) } else { summary.replies += 1 }
                } else {
                    summary.other += 1
                }
                let pick = status == "published" && parent == nil && random.below(1_000) == 0
                // Recommendations: most none, a long tail of popular ones.
                let u = random.unit()
                let recommends = u < 0.6 ? 0 : Int(pow(1 / max(1e-9, 1 - u), 1.3)) - 1
                let quality = status == "published" ? (random.unit() * 1.6 - 0.4) : 0
                let author = authorIDs[random.below(authorIDs.count)]
                let submitted = at - 60_000
                rows.append([
                    SQLBind(id), SQLBind(articleID), SQLBind(author), SQLBind(parent), SQLBind(Self.body(&random)), SQLBind(status),
                    SQLBind("civil"), SQLBind(submitted - 120_000), SQLBind(submitted), SQLBind(status == "pending" ? nil : at),
                    SQLBind(status == "published" ? at : nil), SQLBind(status == "pending" ? nil : (status == "held" ? "prescreen" : "peers")),
                    SQLBind(pick ? 1 : 0), SQLBind(recommends), SQLBind(quality), SQLBind(3),
                ])
                if random.unit() < reviewedShare || status == "pending" {
                    var reviewers: Set<Int64> = []
                    while reviewers.count < 3 {
                        let r = authorIDs[random.below(authorIDs.count)]
                        if r != author { reviewers.insert(r) }
                    }
                    for reviewer in reviewers.sorted() {
                        let civil = status == "withheld" || status == "rejected" ? random.below(3) == 0 : random.below(20) != 0
                        let q = ["good", "somewhat", "notGood"][random.below(3)]
                        reviews.append([SQLBind(id), SQLBind(reviewer), SQLBind(civil ? "civil" : "uncivil"), SQLBind(q), SQLBind(submitted + 30_000)])
                    }
                }
            }
            let batchRows = rows, batchReviews = reviews
            try await database.transaction { db in
                for part in stride(from: 0, to: batchRows.count, by: perStatement) {
                    var insert = db.insert(into: "comments").columns(
                        "id", "article_id", "author_id", "parent_id", "body", "status", "self_rating", "created_at", "submitted_at",
                        "decided_at", "published_at", "decided_by", "is_pick", "recommends", "quality", "reviews_required")
                    for row in batchRows[part..<min(part + perStatement, batchRows.count)] { insert = insert.values(row) }
                    try await insert.run()
                }
                for part in stride(from: 0, to: batchReviews.count, by: perStatement) {
                    var insert = db.insert(into: "reviews").columns("comment_id", "reviewer_id", "civility", "quality", "created_at")
                    for row in batchReviews[part..<min(part + perStatement, batchReviews.count)] { insert = insert.values(row) }
                    try await insert.run()
                }
            }
            summary.reviews += reviews.count
            made += count
            progress("\(made) of \(total) comments")
        }
        try await database.transaction { db in
            // Counting and analysing ten million rows takes longer than the pool's statement time limit.
            if let lift = database.dialect.liftStatementTimeout { try await db.raw(SQLQueryString(lift)).run() }
            if database.kind == .postgres {
                try await db.raw("ALTER TABLE comments ENABLE TRIGGER comments_count").run()
                try await db.raw("""
                    INSERT INTO comment_counts (article_id, published)
                    SELECT \(bind: articleID), COUNT(*) FROM comments WHERE article_id = \(bind: articleID) AND status = 'published'
                    ON CONFLICT (article_id) DO UPDATE SET published = excluded.published
                    """).run()
                try await db.raw("SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT MAX(id) FROM comments))").run()
                try await db.raw("ANALYZE comments").run()
                try await db.raw("ANALYZE reviews").run()
            } else {
                try await db.raw("ANALYZE").run()
            }
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    private func article(_ slug: String, database: Database, now: Timestamp) async throws -> Int64 {
        let store = ArticleStore(database: database)
        if let existing = try await store.article(slug: slug) { return existing.id }
        if try await store.sections().first(where: { $0.slug == "news" }) == nil {
            _ = try await store.createSection(slug: "news", name: "News")
        }
        let draft = try await store.create(ArticleInput(
            slug: slug, headline: "A very long discussion", standfirst: "An article with a very large comment thread.",
            body: "The article readers keep discussing.", section: "news"
        ), now: now)
        return try await store.publish(id: draft.id, now: now.adding(seconds: -Double(days) * 86_400 - 3_600)).id
    }
}
