import ArgumentParser
import Foundation

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create (or reuse) a demo site under ./quorum-demo/ on SQLite, load demo content and serve it."
    )

    @OptionGroup var site: SiteOptions

    @Option(help: "Folder for the demo site.")
    var folder: String = "./quorum-demo"

    func run() async throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("cannot create the demo folder \(folder): \(error.localizedDescription)")
        }
        var configuration = try site.configuration(defaults: [
            "QUORUM_DATABASE_URL": "sqlite://\(folder)/quorum.sqlite",
            "QUORUM_DATA_DIR": "\(folder)/data",
            "QUORUM_SITE_NAME": "The Daily Quorum",
        ])
        configuration.migrateOnStart = true
        let base = configuration.siteBase
        let demo = configuration
        try await Server.run(configuration, demoPayments: DemoPayments(configuration: configuration), afterMigrations: { database, logger in
            let summary = try await DemoContent.load(into: database, configuration: demo)
            logger.info("demo content: \(summary)")
        }, onReady: {
            print("""

            Quorum demo is running at \(base)/
              Sign in as the demo admin at \(base)/signin with \(DemoContent.adminEmail): with no SMTP
              server configured, the email with the sign-in code is written to \(demo.dataDirectory)/mail/.
              Membership is set up with a built-in test payment provider: join at \(base)/membership, pay on
              its test page; \(base)/membership/fix opens its card page, where a renewal can be made to fail.
              Stop with Ctrl-C.

            """)
        })
    }
}
