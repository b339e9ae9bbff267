import Foundation
import NIOConcurrencyHelpers
import QuorumStore
import QuorumWeb

/// Which sites may show threads (their origins), and which query parameters name a page on them. Stored as one
/// settings row (`embed_settings`), edited at `/admin/embedding`.
public struct EmbedSettings: Sendable, Codable, Equatable {
    /// Origins (`https://news.example`) whose pages may embed threads, ask for counts and sign readers in.
    public var origins: [String] = []
    /// Query parameters kept when addresses are normalised (e.g. `p` for WordPress' `?p=123` links).
    public var keepQuery: [String] = []
    /// How host sites sign their readers in (none: readers sign in by emailed code inside the frame).
    public var sso: SingleSignOnSettings?

    public init(origins: [String] = [], keepQuery: [String] = [], sso: SingleSignOnSettings? = nil) {
        self.origins = origins
        self.keepQuery = keepQuery
        self.sso = sso
    }

    static let key = "embed_settings"

    public func allows(origin: String?) -> Bool {
        guard let origin, let normal = PageAddress.origin(origin) else { return false }
        return origins.contains(normal)
    }

    /// The page at `text` in canonical form; a 400 naming the problem when it is no address.
    public func address(_ text: String) throws -> PageAddress {
        do { return try PageAddress(text, keepQuery: Set(keepQuery)) } catch {
            throw CommentError.refused("invalid_url", "The page address \(error.description).")
        }
    }
}

/// The embed settings as this instance last read them, for at most a few seconds (the counts API and every embed
/// page read them; an admin's change reaches every instance within that time).
final class EmbedSettingsCache: Sendable {
    let settings: SettingsStore
    let lifetime: Double
    private let kept = NIOLockedValueBox<(EmbedSettings, Date)?>(nil)

    init(settings: SettingsStore, lifetime: Double = 5) {
        self.settings = settings
        self.lifetime = lifetime
    }

    func current() async throws -> EmbedSettings {
        if let (value, at) = kept.withLockedValue({ $0 }), Date().timeIntervalSince(at) < lifetime { return value }
        let value = try await settings.get(EmbedSettings.key).flatMap { try? JSONDecoder().decode(EmbedSettings.self, from: Data($0.utf8)) }
            ?? EmbedSettings()
        kept.withLockedValue { $0 = (value, Date()) }
        return value
    }

    func changed() { kept.withLockedValue { $0 = nil } }
}
