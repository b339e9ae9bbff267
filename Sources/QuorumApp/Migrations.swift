import Accounts
import Comments
import Membership
import Publishing
import Readership
import Shop
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

extension Migrations {
    /// Every migration Quorum ships, in order, from every target. Add new ones at the end with the next number,
    /// in the target of the feature whose tables they change; never edit a shipped one.
    public static let all: [Migration] = [
        foundation001,
        publishing002,
        accounts003,
        comments004,
        optionalReviews005,
        threadIndexes006,
        topLevelIndexes007,
        replyIndex008,
        membership009,
        readership010,
        shop011,
        embedPages015,
        externalIdentities016,
        commentImports017,
        commentImportLinks018,
    ]
}

extension Migrator {
    /// A migrator for every migration the site ships.
    public init(database: Database) {
        self.init(database: database, migrations: Migrations.all)
    }
}
