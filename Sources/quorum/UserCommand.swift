import ArgumentParser

import Accounts
import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users from the command line.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user with one or more roles.")

        @OptionGroup var site: SiteOptions

        @Option(help: "The user's email address (they sign in with it).")
        var email: String

        @Option(help: "A role to grant: reader, member, moderator, editor or admin. Repeat for several.")
        var role: [Role] = [.reader]

        @Option(help: "Display name (defaults to the part of the email before @).")
        var name: String = ""

        func run() async throws {
            let configuration = try site.configuration()
            let user = try await Store.using(configuration, migrate: true) { database in
                try await UserStore(database: database).create(email: email, displayName: name, roles: Set(role))
            }
            print("created user \(user.id) \(user.email) with roles \(user.roles.sorted().map(\.rawValue).joined(separator: ", "))")
        }
    }
}

extension Role: ExpressibleByArgument {}
