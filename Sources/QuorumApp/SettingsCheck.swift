import Comments
import QuorumStore

/// Every stored setting of every feature that cannot be read. `quorum serve` logs each at start-up (the site
/// still starts, with that setting's defaults); each feature's admin page shows its own.
public func settingsProblems(database: Database) async throws -> [SettingsProblem] {
    let settings = SettingsStore(database: database)
    return try await CommentService.settingsProblems(in: settings)
}
