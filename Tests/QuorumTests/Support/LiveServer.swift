import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Payments
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// Runs the real application on a loopback port with a fresh database and hands the test an HTTP client.
enum LiveServer {
    static func configuration(for test: TestDatabase, themeDirectory: String? = nil) -> QuorumConfiguration {
        var configuration = QuorumConfiguration(database: test.location, host: "127.0.0.1", port: 0)
        configuration.themeDirectory = themeDirectory
        configuration.dataDirectory = TestDatabases.folder + "/" + TestDatabases.uniqueName("data")
        configuration.logLevel = .warning
        return configuration
    }

    static func run<R: Sendable>(
        _ kind: DatabaseKind,
        adjust: (inout QuorumConfiguration) -> Void = { _ in },
        clock: SiteClock = .system,
        payments: [any PaymentProvider]? = nil,
        configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, TestDatabase) async throws -> R
    ) async throws -> R {
        try await TestDatabases.withDatabase(kind) { test in
            var configuration = configuration(for: test)
            adjust(&configuration)
            let app = try buildApplication(
                configuration: configuration, database: test.database, logger: TestDatabases.logger, clock: clock,
                payments: payments, configureRouter: configureRouter
            )
            return try await app.test(.live) { client in try await body(client, test) }
        }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
    }
}
