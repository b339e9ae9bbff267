import ArgumentParser
import Quorum

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
            let database = try await Database.open(configuration.database, options: configuration.databaseOptions, logger: Logs.make(level: .warning))
            do {
                try await Migrator(database: database).migrate()
                let user = try await UserStore(database: database).create(email: email, displayName: name, roles: Set(role))
                print("created user \(user.id) \(user.email) with roles \(user.roles.sorted().map(\.rawValue).joined(separator: ", "))")
            } catch {
                await database.close()
                throw error
            }
            await database.close()
        }
    }
}

extension Role: ExpressibleByArgument {}
