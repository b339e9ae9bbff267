import Foundation

/// The demo newsroom that `quorum demo` loads on first start. Loading again is a no-op.
public enum DemoContent {
    public static let adminEmail = "admin@demo.quorum.test"

    /// Loads what is missing and says what it did.
    public static func load(into database: Database, configuration: QuorumConfiguration) async throws -> String {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let users = UserStore(database: database)
        if try await users.find(email: adminEmail) == nil {
            _ = try await users.create(email: adminEmail, displayName: "Demo Admin", roles: [.admin, .editor, .moderator])
            return "created the demo admin \(adminEmail)"
        }
        return "already loaded"
    }
}
