import ArgumentParser
import Foundation

import Comments
import Publishing
import QuorumApp
import QuorumStore
import QuorumWeb

struct ImportCommentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-comments",
        abstract: "Import comments from a Disqus export or a WordPress export (WXR); running it again adds nothing."
    )

    @OptionGroup var site: SiteOptions

    @Argument(help: "disqus or wordpress")
    var format: String

    @Argument(help: "The export file (XML).")
    var file: String

    @Option(help: ArgumentHelp("Posts written per transaction.", visibility: .hidden))
    var batchSize: Int?

    func run() async throws {
        guard let format = CommentExportFormat(rawValue: format.lowercased()) else {
            throw ValidationError("the format must be disqus or wordpress, not '\(format)'")
        }
        guard FileManager.default.isReadableFile(atPath: file) else { throw ConfigurationError("cannot read \(file)") }
        let configuration = try site.configuration()
        let totalLines = try Self.countLines(file)
        let started = Date()
        let position = Position()
        let file = self.file
        let batchSize = self.batchSize
        do {
            let counts = try await Store.using(configuration, migrate: true) { database in
                var importer = try await CommentImporter(database: database, source: format.rawValue, pages: ExternalArticles())
                if let batchSize, batchSize > 0 { importer.batchSize = batchSize }
                let batches = CommentExportReader.batches(format: format, file: file, batchSize: importer.batchSize) { position.set($0) }
                return try await importer.write(batches, file: file) { counts in
                    Self.progress(counts, line: position.get(), of: totalLines, since: started)
                }
            }
            Self.progress(counts, line: totalLines, of: totalLines, since: started)
            FileHandle.standardError.write(Data("\n".utf8))
            print("imported \(counts.imported) comment(s) into \(counts.threads) new thread(s) with \(counts.authors) new author(s); "
                  + "\(counts.alreadyImported) already imported, \(counts.skipped) skipped (deleted, spam, unapproved or empty)")
        } catch let failure as CommentImportFailure {
            FileHandle.standardError.write(Data("\n".utf8))
            throw ConfigurationError("\(failure.description) (what was read before this line is imported; fix the file and run again)")
        }
    }

    final class Position: @unchecked Sendable {
        private let lock = NSLock()
        private var line = 0
        func set(_ value: Int) { lock.lock(); line = value; lock.unlock() }
        func get() -> Int { lock.lock(); defer { lock.unlock() }; return line }
    }

    /// One line on stderr, rewritten in place: counts, how far through the file, and the time left at this pace.
    static func progress(_ counts: CommentImportCounts, line: Int, of total: Int, since started: Date) {
        let fraction = total > 0 ? min(1, Double(line) / Double(total)) : 1
        let elapsed = Date().timeIntervalSince(started)
        let left = fraction > 0 ? elapsed / fraction - elapsed : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "\r[\(bar)] \(Int(fraction * 100))% line \(line)/\(total): \(counts.imported) imported, \(counts.alreadyImported) already, "
            + "\(counts.skipped) skipped, \(Int(left.rounded()))s left "
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The file's line count, read in 1 MiB pieces (for the progress bar's total).
    static func countLines(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ConfigurationError("cannot read \(path)") }
        defer { try? handle.close() }
        var lines = 1
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            lines += chunk.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        }
        return lines
    }
}
