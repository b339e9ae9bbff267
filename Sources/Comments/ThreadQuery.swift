import Foundation
import Hummingbird
import QuorumWeb

/// What a request asks of a thread, HTML and JSON alike: `sort` (oldest, newest, best), the cursor `after` (the
/// id of the last top-level comment of the previous page, as the `next` link gives it), or `page` for the first
/// few pages only. Anything malformed is a 400, never a silent default.
struct ThreadQuery: Equatable {
    /// Page numbers skip rows (`OFFSET`), so they are accepted only where that is cheap; deeper, follow `next`.
    static let maximumPage = 10
    static let known: Set<String> = ["sort", "after", "page", "fragment"]

    var sort: CommentSort = .oldest
    var page: Int = 1
    var after: Int64?
    var fragment = false
    /// True when the request carried nothing but the parameters above: only such requests share cached answers
    /// (anything else would let one client fill the cache with copies).
    var canonical = true

    init(sort: CommentSort = .oldest, page: Int = 1, after: Int64? = nil) {
        self.sort = sort
        self.page = page
        self.after = after
    }

    init(_ request: Request) throws {
        let parameters = request.uri.queryParameters
        for (name, _) in parameters where !Self.known.contains(String(name)) { canonical = false }
        if let values = Self.values(parameters, "sort") {
            guard values.count == 1, let sort = CommentSort(rawValue: values[0]) else { throw ThreadQueryError.sort }
            self.sort = sort
        }
        if let values = Self.values(parameters, "page") {
            guard values.count == 1, let page = Self.number(values[0]), page >= 1 else { throw ThreadQueryError.page }
            guard page <= Self.maximumPage else { throw ThreadQueryError.pageTooDeep }
            self.page = Int(page)
        }
        if let values = Self.values(parameters, "after") {
            guard values.count == 1, let after = Self.number(values[0]), after >= 1 else { throw ThreadQueryError.after }
            self.after = after
        }
        if after != nil, page != 1 { throw ThreadQueryError.pageAndAfter }
        fragment = parameters["fragment"] != nil
    }

    private static func values(_ parameters: Hummingbird.Parameters, _ name: String) -> [String]? {
        let all = parameters.getAll(name)
        return all.isEmpty ? nil : all
    }

    /// Digits only (no sign, no spaces), at most 18 of them.
    private static func number(_ text: String) -> Int64? {
        guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int64(text)
    }

    /// The parameters in a fixed order, for cache keys and links: `sort=…&after=…`.
    var queryString: String {
        var parts = ["sort=\(sort.rawValue)"]
        if let after { parts.append("after=\(after)") } else if page > 1 { parts.append("page=\(page)") }
        if fragment { parts.append("fragment=1") }
        return parts.joined(separator: "&")
    }

    /// The address of the next page after `thread`, under `base` (`/article/x/comments` or the API's).
    static func next(_ base: String, sort: CommentSort, after: Int64?) -> String? {
        after.map { "\(base)?sort=\(sort.rawValue)&after=\($0)" }
    }
}

/// A thread request that cannot be answered as asked.
enum ThreadQueryError: AppError {
    case sort, page, pageTooDeep, after, pageAndAfter, unknownCursor

    var status: HTTPResponse.Status { .badRequest }
    var code: String {
        switch self {
        case .sort: "invalid_sort"
        case .page, .pageTooDeep, .pageAndAfter: "invalid_page"
        case .after, .unknownCursor: "invalid_cursor"
        }
    }
    var message: String {
        switch self {
        case .sort: "sort must be one of: " + CommentSort.allCases.map(\.rawValue).joined(separator: ", ") + "."
        case .page: "page must be a whole number from 1."
        case .pageTooDeep: "Pages after \(ThreadQuery.maximumPage) are reached by following the next link (after=…), not by number."
        case .after: "after must be the id of a comment (a whole number from 1), as given by the next link."
        case .pageAndAfter: "Give either page or after, not both."
        case .unknownCursor: "after does not name a published comment of this thread."
        }
    }
}
