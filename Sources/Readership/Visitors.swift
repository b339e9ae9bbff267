import ReadershipEngine
import NIOConcurrencyHelpers
import NIOCore
import QuorumWeb

/// Requests that are not readers: crawlers, link previews, monitors, command-line clients and headless browsers,
/// recognised by their User-Agent (case-insensitive). A request without a User-Agent is not counted either.
enum Crawlers {
    /// Lower-case fragments; a User-Agent containing any of them is not a reader.
    static let fragments: [[UInt8]] = [
        "bot", "crawl", "spider", "slurp", "mediapartners", "facebookexternalhit", "facebookcatalog", "embedly",
        "preview", "headless", "lighthouse", "pingdom", "uptime", "monitor", "curl/", "wget/", "python-", "python/",
        "go-http-client", "java/", "okhttp", "libwww", "httpclient", "axios/", "node-fetch", "scrapy", "phantomjs",
        "feedfetcher", "feedburner", "yahoo! slurp", "ia_archiver", "archive.org", "whatsapp", "telegram", "vkshare",
        "w3c_validator", "bingpreview", "qwantify", "petalsearch", "bytespider", "gptbot", "ccbot", "claudebot",
        "anthropic-ai", "perplexity", "amazonbot", "applebot", "duckduckgo", "yandex", "baidu", "sogou", "semrush",
        "ahrefs", "mj12", "dotbot", "seznam", "exabot", "rogerbot", "screaming frog",
    ].map { Array($0.utf8) }

    /// Verdicts by a hash of the User-Agent (this process's `Hasher`, never stored): a site sees a few thousand
    /// distinct User-Agents a day, so scanning the list once per User-Agent instead of once per view takes the
    /// check off the fast path's profile.
    private static let verdicts = NIOLockedValueBox<[Int: Bool]>([:])

    static func isCrawler(_ userAgent: Substring) -> Bool {
        let key = userAgent.hashValue
        if let known = verdicts.withLockedValue({ $0[key] }) { return known }
        let verdict = scan(userAgent)
        verdicts.withLockedValue { verdicts in
            if verdicts.count >= 10_000 { verdicts.removeAll(keepingCapacity: true) }
            verdicts[key] = verdict
        }
        return verdict
    }

    static func scan(_ userAgent: Substring) -> Bool {
        var lowered = [UInt8]()
        lowered.reserveCapacity(userAgent.utf8.count)
        for byte in userAgent.utf8 { lowered.append(byte >= 65 && byte <= 90 ? byte + 32 : byte) }
        for fragment in fragments where contains(lowered, fragment) { return true }
        return false
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = true
                var offset = 1
                while offset < needle.count {
                    if haystack[index + offset] != needle[offset] { matched = false; break }
                    offset += 1
                }
                if matched { return true }
            }
            index += 1
        }
        return false
    }
}

/// The client's address: the connection's peer, or behind `trustedHops` proxies the entry of `X-Forwarded-For`
/// that the outermost trusted proxy saw. Entries further left were written by the client and are never trusted.
enum ClientAddress {
    static func resolve(peer: SocketAddress?, forwardedFor: Substring?, trustedHops: Int) -> Substring? {
        if trustedHops > 0, let forwardedFor {
            let entries = forwardedFor.split(separator: ",", omittingEmptySubsequences: true)
            if !entries.isEmpty {
                // Each trusted proxy appended the address it saw; the last `trustedHops` entries are theirs to vouch for.
                let index = max(0, entries.count - trustedHops)
                let entry = entries[index].trimmingCharacters(in: .whitespaces)
                if !entry.isEmpty { return Substring(entry) }
            }
        }
        return peer?.ipAddress.map { Substring($0) }
    }
}

/// The reader's hash: SipHash-2-4 keyed with the period's salt over (site, address, User-Agent), the way
/// Plausible counts. Computed and forgotten at once; only its effect on a sketch register is kept.
enum VisitorHash {
    static func hash(salt: [UInt8], site: [UInt8], address: Substring, userAgent: Substring) -> UInt64 {
        var hasher = SipHash24(key: salt)
        hasher.update(site)
        hasher.update(address.utf8)
        hasher.update(0)
        hasher.update(userAgent.utf8)
        return hasher.finalize()
    }
}

/// Which reader pages count, and under which scope.
enum CountedPage: Equatable {
    case home
    case article(Substring)
    case section, tag, author, search

    var kind: String {
        switch self {
        case .home: "home"
        case .article: "article"
        case .section: "section"
        case .tag: "tag"
        case .author: "author"
        case .search: "search"
        }
    }

    /// Reader pages by their path (`/`, `/article/x`, `/section/x`, `/tag/x`, `/author/x`, `/search`); nil for
    /// everything else (feeds, sitemaps, assets, comment pages).
    init?(path: Substring) {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { return nil }
        if bytes.count == 1 { self = .home; return }
        if path == "/search" { self = .search; return }
        // /KIND/VALUE with a non-empty value and no further slash.
        let afterFirst = bytes.index(after: bytes.startIndex)
        guard let second = bytes[afterFirst...].firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let valueStart = bytes.index(after: second)
        guard valueStart < bytes.endIndex, !bytes[valueStart...].contains(UInt8(ascii: "/")) else { return nil }
        let kind = path[afterFirst..<second]
        switch kind {
        case "article": self = .article(path[valueStart...])
        case "section": self = .section
        case "tag": self = .tag
        case "author": self = .author
        default: return nil
        }
    }
}

/// The host of a `Referer`, lower-cased: never its path or query. Nil for this site's own pages and for anything
/// that is not an http(s) URL with a plain host name.
enum ReferrerHost {
    static func host(of referer: Substring, ownHost: String) -> String? {
        let lower = referer.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = lower.dropFirst(8) } else if lower.hasPrefix("http://") { rest = lower.dropFirst(7) } else { return nil }
        var host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        guard !host.isEmpty, host.count <= 253, host.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "." || $0 == "-" })
        else { return nil }
        let name = host.hasPrefix("www.") ? String(host.dropFirst(4)) : String(host)
        let own = ownHost.hasPrefix("www.") ? String(ownHost.dropFirst(4)) : ownHost
        return name == own ? nil : name
    }
}

/// `utm_source`, `utm_medium` and `utm_campaign` of a query string (each at most 100 characters of printable text).
enum Campaign {
    static func parse(_ query: Substring) -> (source: String, medium: String, campaign: String)? {
        var values: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, ["utm_source", "utm_medium", "utm_campaign"].contains(parts[0]) else { continue }
            let raw = String(parts[1]).replacingOccurrences(of: "+", with: " ")
            let decoded = (raw.removingPercentEncoding ?? raw).filter { !$0.isNewline && $0.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F } }
            values[String(parts[0])] = String(decoded.prefix(100)).lowercased()
        }
        guard let source = values["utm_source"], !source.isEmpty else { return nil }
        return (source, values["utm_medium"] ?? "", values["utm_campaign"] ?? "")
    }
}
