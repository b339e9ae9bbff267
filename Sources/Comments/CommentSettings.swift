import Foundation
import QuorumStore
import ReviewEngine

/// The comment feature's stored settings rows, decoded in one place. A row that does not decode is reported as
/// a ``SettingsProblem`` and its defaults stand in, so a bad row never turns comment actions into errors.
enum CommentSettingsRows {
    static let engineSettings = "review_engine_settings"
    static let engineModel = "review_engine_model"
    static let preScreen = "prescreen_settings"
    static let adminPage = "/admin/comments"

    /// The stored value of `key` decoded as `T`, nil when there is none, or the problem when it cannot be read.
    static func decode<T: Decodable>(_ type: T.Type, _ json: String?, key: String) -> Result<T?, SettingsProblem> {
        guard let json else { return .success(nil) }
        do {
            return .success(try JSONDecoder().decode(T.self, from: Data(json.utf8)))
        } catch {
            return .failure(SettingsProblem(key: key, problem: describe(error), fixAt: adminPage))
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "the field '\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? "it is not valid JSON of the right shape" : "the field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is wrong"
        default: "it is not valid JSON"
        }
    }

    /// Every comment settings row that cannot be read.
    static func problems(in settings: SettingsStore) async throws -> [SettingsProblem] {
        var problems: [SettingsProblem] = []
        if case .failure(let p) = decode(ReviewEngine.Settings.self, try await settings.get(engineSettings), key: engineSettings) { problems.append(p) }
        if case .failure(let p) = decode(ModelState.self, try await settings.get(engineModel), key: engineModel) { problems.append(p) }
        if case .failure(let p) = decode(PreScreenSettings.self, try await settings.get(preScreen), key: preScreen) { problems.append(p) }
        return problems
    }
}

extension CommentService {
    /// The comment settings rows that cannot be read (reported at start-up and on the comment settings page).
    public static func settingsProblems(in settings: SettingsStore) async throws -> [SettingsProblem] {
        try await CommentSettingsRows.problems(in: settings)
    }
}
