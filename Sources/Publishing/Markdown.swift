import Foundation
import Ink
import QuorumBus
import QuorumStore

import QuorumWeb

/// Markdown to HTML that is safe to put in a page.
///
/// Ink renders headings, emphasis, links, blockquotes, lists, images and code. What makes it safe here:
/// raw HTML in the source is escaped (shown as text) unless the article allows embeds, and links and images
/// may only point to http(s), mailto or site paths, so a `javascript:` link becomes plain text.
public enum Markdown {
    public static func html(_ markdown: String, allowEmbeds: Bool = false) -> String {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .links) { input in safeURL(in: input.html, attribute: "href") ? input.html : escape(String(input.markdown)) })
        parser.addModifier(Modifier(target: .images) { input in safeURL(in: input.html, attribute: "src") ? input.html : escape(String(input.markdown)) })
        let source = allowEmbeds ? markdown : escapeRawHTML(markdown)
        return parser.html(from: source)
    }

    /// The text of a Markdown body without markup, for descriptions and feeds.
    public static func plainText(_ markdown: String, limit: Int = 300) -> String {
        let html = Self.html(markdown)
        var text = html.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard words.count > limit else { return words }
        let cut = words.prefix(limit)
        return (cut.lastIndex(of: " ").map { String(cut[..<$0]) } ?? String(cut)) + "…"
    }

    /// Escapes `<` everywhere except in code spans and fenced code blocks (Ink escapes those itself), so no
    /// tag in the source reaches the page as markup.
    static func escapeRawHTML(_ markdown: String) -> String {
        var out = ""
        out.reserveCapacity(markdown.utf8.count)
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inFence.toggle()
                out += line + "\n"
                continue
            }
            if inFence {
                out += line + "\n"
                continue
            }
            var inCode = false
            for character in line {
                if character == "`" { inCode.toggle() }
                out += (!inCode && character == "<") ? "&lt;" : String(character)
            }
            out += "\n"
        }
        if !markdown.hasSuffix("\n") { out.removeLast() }
        return out
    }

    /// True when the element's URL attribute uses an allowed scheme and cannot break out of its quotes.
    static func safeURL(in html: String, attribute: String) -> Bool {
        guard let start = html.range(of: "\(attribute)=\"") else { return true }
        let rest = html[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return false }
        let url = rest[..<end].trimmingCharacters(in: .whitespaces).lowercased()
        let afterQuote = rest[rest.index(after: end)...]
        // Ink does not escape quotes in URLs: anything but the end of the tag after the value means an injected attribute.
        if let next = afterQuote.first, next != ">", next != " " && next != "/" { return false }
        if afterQuote.hasPrefix(" ") && !afterQuote.hasPrefix(" alt=\"") && !afterQuote.hasPrefix(" title=\"") { return false }
        if url.hasPrefix("/") || url.hasPrefix("#") || url.hasPrefix("http://") || url.hasPrefix("https://") || url.hasPrefix("mailto:") {
            return true
        }
        // Relative links without a scheme are fine; anything with a scheme that is not allowed is not.
        return !url.contains(":")
    }

    public static func escape(_ text: String) -> String { Escaping.html(text) }
}
