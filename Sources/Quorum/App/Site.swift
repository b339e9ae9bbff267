import Logging

/// What routes and background services share: configuration, the store, the theme, accounts and mail.
/// Built once per instance; every part is safe to use from any request.
public struct Site: Sendable {
    public let configuration: QuorumConfiguration
    public let database: Database
    public let pages: PageRenderer
    public let logger: Logger
    public let users: UserStore
    public let sessions: SessionStore
    public let signIn: SignInService
    public let settings: SettingsStore
    public let limiter: RateLimiter
    /// Wakes mail delivery after a transaction that queued mail commits.
    public let mail: MailSignal

    public init(configuration: QuorumConfiguration, database: Database, theme: Theme, logger: Logger, mail: MailSignal = MailSignal()) {
        self.configuration = configuration
        self.database = database
        self.pages = PageRenderer(theme: theme, configuration: configuration)
        self.logger = logger
        self.users = UserStore(database: database)
        self.sessions = SessionStore(database: database)
        self.signIn = SignInService(database: database, configuration: configuration)
        self.settings = SettingsStore(database: database)
        self.limiter = RateLimiter(database: database)
        self.mail = mail
    }

    public var theme: Theme { pages.theme }

    /// Cookies are marked Secure when the site is served over https.
    public var secureCookies: Bool { configuration.siteURL.lowercased().hasPrefix("https://") }
}
