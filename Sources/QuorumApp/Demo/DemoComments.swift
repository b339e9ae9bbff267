import Accounts
import Comments
import Foundation
import Publishing
import QuorumBus
import QuorumMail
import QuorumStore
import QuorumWeb
import ReviewEngine

import SQLKit

/// A lively comment section for the demo: readers with good review records, a thread of published comments
/// (replies, an editor's pick, recommendations) and a few comments waiting for review, so a visitor who signs
/// in and writes a comment has something to review and sees peers decide.
public enum DemoComments {
    static let readers = [
        ("thandi", "Thandi M."), ("pieter", "Pieter van Wyk"), ("ayesha", "Ayesha K."), ("sipho", "Sipho D."),
        ("marie", "Marie L."), ("johan", "Johan B."), ("lerato", "Lerato N."), ("david", "David R."),
    ]

    static let published = [
        "The numbers in the third paragraph deserve more attention than the headline gives them.",
        "I disagree with the premise. Enforcement at sea has always depended on shared data, and this changes little.",
        "Good reporting. Would be useful to see how the patrol budget compares with last year.",
        "As someone who works on the coast, the practical problem is radio coverage, not paperwork.",
        "This is the first agreement in a decade with a real monitoring clause. That matters.",
        "The piece could have quoted at least one of the smaller fishing cooperatives.",
        "Sharing data is fine until it is used against small operators. Who audits the auditors?",
        "Strong piece. The map would help readers outside the region follow the argument.",
        "I remain sceptical: the last three agreements were announced with the same optimism.",
        "The correction at the end is appreciated. More outlets should be this transparent.",
        "Interesting that the agency declined to comment. That says something on its own.",
        "Satellite tracking has improved enormously. The bottleneck is courts, not data.",
        "Would be good to follow this up in six months and see what was actually enforced.",
        "Respectfully, the standfirst overstates what the ministers signed.",
        "My family fished these waters for forty years. Illegal trawling is not a new story.",
        "Clear, fair and well sourced. Thank you.",
        "The cost estimate seems low. Patrol vessels are expensive to run.",
        "Is there a public register of the vessels involved? That would help journalists and readers alike.",
    ]

    static let replies = [
        (0, "Agreed, the figures are the real story here."),
        (1, "It changes the legal basis for boarding though, which is not nothing."),
    ]

    static let pending = [
        "I think the article is fair, but the photo caption could name the port.",
        "This agreement will only work if neighbouring states join within the year.",
    ]

    /// Loads the comments on the article `slug` unless it already has some. Returns how many it created.
    @discardableResult
    public static func load(into database: Database, articleSlug slug: String, now: Timestamp = .now) async throws -> Int {
        try await database.transaction { db in
            guard let articleID = try await db.select().column("id").from("articles").where("slug", .equal, slug)
                .first(decodingColumn: "id", as: Int64.self)
            else { return 0 }
            if try await db.select().column("id").from("comments").where("article_id", .equal, articleID).first() != nil { return 0 }
            var users: [Int64] = []
            for (handle, name) in readers {
                let email = "\(handle)@demo.quorum.test"
                var user = try await UserRows.find(where: "email", equals: email, on: db)
                if user == nil { user = try await UserStore.create(email: email, displayName: name, roles: [.reader], now: now, on: db) }
                guard let user else { continue }
                users.append(user.id)
                var record = ReviewerRecord(reviewerID: user.id)
                record.audits.civilAgreed = 12
                record.audits.uncivilAgreed = 12
                record.reviewsGiven = 30
                try await CommentRows.save(record, now: now, on: db)
            }
            var created = 0
            var ids: [Int64] = []
            for (i, text) in published.enumerated() {
                let at = now.adding(seconds: Double(i - published.count) * 900)
                let id = try await insert(db, articleID: articleID, author: users[i % users.count], parent: nil, body: text,
                                          status: .published, at: at, pick: i == 4, recommends: (i * 5) % 7)
                for fan in users.prefix((i * 5) % 7) where fan != users[i % users.count] {
                    try await db.insert(into: "comment_reactions").columns("comment_id", "user_id", "kind", "created_at")
                        .values(SQLBind(id), SQLBind(fan), SQLBind("recommend"), SQLBind(at.milliseconds)).run()
                }
                try await db.update("comments").set("recommends", to: SQLSubquery.select { $0.column(SQLFunction("COUNT", args: SQLLiteral.all))
                    .from("comment_reactions").where("comment_id", .equal, id) }).where("id", .equal, id).run()
                ids.append(id)
                created += 1
            }
            for (parent, text) in replies {
                _ = try await insert(db, articleID: articleID, author: users[(parent + 3) % users.count], parent: ids[parent], body: text,
                                     status: .published, at: now.adding(seconds: -300), pick: false, recommends: 1)
                created += 1
            }
            for (i, text) in pending.enumerated() {
                _ = try await insert(db, articleID: articleID, author: users[(i + 5) % users.count], parent: nil, body: text,
                                     status: .pending, at: now.adding(seconds: -120), pick: false, recommends: 0)
                created += 1
            }
            return created
        }
    }

    static func insert(_ db: any SQLDatabase, articleID: Int64, author: Int64, parent: Int64?, body: String, status: CommentStatus,
                       at: Timestamp, pick: Bool, recommends: Int) async throws -> Int64 {
        try await db.insert(into: "comments")
            .columns("article_id", "author_id", "parent_id", "body", "status", "self_rating", "created_at", "submitted_at", "decided_at",
                     "published_at", "decided_by", "is_pick", "recommends", "quality")
            .values(SQLBind(articleID), SQLBind(author), SQLBind(parent), SQLBind(body), SQLBind(status.rawValue), SQLBind("civil"),
                    SQLBind(at.milliseconds), SQLBind(at.milliseconds), SQLBind(status == .published ? at.milliseconds : nil),
                    SQLBind(status == .published ? at.milliseconds : nil), SQLBind(status == .published ? "peers" : nil),
                    SQLBind(pick ? 1 : 0), SQLBind(recommends), SQLBind(0.5))
            .returning("id").first(decodingColumn: "id", as: Int64.self)!
    }
}
