import Foundation
import Logging
import MembershipEngine
import Payments
import QuorumStore
import QuorumWeb
import ServiceLifecycle
import Synchronization

/// What a publisher says on the offer: the heading, the pitch, the button and the name on the provider's page.
/// Empty fields fall back to the defaults (`heading(site:)`, `buttonText(…)`), so an offer always reads right.
public struct MembershipWording: Sendable, Hashable, Codable {
    public static let defaultHeading = "Pay what you want, monthly or yearly"
    public static let defaultPitch = "Our journalism is free to read because members pay for it. Choose any amount; pause or cancel any time."
    public static let defaultButtonText = "Continue to payment"

    public var heading: String
    /// The pitch; a blank line starts a new paragraph.
    public var pitch: String
    /// Shown on the provider's checkout page and the member's statement ("The Daily Quorum membership").
    public var itemName: String
    /// The offer's pay button.
    public var buttonText: String

    public init(heading: String = MembershipWording.defaultHeading, pitch: String = MembershipWording.defaultPitch,
                itemName: String = "", buttonText: String = MembershipWording.defaultButtonText) {
        self.heading = heading
        self.pitch = pitch
        self.itemName = itemName
        self.buttonText = buttonText
    }

    enum CodingKeys: String, CodingKey { case heading, pitch, itemName, buttonText }

    /// Rows saved before a field existed read with that field's default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        heading = try c.decodeIfPresent(String.self, forKey: .heading) ?? Self.defaultHeading
        pitch = try c.decodeIfPresent(String.self, forKey: .pitch) ?? Self.defaultPitch
        itemName = try c.decodeIfPresent(String.self, forKey: .itemName) ?? ""
        buttonText = try c.decodeIfPresent(String.self, forKey: .buttonText) ?? Self.defaultButtonText
    }

    static func nonEmpty(_ s: String, _ fallback: String) -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? fallback : t
    }

    /// What the offer shows, each field trimmed or its default.
    public var shownHeading: String { Self.nonEmpty(heading, Self.defaultHeading) }
    public var shownButtonText: String { Self.nonEmpty(buttonText, Self.defaultButtonText) }
    /// The pitch's paragraphs (split on blank lines), or the default pitch.
    public var pitchParagraphs: [String] {
        Self.nonEmpty(pitch, Self.defaultPitch).replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }
    /// The name on the provider's page: the publisher's, else "<site> membership".
    public func shownItemName(siteName: String) -> String { Self.nonEmpty(itemName, "\(siteName) membership") }
}

/// The membership settings that are not provider secrets, stored as one row (`membership_settings`): the plan
/// (currency, minimum and default per interval, suggested amounts, one-off minimum), the wording, the on-hold
/// policy and how long providers' raw payloads are kept.
public struct MembershipPolicy: Sendable, Hashable, Codable {
    public var plan: Plan
    public var wording: MembershipWording
    public var graceDays: Int
    public var accessDuringGrace: Bool
    public var rawPayloadRetentionDays: Int

    public init(plan: Plan = .southAfricanDefault, wording: MembershipWording = MembershipWording(), graceDays: Int = 14,
                accessDuringGrace: Bool = true, rawPayloadRetentionDays: Int = 90) {
        self.plan = plan
        self.wording = wording
        self.graceDays = graceDays
        self.accessDuringGrace = accessDuringGrace
        self.rawPayloadRetentionDays = rawPayloadRetentionDays
    }

    public var engineSettings: MembershipEngine.Settings {
        MembershipEngine.Settings(graceDays: graceDays, accessDuringGrace: accessDuringGrace)
    }
}

/// The stored rows, decoded in one place. A row that cannot be read is a ``SettingsProblem`` and its defaults
/// stand in, so a bad row never stops webhooks.
enum MembershipSettingsRows {
    static let policy = "membership_settings"
    static let providers = "membership_providers"
    static let adminPage = "/admin/membership/settings"

    static func decode<T: Decodable>(_ type: T.Type, _ json: String?, key: String) -> Result<T?, SettingsProblem> {
        guard let json else { return .success(nil) }
        do {
            return .success(try JSONDecoder().decode(T.self, from: Data(json.utf8)))
        } catch {
            // The reason without the value: the row holds secrets.
            return .failure(SettingsProblem(key: key, problem: "it is not valid JSON of the right shape", fixAt: adminPage))
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// The membership settings a running site uses, read by the service and the pages through the same accessors as
/// before (`service.providers`, `service.engine`, `pages.plan`). It starts from the environment and the default
/// plan, is loaded from the site's settings at start and every 30 seconds (so every instance follows an admin's
/// change), and is replaced at once on the instance where the admin saved.
public final class MembershipConfiguration: Sendable {
    struct State: Sendable {
        var policy: MembershipPolicy
        var providerSettings: ProviderSettings
        var providers: [String: any PaymentProvider]
        var problems: [SettingsProblem] = []
    }

    let state: Mutex<State>
    /// Providers given by the program (tests): they win over the stored provider settings.
    let fixedProviders: [any PaymentProvider]?
    /// The environment's provider settings: the initial values until an admin saves.
    public let initialProviders: ProviderSettings

    public init(providers: [any PaymentProvider]? = nil, policy: MembershipPolicy = MembershipPolicy(),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        fixedProviders = providers
        initialProviders = ProviderSettings(environment: environment)
        let clients = providers ?? PaymentSettings.providers(initialProviders)
        state = Mutex(State(policy: policy, providerSettings: initialProviders, providers: Self.index(clients)))
    }

    static func index(_ providers: [any PaymentProvider]) -> [String: any PaymentProvider] {
        Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public var providers: [String: any PaymentProvider] { state.withLock { $0.providers } }
    public var policy: MembershipPolicy { state.withLock { $0.policy } }
    public var plan: Plan { policy.plan }
    public var engine: Engine { Engine(settings: policy.engineSettings) }
    public var providerSettings: ProviderSettings { state.withLock { $0.providerSettings } }
    public var problems: [SettingsProblem] { state.withLock { $0.problems } }

    /// Where new checkouts go: the provider chosen in the settings if it is configured, else the first by name.
    public var checkoutProvider: (any PaymentProvider)? {
        state.withLock { s in
            s.providerSettings.checkoutProvider.flatMap { s.providers[$0] }
                ?? s.providers.values.sorted { $0.name < $1.name }.first
        }
    }

    func use(policy: MembershipPolicy, providers settings: ProviderSettings, problems: [SettingsProblem] = []) {
        let clients = fixedProviders ?? PaymentSettings.providers(settings)
        state.withLock { s in
            s.policy = policy
            s.providerSettings = settings
            s.providers = Self.index(clients)
            s.problems = problems
        }
    }

    /// Reads the stored rows; a missing row keeps the initial values, a row that cannot be read keeps them too
    /// and is reported.
    @discardableResult
    public func load(from settings: SettingsStore) async throws -> [SettingsProblem] {
        var problems: [SettingsProblem] = []
        let rows = MembershipSettingsRows.self
        var policy = MembershipPolicy()
        switch rows.decode(MembershipPolicy.self, try await settings.get(rows.policy), key: rows.policy) {
        case .success(let stored?): policy = stored
        case .success(nil): break
        case .failure(let p): problems.append(p)
        }
        var providers = initialProviders
        switch rows.decode(ProviderSettings.self, try await settings.get(rows.providers), key: rows.providers) {
        case .success(let stored?): providers = stored
        case .success(nil): break
        case .failure(let p): problems.append(p)
        }
        use(policy: policy, providers: providers, problems: problems)
        return problems
    }
}

/// Loads the membership settings at start and every `interval` after (cheap: two rows).
public struct MembershipSettingsRefresh: Service {
    let configuration: MembershipConfiguration
    let settings: SettingsStore
    let interval: Duration
    let logger: Logger

    public init(configuration: MembershipConfiguration, settings: SettingsStore, interval: Duration = .seconds(30), logger: Logger) {
        self.configuration = configuration
        self.settings = settings
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var reported = Set<String>()
            while true {
                do {
                    for problem in try await configuration.load(from: settings) where reported.insert(problem.key).inserted {
                        logger.warning("\(problem.description)")
                    }
                } catch {
                    logger.error("membership settings could not be read", metadata: ["error": "\(String(describing: error))"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

extension MembershipService {
    /// A service whose providers and policy follow `configuration` (the site's settings).
    public init(database: Database, configuration: MembershipConfiguration, roles: (any RoleGrants)? = nil, siteURL: String = "",
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.configuration = configuration
        self.roles = roles
        self.siteURL = siteURL.hasSuffix("/") ? String(siteURL.dropLast()) : siteURL
        self.logger = logger
        self.now = now
    }
}
