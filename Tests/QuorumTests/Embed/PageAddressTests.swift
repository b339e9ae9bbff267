import Testing
@testable import Comments

/// The normalisation table of docs/embedding.md: every row is checked here, so the documentation cannot drift.
@Suite struct PageAddressTests {
    static let table: [(input: String, keep: Set<String>, expected: String)] = [
        ("HTTPS://Example.COM/News/Story/", [], "https://example.com/News/Story"),
        ("https://example.com", [], "https://example.com/"),
        ("https://example.com/", [], "https://example.com/"),
        ("http://example.com:80/x", [], "http://example.com/x"),
        ("https://example.com:443/x", [], "https://example.com/x"),
        ("https://example.com:8443/x/", [], "https://example.com:8443/x"),
        ("http://example.com:443/x", [], "http://example.com:443/x"),
        ("https://example.com/x#comment-12", [], "https://example.com/x"),
        ("https://example.com/x?utm_source=feed&ref=tw", [], "https://example.com/x"),
        ("https://example.com/?p=123&utm_source=feed", ["p"], "https://example.com/?p=123"),
        ("https://example.com/?p=1&lang=en", ["p", "lang"], "https://example.com/?lang=en&p=1"),
        ("https://example.com/a/./b/../c/", [], "https://example.com/a/c"),
        ("https://example.com/%7euser/%e2%82%ac", [], "https://example.com/~user/%E2%82%AC"),
        ("https://example.com/café", [], "https://example.com/caf%C3%A9"),
        ("https://www.example.com/x", [], "https://www.example.com/x"),
        ("http://example.com/x", [], "http://example.com/x"),
        ("  https://example.com/x\n", [], "https://example.com/x"),
        ("https://example.com//a//", [], "https://example.com//a"),
    ]

    @Test func theTableHolds() throws {
        for row in Self.table {
            let address = try PageAddress(row.input, keepQuery: row.keep)
            #expect(address.url == row.expected, "\(row.input)")
            #expect(try PageAddress(address.url, keepQuery: row.keep).url == address.url, "normalising twice changes nothing: \(row.input)")
        }
        #expect(try PageAddress("https://Example.com:8443/x").origin == "https://example.com:8443")
        #expect(try PageAddress("HTTP://example.com:80/x").origin == "http://example.com")
    }

    @Test func whatIsNoPageAddressIsRefusedByName() {
        let refused: [(String, PageAddress.Problem)] = [
            ("ftp://example.com/x", .unsupportedScheme),
            ("javascript:alert(1)", .unsupportedScheme),
            ("https://user:secret@example.com/", .credentials),
            ("/relative/path", .notAnAddress),
            ("example.com/x", .notAnAddress),
            ("https:///no-host", .notAnAddress),
            ("", .notAnAddress),
            ("https://example.com/" + String(repeating: "a", count: 2100), .tooLong),
        ]
        for (input, problem) in refused {
            #expect(throws: problem, "\(input.prefix(40))") { try PageAddress(input) }
        }
    }

    @Test func originsAsAdminsWriteThem() {
        #expect(PageAddress.origin("https://News.Example") == "https://news.example")
        #expect(PageAddress.origin("https://news.example:443/") == "https://news.example")
        #expect(PageAddress.origin("http://127.0.0.1:56101") == "http://127.0.0.1:56101")
        #expect(PageAddress.origin("https://news.example/path") == nil)
        #expect(PageAddress.origin("news.example") == nil)
    }
}
