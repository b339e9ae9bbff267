import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// A small newsroom for publishing tests: two sections, two authors, and helpers to publish and to call the admin API.
enum Fixtures {
    static func newsroom(_ database: Database) async throws -> ArticleStore {
        let store = ArticleStore(database: database)
        try await store.createSection(slug: "world", name: "World", description: "News from everywhere", position: 0)
        try await store.createSection(slug: "science", name: "Science", position: 1)
        try await store.createAuthor(slug: "ana-ruiz", name: "Ana Ruiz", bio: "Correspondent")
        try await store.createAuthor(slug: "ben-okafor", name: "Ben Okafor")
        return store
    }

    static func input(_ slug: String, headline: String? = nil, body: String = "Body text.", section: String = "world", tags: [String] = ["Oceans"]) -> ArticleInput {
        ArticleInput(
            slug: slug, headline: headline ?? "Headline of \(slug)", standfirst: "Standfirst of \(slug)", body: body,
            hero: HeroImage(url: "/images/0123456789abcdef.png", alt: "A harbour at dawn", caption: "Boats in the harbour.", credit: "Photo: Harbour Wire / Ana Ruiz"),
            wireCredit: "Reporting by Ana Ruiz; Editing by Ben Okafor", section: section, authors: ["ana-ruiz", "ben-okafor"], tags: tags
        )
    }

    @discardableResult
    static func published(_ store: ArticleStore, _ input: ArticleInput, at: Timestamp = .now) async throws -> Article {
        let draft = try await store.create(input, now: at)
        return try await store.publish(id: draft.id, now: at)
    }

    /// An API token for a new user with `roles`.
    static func token(_ database: Database, roles: Set<Role> = [.editor], email: String = "editor@example.com") async throws -> String {
        _ = try await UserStore(database: database).create(email: email, displayName: "Ed", roles: roles)
        return try await APITokenStore(database: database, users: UserStore(database: database)).create(email: email, name: "test").token
    }

    static func json(_ object: Any) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let value: NIOLockedValueBox<Timestamp>
    init(_ start: Timestamp = .now) { value = NIOLockedValueBox(start) }
    var now: Timestamp { value.withLockedValue { $0 } }
    func advance(seconds: Double) { value.withLockedValue { $0 = $0.adding(seconds: seconds) } }
    var siteClock: SiteClock { SiteClock { [self] in self.now } }
}

extension TestClientProtocol {
    func send(_ uri: String, _ method: HTTPRequest.Method = .get, token: String? = nil, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> TestResponse {
        var all = headers
        if let token { all[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: all, body: body)
    }
}
