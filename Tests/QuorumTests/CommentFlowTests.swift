import Foundation
import ReviewEngine
import SQLKit
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Comments: the flow and the engine's decisions")
struct CommentFlowTests {
    @Test(arguments: TestDatabases.kinds)
    func writeReviewThreeRateOwnThenPeersPublish(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            // Three comments are waiting when A writes, so A reviews three.
            let others = [try await f.reader("x"), try await f.reader("y"), try await f.reader("z")]
            for (i, other) in others.enumerated() { _ = try await f.submitted("An earlier view number \(i).", by: other) }
            let a = try await f.reader("a")
            let draft = try await f.comments.write(articleID: f.article.id, author: a, body: "I think the harbour plan is too expensive.")
            #expect(draft.status == .draft)
            var reviewed: Set<Int64> = []
            for position in 1...3 {
                let task = try #require(try await f.comments.currentTask(reviewer: a, forComment: draft.id))
                #expect(task.position == position)
                #expect(task.required == 3)
                #expect(!reviewed.contains(task.commentID), "never the same comment twice")
                #expect(task.commentID != draft.id, "never one's own")
                // Asking again before answering returns the same task.
                #expect(try await f.comments.currentTask(reviewer: a, forComment: draft.id)?.id == task.id)
                try await f.comments.review(taskID: task.id, reviewer: a, .init(civility: .civil, quality: .somewhat, flags: []))
                reviewed.insert(task.commentID)
            }
            #expect(try await f.comments.currentTask(reviewer: a, forComment: draft.id) == nil)
            let submitted = try await f.comments.submit(commentID: draft.id, author: a, selfRating: .civil, body: "I think the harbour plan costs too much.")
            #expect(submitted.status == .pending)
            #expect(submitted.body == "I think the harbour plan costs too much.")
            #expect(submitted.editedAt != nil)
            let thread = try await f.comments.thread(articleID: f.article.id, sort: .newest)
            #expect(!thread.comments.contains { $0.comment.id == draft.id }, "a pending comment is seen by no one but its author")
            #expect(try await f.comments.unpublished(articleID: f.article.id, author: a.id).map(\.id).contains(draft.id))

            // Proven reviewers find it civil: it is published.
            for name in ["b", "c", "d"] {
                guard try await f.status(draft.id) == .pending else { break }
                try await f.review(draft.id, by: try await f.provenReviewer(name), .civil)
            }
            let published = try #require(try await f.comments.comment(draft.id))
            #expect(published.status == .published)
            #expect(published.decidedBy == .peers)
            #expect(published.decisionSummary?.isEmpty == false)
            #expect(try await f.comments.thread(articleID: f.article.id, sort: .newest).comments.contains { $0.comment.id == draft.id })
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func peersWithholdAnUncivilCommentForAModerator(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let troll = try await f.reader("troll")
            let comment = try await f.submitted("You are all idiots and should shut up.", by: troll)
            for name in ["b", "c", "d", "e"] {
                guard try await f.status(comment.id) == .pending else { break }
                try await f.review(comment.id, by: try await f.provenReviewer(name), .uncivil, quality: .notGood)
            }
            #expect(try await f.status(comment.id) == .withheld)
            let queue = try await f.comments.queue(.withheld)
            #expect(queue.map(\.id) == [comment.id])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func refusedReviewsSayWhy(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let a = try await f.reader("a"), b = try await f.reader("b")
            let comment = try await f.submitted("A civil remark about the budget.", by: a)
            // Own comment.
            let own = try await f.assignTask(comment.id, to: a)
            await #expect(throws: CommentError.ownComment) { try await f.comments.review(taskID: own, reviewer: a, .init(civility: .civil, quality: .good)) }
            // Without a task, or with someone else's task.
            let bTask = try await f.assignTask(comment.id, to: b)
            await #expect(throws: CommentError.noTask) { try await f.comments.review(taskID: bTask, reviewer: a, .init(civility: .civil, quality: .good)) }
            await #expect(throws: CommentError.noTask) { try await f.comments.review(taskID: 999_999, reviewer: b, .init(civility: .civil, quality: .good)) }
            // Twice.
            try await f.comments.review(taskID: bTask, reviewer: b, .init(civility: .civil, quality: .good))
            await #expect(throws: CommentError.reviewedTwice) { try await f.comments.review(taskID: bTask, reviewer: b, .init(civility: .civil, quality: .good)) }
            let again = try await f.assignTask(comment.id, to: b)
            await #expect(throws: CommentError.reviewedTwice) { try await f.comments.review(taskID: again, reviewer: b, .init(civility: .uncivil, quality: .good)) }
            let count = try await test.database.read { db in
                try await db.select().column("id").from("reviews").where("comment_id", .equal, comment.id).all().count
            }
            #expect(count == 1)
        }
    }

    /// Several reviewers answer at the same moment: every review is stored once and the decision sees them all.
    @Test(arguments: TestDatabases.kinds)
    func simultaneousReviewsAllCountExactlyOnce(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            var settings = ReviewEngine.Settings()
            settings.minimumReviews = 6 // keep it pending so every review is decided on
            settings.maximumReviews = 10
            let f = try await CommentFixture.make(test)
            try await f.comments.saveEngineSettings(settings)
            let author = try await f.reader("author")
            let comment = try await f.submitted("Reasonable point about parking.", by: author)
            var reviewers: [(User, Int64)] = []
            for i in 0..<6 {
                let reviewer = try await f.provenReviewer("r\(i)")
                reviewers.append((reviewer, try await f.assignTask(comment.id, to: reviewer)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (reviewer, task) in reviewers {
                    group.addTask { try await f.comments.review(taskID: task, reviewer: reviewer, .init(civility: .civil, quality: .good)) }
                }
                try await group.waitForAll()
            }
            let rows = try await test.database.read { db in
                try await db.select().column("reviewer_id").from("reviews").where("comment_id", .equal, comment.id).all(decodingColumn: "reviewer_id", as: Int64.self)
            }
            #expect(rows.count == 6)
            #expect(Set(rows) == Set(reviewers.map(\.0.id)))
            let decided = try await f.comments.comment(comment.id)
            #expect(decided?.status == .published, "the last decision saw all six civil reviews: \(decided?.decisionSummary ?? "")")
            let ids = reviewers.map(\.0.id)
            let given = try await test.database.read { db in try await CommentRows.reviewerRecords(ids, on: db) }
            #expect(given.allSatisfy { $0.reviewsGiven == 41 }, "each reviewer's count rose by exactly one")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func nothingWaitsForever(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let comment = try await f.submitted("First comment on a quiet site.", by: try await f.reader("early"))
            #expect(try await f.comments.sweep() == 0)
            #expect(try await f.status(comment.id) == .pending)
            f.advance(seconds: try await f.comments.engine().settings.maximumWait + 1)
            #expect(try await f.comments.sweep() == 1)
            let timedOut = try #require(try await f.comments.comment(comment.id))
            #expect(timedOut.status == .withheld)
            #expect(timedOut.decidedBy == .timeout)
            #expect(try await f.comments.queue(.timedOut).map(\.id) == [comment.id])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func preScreenRefusesOrHolds(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test, screen: ScriptedScreen(hold: ["suspicious"], refuse: ["forbiddenword"]))
            let a = try await f.reader("a")
            await #expect(throws: CommentError.refused("banned_word", "This comment contains a word that is not allowed here.")) {
                try await f.comments.write(articleID: f.article.id, author: a, body: "this has forbiddenword in it")
            }
            let held = try await f.submitted("a suspicious remark", by: a)
            #expect(held.status == .held)
            #expect(held.preScreenReasons == "suspect word")
            #expect(try await f.comments.queue(.held).map(\.id) == [held.id])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func badInputIsRefusedWithAClearMessage(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let a = try await f.reader("a")
            await #expect(throws: CommentError.empty) { try await f.comments.write(articleID: f.article.id, author: a, body: "  \n\t ") }
            await #expect(throws: CommentError.tooLong(3000)) {
                try await f.comments.write(articleID: f.article.id, author: a, body: String(repeating: "x", count: 3001))
            }
            let ok = try await f.comments.write(articleID: f.article.id, author: a, body: String(repeating: "y", count: 3000))
            #expect(ok.body.count == 3000)
            await #expect(throws: CommentError.articleNotFound) { try await f.comments.write(articleID: 424_242, author: a, body: "hello") }
            // Replies only to published comments of the same article.
            let pending = try await f.submitted("Pending thought.", by: try await f.reader("b"))
            await #expect(throws: CommentError.replyToUnpublished) {
                try await f.comments.write(articleID: f.article.id, author: a, body: "Reply", parentID: pending.id)
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func whoMayCommentFollowsTheSiteSettings(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let reader = try await f.reader("plain"), member = try await f.reader("member", roles: [.member])
            try await f.site.settings.set("comments_who", "members")
            await f.comments.settingsChanged()
            await #expect(throws: CommentError.membersOnly) { try await f.comments.write(articleID: f.article.id, author: reader, body: "hi") }
            _ = try await f.comments.write(articleID: f.article.id, author: member, body: "hi from a member")
            try await f.site.settings.set("comments_who", "anyone")
            try await f.site.settings.set("comments_close_after_days", "2")
            await f.comments.settingsChanged()
            f.advance(seconds: 3 * 86_400)
            let ref = try await f.comments.article(slug: f.article.slug)
            await #expect(throws: CommentError.closed, "published \(String(describing: ref?.publishedAt)) now \(f.clock.withLockedValue { $0 })") {
                try await f.comments.write(articleID: f.article.id, author: reader, body: "late")
            }
            try await UserModeration.setStatus(userID: member.id, UserStatus(kind: .suspended, reason: "cool off", until: f.clock.withLockedValue { $0 }.adding(seconds: 3600)), actor: nil, in: test.database)
            let suspended = try #require(try await f.site.users.find(id: member.id))
            await #expect(throws: CommentError.suspended) { try await f.comments.checkMayComment(suspended, rules: try await f.comments.rules()) }
        }
    }

    /// Daily Maverick's ladder: a comment rejected as uncivil earns a week's ban; a second revokes commenting.
    @Test(arguments: TestDatabases.kinds)
    func moderatorRejectionsApplyTheLadder(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let moderator = try await f.reader("mod", roles: [.moderator])
            let author = try await f.reader("rude")
            let first = try await f.submitted("Rude thing one.", by: author)
            let plain = try await f.reader("plain")
            await #expect(throws: CommentError.notModerator) { try await f.comments.moderate(commentID: first.id, moderator: plain, .approve) }
            await #expect(throws: CommentError.needsReason) { try await f.comments.moderate(commentID: first.id, moderator: moderator, .rejectUncivil(reason: " ")) }
            try await f.comments.moderate(commentID: first.id, moderator: moderator, .rejectUncivil(reason: "Personal insult"))
            let rejected = try #require(try await f.comments.comment(first.id))
            #expect(rejected.status == .rejected)
            #expect(rejected.moderationReason == "Personal insult")
            let mail = try await f.outbox(to: "rude@example.com")
            #expect(mail.contains("Your comment was not published"))
            #expect(mail.contains { $0.hasPrefix("About your comments") })
            // Both emails are rendered from the theme, with a text and an HTML part.
            let parts = try await test.database.read { db in
                try await db.select().columns("kind", "body_text", "body_html").from("outbox").where("to_address", .equal, "rude@example.com").all()
                    .map { (try $0.decode(column: "kind", as: String.self), try $0.decode(column: "body_text", as: String.self), try $0.decode(column: "body_html", as: String?.self)) }
            }
            let rejection = try #require(parts.first { $0.0 == "comment-rejected" })
            #expect(rejection.1.contains("\"Rude thing one.\"\n\nReason: Personal insult"))
            #expect(rejection.2?.contains("Reason: Personal insult") == true)
            let sanction = try #require(parts.first { $0.0 == "comment-sanction" })
            #expect(sanction.1.contains("You may comment again after "))
            #expect(sanction.2?.contains("You may comment again after ") == true)
            await #expect(throws: CommentError.self) { try await f.comments.write(articleID: f.article.id, author: author, body: "back again") }
            let record = try await test.database.read { db in try await CommentRows.authorRecord(author.id, on: db) }
            let until = try #require(record.commentingBannedUntil)
            #expect(abs(until.timeIntervalSince(f.clock.withLockedValue { $0 }.date) - 7 * 86_400) < 5)

            f.advance(seconds: 8 * 86_400)
            let second = try await f.submitted("Rude thing two.", by: author)
            try await f.comments.moderate(commentID: second.id, moderator: moderator, .rejectUncivil(reason: "Threat"))
            await #expect(throws: CommentError.banned(until: nil)) { try await f.comments.write(articleID: f.article.id, author: author, body: "again") }

            // The moderator overrides the ladder.
            try await f.comments.restoreCommenting(userID: author.id, moderator: moderator, reason: "apologised")
            _ = try await f.comments.write(articleID: f.article.id, author: author, body: "I apologise.")
            let log = try await AuditLog.entries(subject: "user:\(author.id)", in: test.database).map(\.action)
            #expect(log.contains("engine.commentingBan"))
            #expect(log.contains("engine.commentingRevoked"))
            #expect(log.contains("comment.restore_commenting"))
            #expect(try await AuditLog.entries(subject: "comment:\(first.id)", in: test.database).map(\.action) == ["comment.reject_uncivil"])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func rejectedAuthorsMayEditAndResubmit(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let moderator = try await f.reader("mod", roles: [.moderator])
            let author = try await f.reader("writer")
            let comment = try await f.submitted("Off topic rambling.", by: author)
            try await f.comments.moderate(commentID: comment.id, moderator: moderator, .reject(reason: "Off topic"))
            #expect(try await f.comments.write(articleID: f.article.id, author: author, body: "not banned for an off-topic rejection").status == .draft)
            let resubmitted = try await f.comments.submit(commentID: comment.id, author: author, selfRating: .civil, body: "On topic: the harbour costs.")
            #expect(resubmitted.status == .pending)
            #expect(resubmitted.moderationReason == nil)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func moderatorsApproveFeatureAuditAndDismissFlags(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let moderator = try await f.reader("mod", roles: [.moderator])
            let editor = try await f.reader("ed", roles: [.editor])
            let author = try await f.reader("author")
            let comment = try await f.submitted("A careful argument.", by: author)
            try await f.comments.moderate(commentID: comment.id, moderator: moderator, .approve)
            #expect(try await f.status(comment.id) == .published)
            try await f.comments.moderate(commentID: comment.id, moderator: editor, .feature(true))
            #expect(try await f.comments.comment(comment.id)?.isPick == true)
            await #expect(throws: CommentError.notModerator) { try await f.comments.moderate(commentID: comment.id, moderator: editor, .approve) }

            let reader = try await f.reader("reader")
            try await f.comments.flag(commentID: comment.id, user: reader, reason: .spam, note: "looks like an ad")
            try await f.comments.flag(commentID: comment.id, user: reader, reason: .spam, note: "again")
            #expect(try await f.comments.comment(comment.id)?.openFlags == 1, "one flag per reader")
            #expect(try await f.comments.queue(.flagged).map(\.id) == [comment.id])
            try await f.comments.moderate(commentID: comment.id, moderator: moderator, .dismissFlags)
            #expect(try await f.comments.queue(.flagged).isEmpty)

            // An audit item is handed to a reviewer and graded against the moderator's verdict.
            try await f.comments.moderate(commentID: comment.id, moderator: moderator, .markAudit(.civil))
            let reviewer = try await f.reader("newcomer")
            var graded = false
            for attempt in 0..<40 where !graded {
                let draft = try await f.comments.write(articleID: f.article.id, author: reviewer, body: "Draft \(attempt) to review with.")
                if let task = try await f.comments.currentTask(reviewer: reviewer, forComment: draft.id), task.isAudit {
                    try await f.comments.review(taskID: task.id, reviewer: reviewer, .init(civility: .uncivil, quality: .good))
                    graded = true
                }
                try await f.comments.delete(commentID: draft.id, author: reviewer)
                try await test.database.read { db in try await db.delete(from: "review_tasks").where("reviewer_id", .equal, reviewer.id).where("done_at", .is, SQLLiteral.null).run() }
            }
            #expect(graded, "a new reviewer meets audits often (the probation share)")
            let record = try await test.database.read { db in try await CommentRows.reviewerRecord(reviewer.id, on: db) }
            #expect(record.audits.civilDisagreed > 0, "the failed audit is on the reviewer's record")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func threadsSortPageAndCountReactions(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let moderator = try await f.reader("mod", roles: [.moderator])
            var ids: [Int64] = []
            for i in 0..<23 {
                let author = try await f.reader("author\(i)")
                let comment = try await f.submitted("Comment number \(i).", by: author)
                f.advance(seconds: 60)
                try await f.comments.moderate(commentID: comment.id, moderator: moderator, .approve)
                ids.append(comment.id)
            }
            let replier = try await f.reader("replier")
            let reply = try await f.comments.write(articleID: f.article.id, author: replier, body: "A reply.", parentID: ids[0])
            _ = try await f.comments.submit(commentID: reply.id, author: replier, selfRating: .civil)
            try await f.comments.moderate(commentID: reply.id, moderator: moderator, .approve)
            let fan = try await f.reader("fan")
            #expect(try await f.comments.recommend(commentID: ids[5], user: fan) == 1)
            #expect(try await f.comments.recommend(commentID: ids[5], user: fan) == 1, "recommending twice counts once")
            try await f.comments.moderate(commentID: ids[7], moderator: moderator, .feature(true))

            let oldest = try await f.comments.thread(articleID: f.article.id, sort: .oldest)
            #expect(oldest.total == 24)
            #expect(oldest.comments.count == 20)
            #expect(oldest.hasMore)
            #expect(oldest.comments.first?.comment.id == ids[0])
            #expect(oldest.comments.first?.replies.map(\.id) == [reply.id])
            let page2 = try await f.comments.thread(articleID: f.article.id, sort: .oldest, page: 2)
            #expect(page2.comments.map(\.comment.id) == Array(ids[20...]))
            #expect(!page2.hasMore)
            #expect(try await f.comments.thread(articleID: f.article.id, sort: .newest).comments.first?.comment.id == ids[22])
            let best = try await f.comments.thread(articleID: f.article.id, sort: .best)
            #expect(best.comments.first?.comment.id == ids[7], "editor's picks lead the best sort")
            #expect(try await f.comments.counts(articleIDs: [f.article.id]) == [f.article.id: 24])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func deletingAnAccountLeavesCommentsAnonymous(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            let moderator = try await f.reader("mod", roles: [.moderator])
            let author = try await f.reader("leaver")
            let comment = try await f.submitted("Something worth keeping.", by: author)
            try await f.comments.moderate(commentID: comment.id, moderator: moderator, .approve)
            try await AccountData.delete(userID: author.id, in: test.database)
            let kept = try #require(try await f.comments.thread(articleID: f.article.id, sort: .oldest).comments.first?.comment)
            #expect(kept.id == comment.id)
            #expect(kept.authorName == "Former reader")
            #expect(kept.body == "Something worth keeping.")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func batchRefitLearnsFromSettledComments(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            #expect(try await f.comments.refit() == 0, "nothing settled, nothing to learn")
            let moderator = try await f.reader("mod", roles: [.moderator])
            let reviewers = [try await f.reader("r1"), try await f.reader("r2"), try await f.reader("r3")]
            for i in 0..<6 {
                let comment = try await f.submitted("Comment \(i) for the batch.", by: try await f.reader("w\(i)"))
                let uncivil = i == 5
                for reviewer in reviewers { try await f.review(comment.id, by: reviewer, uncivil ? .uncivil : .civil) }
                if try await f.status(comment.id) != .published {
                    try await f.comments.moderate(commentID: comment.id, moderator: moderator, uncivil ? .rejectUncivil(reason: "insult") : .approve)
                }
            }
            #expect(try await f.comments.refit() == 6)
            let model = try #require(try await f.site.settings.get("review_engine_model"))
            let decoded = try JSONDecoder().decode(ModelState.self, from: Data(model.utf8))
            #expect(decoded.refittedOn == 6)
            #expect(try await f.comments.engine().model.refittedOn == 6, "later decisions use the refitted model")
            let records = try await test.database.read { db in try await CommentRows.reviewerRecords(reviewers.map(\.id), on: db) }
            #expect(records.allSatisfy { $0.outcomes.total > 5 }, "every reviewer was judged on the batch")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func demoCommentsMakeATwentyCommentThread(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            #expect(try await DemoComments.load(into: test.database, articleSlug: f.article.slug) == 22)
            #expect(try await DemoComments.load(into: test.database, articleSlug: f.article.slug) == 0, "loading twice adds nothing")
            let thread = try await f.comments.thread(articleID: f.article.id, sort: .best)
            #expect(thread.total == 20)
            #expect(thread.comments.first?.comment.isPick == true)
            #expect(thread.comments.flatMap(\.replies).count == 2)
            // A new reader has something to review.
            let visitor = try await f.reader("visitor")
            let draft = try await f.comments.write(articleID: f.article.id, author: visitor, body: "Hello from the demo.")
            #expect(try await f.comments.currentTask(reviewer: visitor, forComment: draft.id) != nil)
        }
    }

    @Test func liveEventsReachListenersOfThatArticleOnly() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            let f = try await CommentFixture.make(test)
            let moderator = try await f.reader("mod", roles: [.moderator])
            let stream = f.events.listen(slug: f.article.slug)
            let other = f.events.listen(slug: "some-other-article")
            let comment = try await f.submitted("Live!", by: try await f.reader("a"))
            try await f.comments.moderate(commentID: comment.id, moderator: moderator, .approve)
            var iterator = stream.makeAsyncIterator()
            let event = await iterator.next()
            #expect(event == CommentEvents.Event(commentID: comment.id, status: .published, slug: f.article.slug))
            _ = other
            #expect(f.events.count == 2)
        }
    }

    @Test func liveEventsTravelAsOneJSONDataLine() throws {
        let event = CommentEvents.Event(commentID: 42, status: .withheld, slug: "harbour-vote")
        #expect(event.serverSentEvent == "event: comment\ndata: {\"id\":42,\"slug\":\"harbour-vote\",\"status\":\"withheld\"}\n\n")
        let data = try #require(event.serverSentEvent.split(separator: "\n").first { $0.hasPrefix("data: ") })
        #expect(try JSONDecoder().decode(CommentEvents.Event.self, from: Data(data.dropFirst(6).utf8)) == event)
    }

    @Test(arguments: TestDatabases.kinds)
    func whenManyCommentsWaitWritersAreOfferedAnOptionalExtraReview(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            try await CommentRouteTests.seedPending(12, on: f.test, article: f.article)
            let a = try await f.reader("a")
            let draft = try await f.comments.write(articleID: f.article.id, author: a, body: "A view on the harbour.")
            #expect(draft.reviewsRequired == 3)
            #expect(draft.reviewsOptional == 1, "12 waiting: one optional review")
            #expect(try await f.comments.optionalReviewsLeft(reviewer: a, forComment: draft.id) == (0, 0), "not before the required ones")
            for _ in 1...3 {
                let task = try #require(try await f.comments.currentTask(reviewer: a, forComment: draft.id))
                #expect(!task.isOptional)
                try await f.comments.review(taskID: task.id, reviewer: a, .init(civility: .civil, quality: .good))
            }
            #expect(try await f.comments.currentTask(reviewer: a, forComment: draft.id) == nil, "the required reviews are done")
            let offered = try await f.comments.optionalReviewsLeft(reviewer: a, forComment: draft.id)
            #expect(offered.left == 1)
            #expect(offered.waiting >= 9)
            let extra = try #require(try await f.comments.currentTask(reviewer: a, forComment: draft.id, extra: true))
            #expect(extra.isOptional)
            #expect(extra.position == 4)
            // An optional task left open does not hold the comment back…
            #expect(try await f.comments.currentTask(reviewer: a, forComment: draft.id) == nil)
            // …and asking again returns the same one rather than a second.
            #expect(try await f.comments.currentTask(reviewer: a, forComment: draft.id, extra: true)?.id == extra.id)
            try await f.comments.review(taskID: extra.id, reviewer: a, .init(civility: .civil, quality: .somewhat))
            #expect(try await f.comments.optionalReviewsLeft(reviewer: a, forComment: draft.id) == (0, 0))
            #expect(try await f.comments.currentTask(reviewer: a, forComment: draft.id, extra: true) == nil, "only what was offered")
            let submitted = try await f.comments.submit(commentID: draft.id, author: a, selfRating: .civil)
            #expect(submitted.status == .pending)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aQuietQueueAsksForTheRequiredReviewsOnly(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            try await CommentRouteTests.seedPending(4, on: f.test, article: f.article)
            let a = try await f.reader("a")
            let draft = try await f.comments.write(articleID: f.article.id, author: a, body: "A view on the harbour.")
            #expect(draft.reviewsOptional == 0)
            while let task = try await f.comments.currentTask(reviewer: a, forComment: draft.id) {
                try await f.comments.review(taskID: task.id, reviewer: a, .init(civility: .civil, quality: .good))
            }
            #expect(try await f.comments.optionalReviewsLeft(reviewer: a, forComment: draft.id) == (0, 0))
            #expect(try await f.comments.currentTask(reviewer: a, forComment: draft.id, extra: true) == nil)
        }
    }
}
