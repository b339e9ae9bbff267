import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The formats `quorum import-comments` reads.
public enum CommentExportFormat: String, Sendable, CaseIterable {
    case disqus, wordpress
}

/// Streams an export file through `XMLParser` (SAX: the file is never held whole) on a thread of its own, and
/// hands comments over in batches: the parser waits while a batch is being written, so memory holds at most two
/// batches plus the writer's id maps, whatever the file's size.
public enum CommentExportReader {
    public static func batches(format: CommentExportFormat, file: String, batchSize: Int = 500,
                               position: @escaping @Sendable (Int) -> Void = { _ in }) -> ExportBatches {
        let (stream, continuation) = AsyncThrowingStream<[ImportedComment], any Error>.makeStream()
        let handed = DispatchSemaphore(value: 0)
        let cancelled = CancelFlag()
        continuation.onTermination = { _ in cancelled.set(); handed.signal() }
        let thread = Thread {
            guard let input = InputStream(fileAtPath: file), FileManager.default.isReadableFile(atPath: file) else {
                continuation.finish(throwing: CommentImportFailure(file: file, line: 0, message: "cannot read the file"))
                return
            }
            let parser = XMLParser(stream: input)
            let delegate: ExportDelegate = format == .disqus ? DisqusExport(file: file) : WordPressExport(file: file)
            delegate.parser = parser
            delegate.deliver = { batch in
                if cancelled.isSet { return false }
                continuation.yield(batch)
                handed.wait()
                return !cancelled.isSet
            }
            delegate.position = position
            delegate.batchSize = batchSize
            parser.delegate = delegate
            parser.shouldProcessNamespaces = false
            let ok = parser.parse()
            if cancelled.isSet { continuation.finish(); return }
            // What was read whole before a problem is written: a rerun of the fixed file adds only the rest.
            delegate.position(parser.lineNumber)
            if !delegate.pending.isEmpty, !delegate.deliver(delegate.pending) { continuation.finish(); return }
            delegate.pending = []
            if let failure = delegate.failure { continuation.finish(throwing: failure); return }
            if !ok {
                let message = parser.parserError.map { "the XML is not well-formed (libxml2 error \(($0 as NSError).code))" } ?? "the XML is not well-formed"
                continuation.finish(throwing: CommentImportFailure(file: file, line: parser.lineNumber, message: message))
                return
            }
            continuation.finish()
        }
        thread.stackSize = 4 << 20
        thread.start()
        return ExportBatches(stream: stream, handed: handed)
    }
}

/// The batches of one export: asking for the next one tells the parser the previous one is written.
public struct ExportBatches: AsyncSequence, Sendable {
    public typealias Element = [ImportedComment]
    let stream: AsyncThrowingStream<[ImportedComment], any Error>
    let handed: DispatchSemaphore

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: AsyncThrowingStream<[ImportedComment], any Error>.AsyncIterator
        let handed: DispatchSemaphore
        var started = false
        public mutating func next() async throws -> [ImportedComment]? {
            if started { handed.signal() }
            started = true
            return try await inner.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: stream.makeAsyncIterator(), handed: handed) }
}

final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// What both formats' parsers share: the text of the current element, batching, errors at a line.
class ExportDelegate: NSObject, XMLParserDelegate, @unchecked Sendable {
    let file: String
    weak var parser: XMLParser?
    var deliver: ([ImportedComment]) -> Bool = { _ in true }
    var position: @Sendable (Int) -> Void = { _ in }
    var batchSize = 500
    var pending: [ImportedComment] = []
    var failure: CommentImportFailure?
    var text = ""
    var line: Int { parser?.lineNumber ?? 0 }

    init(file: String) { self.file = file }

    func fail(_ message: String, line: Int? = nil) {
        guard failure == nil else { return }
        failure = CommentImportFailure(file: file, line: line ?? self.line, message: message)
        parser?.abortParsing()
    }

    func add(_ comment: ImportedComment) {
        guard failure == nil else { return }
        pending.append(comment)
        if pending.count >= batchSize {
            let batch = pending
            pending = []
            position(line)
            if !deliver(batch) { parser?.abortParsing() }
        }
    }

    // Declared here so the subclasses' versions are what the protocol calls (without the Objective-C runtime,
    // a subclass's own method would not be).
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {}
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {}
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    /// The first fault stops the import at its line: libxml2 would otherwise recover and go on past it.
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        let code = (parseError as NSError).code
        fail("the XML is not well-formed (" + (XMLParser.ErrorCode(rawValue: code).map { "\($0)" } ?? "libxml2 error \(code)") + ")")
    }
    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) { text += String(decoding: CDATABlock, as: UTF8.self) }

    /// The trimmed text gathered since the last call, and a fresh start.
    func take() -> String {
        defer { text = "" }
        // Trimmed natively (Foundation's trimming is slow on Linux): whitespace and newlines at both ends.
        guard let first = text.firstIndex(where: { !$0.isWhitespace }), let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        if first == text.startIndex && text.index(after: last) == text.endIndex { return text }
        return String(text[first...last])
    }

    /// Made once per file (making a formatter costs more than parsing a post): the parser's thread is the only user.
    let iso = ISO8601DateFormatter()
    lazy var wordpressDates: DateFormatter = {
        // WordPress: "2026-05-01 09:30:00" in UTC (comment_date_gmt).
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()

    func date(_ text: String) -> Date? {
        if let date = Self.fastDate(text) { return date }
        if let date = iso.date(from: text) { return date }
        return wordpressDates.date(from: text)
    }

    /// `2026-05-01T09:30:00Z` and `2026-05-01 09:30:00` (UTC), the forms the exports write, without a formatter
    /// (which costs more than parsing the rest of a post). Anything else is left to the formatters.
    static func fastDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20 ? (bytes[10] == UInt8(ascii: "T") && bytes[19] == UInt8(ascii: "Z")) : (bytes.count == 19 && bytes[10] == UInt8(ascii: " ")),
              bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for byte in bytes[from..<from + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        let monthLengths = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= monthLengths[month - 1] else { return nil }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return Date(timeIntervalSince1970: Double(days * 86400 + hour * 3600 + minute * 60 + second))
    }
}

/// A Disqus export: `<thread dsq:id>` elements (with `<link>`, `<title>`), then `<post dsq:id>` elements (with
/// `<message>`, `<createdAt>`, `<isDeleted>`, `<isSpam>`, `<author><name><email>`, `<thread dsq:id>`, optional
/// `<parent dsq:id>`). Only the threads' addresses and titles are kept while reading (an id map).
final class DisqusExport: ExportDelegate, @unchecked Sendable {
    var threads: [String: (link: String, title: String)] = [:]
    var threadID: String?
    var threadLink = ""
    var threadTitle = ""
    var post: ImportedComment?
    var postThread: String?
    var inAuthor = false
    var depth = 0
    var postDepth = 0
    var threadDepth = 0

    override func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        depth += 1
        text = ""
        let id = attributes["dsq:id"] ?? attributes["id"]
        switch name {
        case "thread" where post == nil && threadID == nil:
            guard let id else { return fail("a <thread> without dsq:id") }
            threadID = id; threadLink = ""; threadTitle = ""; threadDepth = depth
        case "thread" where post != nil:
            guard let id else { return fail("a post's <thread> without dsq:id") }
            postThread = id
        case "post" where post == nil:
            guard let id else { return fail("a <post> without dsq:id") }
            post = ImportedComment(sourceID: id, pageURL: "", pageTitle: "", parentSourceID: nil, authorName: "", authorEmail: "",
                                   createdAt: Date(timeIntervalSince1970: 0), html: "", skipped: false, line: line)
            postThread = nil; postDepth = depth
        case "parent" where post != nil: post?.parentSourceID = id
        case "author" where post != nil: inAuthor = true
        default: break
        }
    }

    override func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        defer { depth -= 1 }
        if let id = threadID, post == nil {
            switch name {
            case "link" where depth == threadDepth + 1: threadLink = take()
            case "title" where depth == threadDepth + 1: threadTitle = take()
            case "thread" where depth == threadDepth:
                threads[id] = (threadLink, threadTitle); threadID = nil
            default: break
            }
            return
        }
        guard var current = post else { return }
        switch name {
        case "message": current.html = take()
        case "createdAt":
            let value = take()
            guard let date = self.date(value) else { return fail("createdAt '\(value)' is not a date such as 2026-05-01T09:30:00Z") }
            current.createdAt = date
        case "isDeleted": if take() == "true" { current.skipped = true }
        case "isSpam": if take() == "true" { current.skipped = true }
        case "name" where inAuthor: current.authorName = take()
        case "email" where inAuthor: current.authorEmail = take()
        case "author": inAuthor = false
        case "post" where depth == postDepth:
            post = nil
            guard let threadID = postThread else { return fail("post \(current.sourceID) names no <thread dsq:id>", line: current.line) }
            guard let thread = threads[threadID] else {
                return fail("post \(current.sourceID) is in thread \(threadID), which the file does not list before it", line: current.line)
            }
            current.pageURL = thread.link
            current.pageTitle = thread.title
            if !current.skipped && thread.link.isEmpty { return fail("thread \(threadID) has no <link>", line: current.line) }
            add(current)
            return
        default: break
        }
        post = current
    }
}

/// A WordPress export (WXR 1.2): `<item>` with `<link>`, `<title>` and its `<wp:comment>` elements
/// (`<wp:comment_id>`, `<wp:comment_author>`, `<wp:comment_author_email>`, `<wp:comment_date_gmt>`,
/// `<wp:comment_content>`, `<wp:comment_approved>`: 1 is kept, 0, spam and trash are not; `<wp:comment_parent>`,
/// 0 for none). The item's comments are handed on as they are read.
final class WordPressExport: ExportDelegate, @unchecked Sendable {
    var inItem = false
    var link = ""
    var title = ""
    var comment: ImportedComment?

    override func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        text = ""
        switch name {
        case "item": inItem = true; link = ""; title = ""
        case "wp:comment" where inItem:
            comment = ImportedComment(sourceID: "", pageURL: link, pageTitle: title, parentSourceID: nil, authorName: "", authorEmail: "",
                                      createdAt: Date(timeIntervalSince1970: 0), html: "", skipped: false, line: line)
        default: break
        }
    }

    override func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard inItem else { return }
        guard var current = comment else {
            switch name {
            case "link": link = take()
            case "title": title = take()
            case "item": inItem = false
            default: break
            }
            return
        }
        switch name {
        case "wp:comment_id": current.sourceID = take()
        case "wp:comment_author": current.authorName = take()
        case "wp:comment_author_email": current.authorEmail = take()
        case "wp:comment_date_gmt":
            let value = take()
            guard let date = self.date(value) else { return fail("comment_date_gmt '\(value)' is not a date such as 2026-05-01 09:30:00") }
            current.createdAt = date
        case "wp:comment_content": current.html = take()
        case "wp:comment_approved": if take() != "1" { current.skipped = true }
        case "wp:comment_parent":
            let parent = take()
            current.parentSourceID = parent == "0" || parent.isEmpty ? nil : parent
        case "wp:comment_type":
            // Pingbacks and trackbacks are not readers' comments.
            let kind = take()
            if kind == "pingback" || kind == "trackback" { current.skipped = true }
        case "wp:comment":
            comment = nil
            guard !current.sourceID.isEmpty else { return fail("a <wp:comment> without <wp:comment_id>", line: current.line) }
            if !current.skipped && link.isEmpty { return fail("the item of comment \(current.sourceID) has no <link> before its comments", line: current.line) }
            add(current)
            return
        default: break
        }
        comment = current
    }
}
