import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import Accounts
@testable import Comments
@testable import Membership
import MembershipEngine
@testable import QuorumStore
@testable import QuorumWeb

/// The member role follows the state machine through every transition, and the "members only" comment setting
/// reads it: a member comments, a lapsed member cannot. On both databases.
@Suite struct MembershipPerksTests {
    @Test(arguments: TestDatabases.kinds)
    func theMemberRoleFollowsEveryTransitionAndGatesMembersOnlyComments(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { test in
            let f = try await CommentFixture.make(test)
            try await f.site.settings.set("comments_who", "members")
            let clock = NIOLockedValueBox(Date())
            let service = MembershipService(database: test.database, providers: [], roles: UserRoleGrants(),
                                            logger: TestDatabases.logger, now: { clock.withLockedValue { $0 } })
            func advance(days: Double) { clock.withLockedValue { $0 = $0.addingTimeInterval(days * 86400) } }
            var n = 0
            func event(_ id: String, _ kind: MembershipEvent.Kind) async throws {
                n += 1
                _ = try await service.apply(MembershipEvent(id: "stripe:evt_perks_\(n)", provider: "stripe", occurredAt: clock.withLockedValue { $0 },
                                                            reference: Reference(membershipID: id), kind: kind), raw: nil, userID: nil)
            }
            let reader = try await f.reader("thandeka")
            func isMember() async throws -> Bool { try #require(try await f.site.users.find(id: reader.id)).roles.contains(.member) }
            func comment(_ text: String) async throws {
                _ = try await f.comments.write(articleID: f.article.id, author: try #require(try await f.site.users.find(id: reader.id)), body: text)
            }
            let zar = { (units: Int64) in Money(units: units, .zar) }
            let month: TimeInterval = 31 * 86400

            // Pending: no role, no comment.
            let id = try await service.open(userID: reader.id, provider: "stripe", pledge: Pledge(amount: zar(200), interval: .month))
            #expect(!(try await isMember()))
            await #expect(throws: CommentError.membersOnly) { try await comment("before paying") }

            // Pending → active: a member, who may comment on a members-only site.
            try await event(id, .paymentSucceeded(.init(amount: zar(200), periodEnd: clock.withLockedValue { $0 }.addingTimeInterval(month))))
            #expect(try await isMember())
            try await comment("Glad to support this.")

            // Active → on hold (access during grace, the site's default) → active again.
            advance(days: 31)
            try await event(id, .paymentFailed(.init(amount: zar(200), periodEnd: clock.withLockedValue { $0 }.addingTimeInterval(month))))
            #expect(service.engine.status(of: try #require(try await service.membership(id)), at: clock.withLockedValue { $0 }).status == .onHold)
            #expect(try await isMember())
            try await event(id, .paymentSucceeded(.init(amount: zar(200), periodEnd: clock.withLockedValue { $0 }.addingTimeInterval(month))))
            #expect(try await isMember())

            // Active → on hold → lapsed when the grace period runs out (the upkeep pass moves the role).
            advance(days: 31)
            try await event(id, .paymentFailed(.init(amount: zar(200), periodEnd: clock.withLockedValue { $0 }.addingTimeInterval(month))))
            advance(days: 15)
            #expect(try await service.upkeep(rawPayloadRetention: 90 * 86400) == 1)
            #expect(service.engine.status(of: try #require(try await service.membership(id)), at: clock.withLockedValue { $0 }).status == .lapsed)
            #expect(!(try await isMember()))
            await #expect(throws: CommentError.membersOnly) { try await comment("lapsed") }

            // Lapsed → active: a payment after all.
            try await event(id, .paymentSucceeded(.init(amount: zar(200), periodEnd: clock.withLockedValue { $0 }.addingTimeInterval(month))))
            #expect(try await isMember())

            // Active → paused (no access) → active on resume.
            try await event(id, .pauseRequested(until: clock.withLockedValue { $0 }.addingTimeInterval(60 * 86400)))
            #expect(!(try await isMember()))
            try await event(id, .resumeRequested)
            #expect(try await isMember())

            // Honorary: granted over a lapsed membership, until a date; the role ends with it.
            try await event(id, .honoraryGranted(until: clock.withLockedValue { $0 }.addingTimeInterval(90 * 86400)))
            advance(days: 60)
            _ = try await service.upkeep(rawPayloadRetention: 90 * 86400)
            #expect(service.engine.status(of: try #require(try await service.membership(id)), at: clock.withLockedValue { $0 }).status == .honorary)
            #expect(try await isMember(), "honorary while the paid period is long over")
            advance(days: 31)
            _ = try await service.upkeep(rawPayloadRetention: 90 * 86400)
            #expect(!(try await isMember()), "the grant ended and nothing is paid")

            // Active → cancelled (access to the period end) → expired.
            try await event(id, .paymentSucceeded(.init(amount: zar(200), periodEnd: clock.withLockedValue { $0 }.addingTimeInterval(month))))
            try await event(id, .cancelRequested)
            #expect(service.engine.status(of: try #require(try await service.membership(id)), at: clock.withLockedValue { $0 }).status == .cancelled)
            #expect(try await isMember())
            try await comment("Still here until the end of the month.")
            advance(days: 32)
            #expect(try await service.upkeep(rawPayloadRetention: 90 * 86400) == 1)
            #expect(service.engine.status(of: try #require(try await service.membership(id)), at: clock.withLockedValue { $0 }).status == .expired)
            #expect(!(try await isMember()))
            await #expect(throws: CommentError.membersOnly) { try await comment("after it ended") }

            // A moderator's role is untouched by membership.
            let moderator = try await f.reader("moderator", roles: [.moderator])
            _ = try await f.comments.write(articleID: f.article.id, author: moderator, body: "Moderators may always comment.")
        }
    }
}
