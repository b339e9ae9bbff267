import Hummingbird
import NIOCore

/// Which public variant of a cached page a reader gets: anonymous, signed in, or member. The page cache keeps one
/// copy per class (the class is part of the key) and its fast path picks the copy from a small cookie
/// (`quorum_reader`) that signing in and out set and the session middleware corrects. The cookie only chooses
/// which public page is sent; it grants nothing: every action still checks the session.
public enum ReaderClass: Sendable, Equatable, CaseIterable {
    case anonymous, signedIn, member

    public init(_ user: User?) {
        guard let user else { self = .anonymous; return }
        self = user.has(.member) ? .member : .signedIn
    }

    /// The cookie's value; none for anonymous readers (no cookie keeps them on the plainest path).
    public var cookieValue: String? {
        switch self {
        case .anonymous: nil
        case .signedIn: "s"
        case .member: "m"
        }
    }

    /// The page cache key of this variant of the page at `path`.
    public func key(_ path: String) -> String {
        switch self {
        case .anonymous: path
        case .signedIn: path + "#s"
        case .member: path + "#m"
        }
    }

    /// The names templates read: `{{#reader.signedIn}}`, `{{#reader.member}}`, `{{#reader.anonymous}}`.
    public var templateModel: [String: Any] {
        ["anonymous": self == .anonymous, "signedIn": self != .anonymous, "member": self == .member]
    }

    /// The variant a route renders and caches for a request: the one its class cookie names, as the fast path
    /// would have served it (the session middleware corrects a stale cookie on the same response), or else the
    /// signed-in user's class. The variants are public pages, so serving one to the wrong reader shows nothing
    /// that is not theirs to see.
    public static func variant(of request: Request, user: User?) -> ReaderClass {
        if let cookie = request.headers[.cookie], let chosen = fromCookieHeader(Substring(cookie)) { return chosen }
        return ReaderClass(user)
    }

    /// The variant a request's `Cookie` header asks for, or nil when the request must go to the application: it
    /// carries a session but no class cookie yet (the session middleware then sets one). Other cookies (the
    /// anonymous CSRF token) do not change the public page.
    public static func fromCookieHeader(_ header: Substring) -> ReaderClass? {
        // Read as bytes, without splitting into an array: this runs for every cached page a signed-in reader gets.
        let bytes = header.utf8
        let semicolon = UInt8(ascii: ";"), equals = UInt8(ascii: "="), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        var sawSession = false
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: semicolon) ?? bytes.endIndex
            let part = bytes[start..<end].drop { $0 == space || $0 == tab }
            start = end < bytes.endIndex ? bytes.index(after: end) : end
            guard let sign = part.firstIndex(of: equals) else { continue }
            let name = part[..<sign]
            let value = part[part.index(after: sign)...].prefix { $0 != space && $0 != tab }
            if name.elementsEqual(SiteCookies.readerClass.utf8) {
                switch value.count == 1 ? value.first : nil {
                case UInt8(ascii: "s"): return .signedIn
                case UInt8(ascii: "m"): return .member
                default: return nil
                }
            }
            if !value.isEmpty, name.elementsEqual(SiteCookies.session.utf8) { sawSession = true }
        }
        return sawSession ? nil : .anonymous
    }
}

extension SiteCookies {
    /// The reader-class cookie: which public variant of cached pages to serve (`s` signed in, `m` member).
    public static let readerClass = "quorum_reader"

    /// The cookie that makes the fast path serve `reader`'s variant (cleared for anonymous readers).
    public static func readerClass(_ reader: ReaderClass, secure: Bool, maxAge: Int = 30 * 86_400) -> Cookie {
        Cookie(name: readerClass, value: reader.cookieValue ?? "", maxAge: reader == .anonymous ? 0 : maxAge, path: "/",
               secure: secure, httpOnly: true, sameSite: .lax)
    }
}
