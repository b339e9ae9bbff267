import ArgumentParser

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage admin API tokens.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an admin API token for a user; it is printed once and only its hash is stored."
        )

        @OptionGroup var site: SiteOptions

        @Option(help: "Email of the user the token acts as (an editor or admin).")
        var email: String

        @Option(help: "A name to recognise the token by, e.g. the script that uses it.")
        var name: String = "api"

        func run() async throws {
            let configuration = try site.configuration()
            let created = try await Store.using(configuration, migrate: true) { database in
                try await APITokenStore(database: database, users: UserStore(database: database)).create(email: email, name: name)
            }
            if !(created.user.has(.editor) || created.user.has(.admin)) {
                print("note: \(created.user.email) is not an editor; the admin API will refuse this token until they are")
            }
            print("created token \(created.id) for \(created.user.email); it is shown only now:")
            print(created.token)
        }
    }
}
