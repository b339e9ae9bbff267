import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceLifecycle
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    /// A shutdown that arrives while a request is being served lets that request finish, then the server stops.
    @Test func inFlightRequestsFinish() async throws {
        try await TestDatabases.withDatabase(.sqlite) { test in
            var configuration = LiveServer.configuration(for: test)
            configuration.port = try QuorumProcess.freePort()
            let app = try buildApplication(configuration: configuration, database: test.database, logger: TestDatabases.logger) { router in
                router.get("slow") { _, _ -> String in
                    try await Task.sleep(for: .milliseconds(1500))
                    return "finished"
                }
            }
            let group = ServiceGroup(configuration: .init(services: [app], logger: TestDatabases.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await QuorumProcess.waitUntilServing("http://127.0.0.1:\(configuration.port)/healthz", timeout: 20)
                let client = TestClient(host: "127.0.0.1", port: configuration.port, configuration: .init(timeout: .seconds(10)))
                client.connect()
                async let response = client.get("/slow")
                try await Task.sleep(for: .milliseconds(300))
                await group.triggerGracefulShutdown()
                let finished = try await response
                #expect(finished.status == .ok)
                #expect(finished.body.map { String(buffer: $0) } == "finished")
                try await client.shutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
