import Foundation

import SQLKit

/// Consistent copies of a live site.
public enum Backup {
    /// Writes a consistent copy of a SQLite database to `file` while the site keeps serving.
    ///
    /// `VACUUM INTO` reads the database inside one read transaction (WAL lets writers go on meanwhile) and writes
    /// a compact, self-contained file: the copy is the database as of one moment. PostgreSQL sites are backed
    /// up with `pg_dump`, which does the same for a server; the error says how.
    @discardableResult
    public static func copy(_ database: Database, to file: String) async throws -> Int {
        switch database.location {
        case .postgres(let p):
            throw ConfigurationError(
                "PostgreSQL sites are backed up with pg_dump, which takes a consistent snapshot while the site serves: pg_dump --format=custom --file=\(file) --host=\(p.host) --port=\(p.port) --username=\(p.username) \(p.database) (restore with pg_restore)"
            )
        case .sqlite:
            let manager = FileManager.default
            guard !manager.fileExists(atPath: file) else {
                throw ConfigurationError("backup file \(file) already exists; choose a new name")
            }
            let folder = (file as NSString).deletingLastPathComponent
            guard folder.isEmpty || manager.isWritableFile(atPath: folder) else {
                throw ConfigurationError("cannot write backup to \(file): folder \(folder) is missing or not writable")
            }
            try await database.read { db in
                try await db.raw("VACUUM INTO \(bind: file)").run()
            }
            let size = (try? manager.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            return size
        }
    }
}
