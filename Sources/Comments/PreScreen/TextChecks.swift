import Foundation
import QuorumBus
import QuorumMail
import QuorumStore

import QuorumWeb

/// Counting links and comparing comments, for the pre-screen.
enum TextChecks {
    /// Top-level domains that make a bare "word.tld" count as a link. A list rather than "any two letters",
    /// so that "e.g.", "U.S.", "Node.js", "file.txt" or "end.Then" are not links.
    static let topLevelDomains: Set<String> = [
        "com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "io", "co", "me", "tv",
        "ly", "ai", "app", "dev", "xyz", "top", "club", "online", "site", "store", "shop", "win", "bet", "vip",
        "link", "click", "live", "news", "blog", "cc", "ws", "tk", "ml", "ga", "cf", "gq", "ru", "cn", "uk",
        "us", "ca", "au", "nz", "za", "ie", "de", "fr", "nl", "be", "es", "it", "pt", "ch", "at", "se", "no",
        "dk", "fi", "pl", "cz", "gr", "tr", "ua", "in", "pk", "ng", "ke", "br", "mx", "ar", "jp", "kr", "eu",
        "health", "money", "loan", "work", "today", "world", "space", "website", "tech", "email", "fun", "icu",
    ]

    /// How many links a text contains: every http:// or https:// URL, plus bare domains such as
    /// "example.com", "www.example.org/path" or "cheap-pills.co.za/buy".
    static func linkCount(in text: String) -> Int {
        var count = 0
        let separators: Set<Character> = ["(", ")", "[", "]", "<", ">", "\"", "'", "{", "}", "|", "`"]
        let pieces = text.split(whereSeparator: { $0.isWhitespace || separators.contains($0) })
        for piece in pieces {
            let lower = piece.lowercased()
            // Several URLs glued together ("http://a.comhttp://b.com") count separately.
            let schemes = occurrences(of: "http://", in: lower) + occurrences(of: "https://", in: lower)
            if schemes > 0 {
                count += schemes
            } else if isBareDomain(lower) {
                count += 1
            }
        }
        return count
    }

    static func occurrences(of needle: String, in haystack: String) -> Int {
        var count = 0
        var rest = haystack[...]
        while let range = rest.range(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }

    static func isBareDomain(_ piece: String) -> Bool {
        let trimmed = piece.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?*_~"))
        guard !trimmed.contains("@") else { return false }  // an email address, not a link
        var host = Substring(trimmed)
        if let end = host.firstIndex(where: { "/?#".contains($0) }) { host = host[..<end] }
        if let colon = host.firstIndex(of: ":") {  // a port
            let port: Substring = host[host.index(after: colon)...]
            guard port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        let labelCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-")
        for label in labels {
            guard !label.isEmpty, label.unicodeScalars.allSatisfy(labelCharacters.contains) else { return false }
        }
        if labels.first == "www" { return true }
        return topLevelDomains.contains(String(labels.last!))
    }

    /// A comment reduced to what makes it the same comment: case, accents, punctuation and spacing removed.
    static func normalisedForDuplicates(_ text: String) -> String {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
        var words: [String] = []
        var current = ""
        for c in folded {
            if c.isLetter || c.isNumber {
                current.append(c)
            } else if c.isWhitespace || c.isPunctuation || c.isSymbol {
                // "don't" and "dont" are the same; "end.Then" and "end. Then" too
                if c.isWhitespace || !(c == "'" || c == "\u{2019}") {
                    if !current.isEmpty { words.append(current); current = "" }
                }
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.joined(separator: " ")
    }

    /// Whether a text has nothing in it once whitespace and invisible characters are set aside.
    static func isBlank(_ text: String) -> Bool {
        text.allSatisfy { c in c.isWhitespace || WordList.isInvisible(c) }
    }
}
