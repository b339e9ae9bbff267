import Logging
import QuorumBus
import QuorumMail

import QuorumStore

/// What routes and background services share: configuration, the store, the theme, settings, rate limits and
/// mail. Features keep their own services; Accounts adds its stores to `Site` as computed properties.
/// Built once per instance; every part is safe to use from any request.
public struct Site: Sendable {
    public let configuration: QuorumConfiguration
    public let database: Database
    public let pages: PageRenderer
    public let logger: Logger
    public let settings: SettingsStore
    public let limiter: RateLimiter
    /// Wakes mail delivery after a transaction that queued mail commits.
    public let mail: MailSignal

    public init(configuration: QuorumConfiguration, database: Database, theme: Theme, logger: Logger, mail: MailSignal = MailSignal()) {
        self.configuration = configuration
        self.database = database
        self.pages = PageRenderer(theme: theme, configuration: configuration)
        self.logger = logger
        self.settings = SettingsStore(database: database)
        self.limiter = RateLimiter(database: database)
        self.mail = mail
    }

    public var theme: Theme { pages.theme }

    /// Cookies are marked Secure when the site is served over https.
    public var secureCookies: Bool { configuration.siteURL.lowercased().hasPrefix("https://") }
}
