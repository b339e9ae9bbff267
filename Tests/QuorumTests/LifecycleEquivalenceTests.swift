import Foundation
import ReviewEngine
import SQLKit
import Simulator
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumStore
@testable import QuorumWeb

/// The server and the simulator run one policy: the same recorded sequence of events (submissions, reviews,
/// timeouts, moderators' verdicts) goes through the server's comment service on a real database and through the
/// simulator's world (`LifecycleReplay`), and after every step the comments' stages, every person's reviewer
/// and author records, and the sanctions given agree.
@Suite("One comment lifecycle: server and simulator agree step by step")
struct LifecycleEquivalenceTests {
    /// Both sides, and the checks between them.
    final class Pair: @unchecked Sendable {
        let f: CommentFixture
        let replay: LifecycleReplay
        var users: [User] = []
        var comments: [Int64] = []
        var sanctionsSeen = 0
        var sanctionKinds: [Sanction.Kind] = []
        var steps = 0

        init(_ f: CommentFixture, model: ModelState) {
            self.f = f
            replay = LifecycleReplay(model: model)
        }

        var now: Timestamp { f.clock.withLockedValue { $0 } }

        func person(_ name: String, reviewer: ReviewerRecord? = nil, author: AuthorRecord? = nil) async throws -> User {
            let user = try await f.reader(name)
            users.append(user)
            let now = self.now
            if var r = reviewer {
                r.reviewerID = user.id
                let stored = r
                try await f.test.database.transaction { db in try await CommentRows.save(stored, now: now, on: db) }
                replay.setReviewer(r)
            }
            if var a = author {
                a.authorID = user.id
                let stored = a
                try await f.test.database.transaction { db in try await CommentRows.save(stored, now: now, on: db) }
                replay.setAuthor(a)
            }
            return user
        }

        /// The review `reviewer` last gave on `commentID`, as stored, replayed in the simulator's world.
        func replayReview(of commentID: Int64, by reviewer: User) async throws {
            let stored = try await f.test.database.read { db in
                try await db.select().columns("id", "comment_id", "reviewer_id", "civility", "quality", "flags", "created_at", "is_audit")
                    .from("reviews").where("comment_id", .equal, commentID).where("reviewer_id", .equal, reviewer.id)
                    .orderBy("id", .descending).first()
            }
            let row = try #require(stored)
            replay.review(try CommentRows.decodeReview(row), isAudit: try row.decode(column: "is_audit", as: Int.self) != 0)
        }

        /// Writes a comment, does the reviews the site asks for before posting (replaying each), and submits it.
        func submit(_ text: String, by author: User, rating: CivilityVote = .civil) async throws -> Int64 {
            let draft = try await f.comments.write(articleID: f.article.id, author: author, body: text)
            while let task = try await f.comments.currentTask(reviewer: author, forComment: draft.id) {
                try await f.comments.review(taskID: task.id, reviewer: author, .init(civility: .civil, quality: .good))
                try await replayReview(of: task.commentID, by: author)
            }
            let submitted = try await f.comments.submit(commentID: draft.id, author: author, selfRating: rating)
            replay.submit(submitted.id, author: author.id, article: f.article.id, preScreen: try #require(submitted.preScreenScore),
                          selfRating: rating, at: try #require(submitted.submittedAt).date)
            comments.append(submitted.id)
            try await check("submitted \(text)")
            return submitted.id
        }

        func review(_ commentID: Int64, by reviewer: User, _ vote: CivilityVote) async throws {
            f.advance(seconds: 30)
            try await f.review(commentID, by: reviewer, vote)
            try await replayReview(of: commentID, by: reviewer)
            try await check("\(reviewer.displayName) reviewed \(commentID) \(vote.rawValue)")
        }

        /// Reviewers review in turn while the comment stays at `stage`.
        func reviewWhile(_ commentID: Int64, is stage: CommentStage, by reviewers: [User], _ vote: CivilityVote) async throws {
            for reviewer in reviewers {
                guard try await self.stage(commentID) == stage else { return }
                try await review(commentID, by: reviewer, vote)
            }
        }

        func sweep(after seconds: Double) async throws {
            f.advance(seconds: seconds)
            _ = try await f.comments.sweep()
            replay.sweep(at: now.date)
            try await check("sweep")
        }

        func moderate(_ commentID: Int64, by moderator: User, _ verdict: CivilityVote) async throws {
            f.advance(seconds: 60)
            try await f.comments.moderate(commentID: commentID, moderator: moderator,
                                          verdict == .civil ? .approve : .rejectUncivil(reason: "Insults another reader."))
            replay.moderate(commentID, verdict: verdict, at: now.date)
            try await check("moderator: \(commentID) \(verdict.rawValue)")
        }

        func stage(_ id: Int64) async throws -> CommentStage {
            try #require(try await f.comments.comment(id)).stage
        }

        /// Stages, records and sanctions agree.
        func check(_ step: String) async throws {
            steps += 1
            for id in comments {
                let server = try await stage(id)
                #expect(server == replay.stage(of: id), "step \(steps) (\(step)): comment \(id) is \(server) on the server, \(replay.stage(of: id)) in the simulator")
            }
            for user in users {
                let (reviewer, author) = try await f.test.database.read { db in
                    (try await CommentRows.reviewerRecord(user.id, on: db), try await CommentRows.authorRecord(user.id, on: db))
                }
                #expect(normalised(reviewer) == normalised(replay.reviewer(user.id)),
                        "step \(steps) (\(step)): reviewer record of \(user.displayName)")
                #expect(normalised(author) == normalised(replay.author(user.id)), "step \(steps) (\(step)): author record of \(user.displayName)")
            }
            let logged = try await f.test.database.read { db in
                try await db.select().columns("action", "subject").from("audit_log").where("action", .like, "engine.%")
                    .orderBy("id").all()
            }
            let server = try logged.dropFirst(sanctionsSeen).map { row in
                "\(try row.decode(column: "action", as: String.self).dropFirst("engine.".count)) \(try row.decode(column: "subject", as: String.self))"
            }
            sanctionsSeen = logged.count
            let given = replay.takeSanctions()
            sanctionKinds += given.map(\.kind)
            #expect(server == given.map { "\($0.kind.rawValue) user:\($0.userID)" }, "step \(steps) (\(step)): sanctions")
        }

        /// Dates to the millisecond: the server stores milliseconds, the simulator keeps minutes as a Double.
        func normalised(_ r: ReviewerRecord) -> ReviewerRecord {
            var r = r
            r.reviewBannedUntil = r.reviewBannedUntil.map(Self.ms)
            return r
        }

        func normalised(_ a: AuthorRecord) -> AuthorRecord {
            var a = a
            a.lastRejectionAt = a.lastRejectionAt.map(Self.ms)
            a.commentingBannedUntil = a.commentingBannedUntil.map(Self.ms)
            return a
        }

        static func ms(_ d: Date) -> Date { Date(timeIntervalSince1970: (d.timeIntervalSince1970 * 1000).rounded() / 1000) }
    }

    static func proven() -> ReviewerRecord {
        var r = ReviewerRecord(reviewerID: 0)
        r.audits.civilAgreed = 20
        r.audits.uncivilAgreed = 20
        r.reviewsGiven = 40
        return r
    }

    /// A reviewer one or two wrong calls away from a warning.
    static func shaky() -> ReviewerRecord {
        var r = ReviewerRecord(reviewerID: 0)
        r.outcomes.civilAgreed = 6
        r.outcomes.civilDisagreed = 1
        r.outcomes.uncivilAgreed = 1
        r.outcomes.uncivilDisagreed = 1
        r.reviewsGiven = 9
        return r
    }

    static func trusted() -> AuthorRecord {
        var a = AuthorRecord(authorID: 0)
        a.published = 15
        a.trust = .trusted
        return a
    }

    @Test(arguments: TestDatabases.kinds)
    func recordedSequenceAgrees(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test, screen: ScriptedScreen())
            // A site whose regular authors rarely write an uncivil comment: a trusted author's is published at once.
            var model = ModelState()
            model.regularAuthorRate = 0.002
            try await f.site.settings.set("review_engine_model", String(decoding: try JSONEncoder().encode(model), as: UTF8.self))
            await f.comments.settingsChanged()
            let p = Pair(f, model: model)
            let r = [try await p.person("rhea", reviewer: Self.proven()), try await p.person("raul", reviewer: Self.proven()),
                     try await p.person("rosa", reviewer: Self.proven())]
            let shaky = try await p.person("sam", reviewer: Self.shaky())
            let trusted = try await p.person("tess", reviewer: Self.proven(), author: Self.trusted())
            let regular = try await p.person("uma")
            let troll = try await p.person("troy")
            let moderator = try await f.reader("mod", roles: [.moderator])

            // A trusted author's comment is published at once and stays under review ...
            let a = try await p.submit("The harbour plan's second phase deserves a fuller costing.", by: trusted)
            #expect(try await p.stage(a) == .publishedUnderReview)
            // ... until peers confirm it: then it settles (reviewers judged, the author's record moves).
            try await p.review(a, by: shaky, .uncivil)
            try await p.reviewWhile(a, is: .publishedUnderReview, by: r, .civil)
            #expect(try await p.stage(a) == .published, "peers confirmed a trusted author's comment: it settles")

            // A trusted author's comment nobody reviews settles once its maximum wait has passed.
            let b = try await p.submit("Ferry timetables were published last week.", by: trusted)
            #expect(try await p.stage(b) == .publishedUnderReview)

            // An untrusted author's comment, published by peers.
            let c = try await p.submit("I disagree with the council on parking.", by: regular)
            try await p.review(c, by: shaky, .uncivil)
            try await p.reviewWhile(c, is: .pending, by: r, .civil)
            #expect(try await p.stage(c) == .published)

            // A troll's comment: withheld by peers, rejected as uncivil by a moderator (commenting ban).
            let d = try await p.submit("Only an idiot would back this plan.", by: troll)
            try await p.review(d, by: shaky, .civil)
            try await p.reviewWhile(d, is: .pending, by: r, .uncivil)
            #expect(try await p.stage(d) == .withheld)
            try await p.moderate(d, by: moderator, .uncivil)
            #expect(try await p.stage(d) == .rejected)

            // A comment nobody reviews times out to moderators, who approve it.
            let e = try await p.submit("Has anyone asked the fishing cooperative?", by: regular)
            try await p.sweep(after: 13 * 3600)
            #expect(try await p.stage(b) == .published, "the trusted author's comment stood its maximum wait")
            #expect(try await p.stage(e) == .withheld)
            try await p.moderate(e, by: moderator, .civil)
            #expect(try await p.stage(e) == .approved)

            // Peers withdraw a trusted author's comment; the moderator rejects it: trust lost, commenting ban.
            let g = try await p.submit("The mayor is a liar and a crook.", by: trusted)
            #expect(try await p.stage(g) == .publishedUnderReview)
            try await p.review(g, by: shaky, .civil)
            try await p.reviewWhile(g, is: .publishedUnderReview, by: r, .uncivil)
            #expect(try await p.stage(g) == .withheld)
            try await p.moderate(g, by: moderator, .uncivil)

            // The sequence exercised what it claims to.
            #expect(p.sanctionKinds.contains(.commentingBan))
            #expect(p.sanctionKinds.contains(.trustLost))
            #expect(p.sanctionKinds.contains { $0 == .reviewerWarned || $0 == .votesStopCounting }, "\(p.sanctionKinds)")
            #expect(p.steps >= 15)
        }
    }
}
