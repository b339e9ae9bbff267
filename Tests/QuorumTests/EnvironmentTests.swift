import Foundation
import Testing

@Suite("Test environment")
struct EnvironmentTests {
    /// scripts/test sets QUORUM_REQUIRE_POSTGRES: there, a missing PostgreSQL is a failure, not a silent skip.
    @Test func postgresIsPresentWhenRequired() {
        if ProcessInfo.processInfo.environment["QUORUM_REQUIRE_POSTGRES"] == "1" {
            #expect(TestDatabases.postgresURL != nil, "QUORUM_TEST_POSTGRES_URL must be set when PostgreSQL is required")
            #expect(TestDatabases.kinds.contains(.postgres))
        }
    }
}
