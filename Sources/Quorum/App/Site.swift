import Logging

/// What routes and background services share: configuration, the store, the theme.
/// Built once per instance; every part is safe to use from any request.
public struct Site: Sendable {
    public let configuration: QuorumConfiguration
    public let database: Database
    public let pages: PageRenderer
    public let logger: Logger

    public init(configuration: QuorumConfiguration, database: Database, theme: Theme, logger: Logger) {
        self.configuration = configuration
        self.database = database
        self.pages = PageRenderer(theme: theme, configuration: configuration)
        self.logger = logger
    }

    public var theme: Theme { pages.theme }
}
