import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import QuorumBus
@testable import QuorumWeb

/// Every response carries the site's security headers: pages rendered and pages from the cache's fast path,
/// the JSON API, assets, the favicon and error responses; HSTS only when the site is served over https.
@Suite struct SecurityHeadersTests {
    static let paths = ["/", "/", "/favicon.ico", "/assets/site.css", "/api/v1/articles", "/api/openapi.json", "/no-such-page",
                        "/api/v1/no-such-thing", "/signin", "/robots.txt"]

    static func check(_ response: TestResponse, _ path: String, https: Bool) {
        let expected = SecurityHeaders(https: https)
        for field in expected.fields {
            #expect(response.headers[values: field.name] == [field.value], "\(path) \(response.status): \(field.name)")
        }
        #expect((response.headers[.strictTransportSecurity] != nil) == https, "\(path): HSTS only over https")
    }

    @Test(arguments: [false, true])
    func everyKindOfResponseCarriesThem(https: Bool) async throws {
        try await LiveServer.run(.sqlite, adjust: { $0.siteURL = https ? "https://news.example" : "http://news.example" }) { client, _ in
            for path in Self.paths {
                let response = try await client.execute(uri: path, method: .get)
                Self.check(response, path, https: https)
            }
            let favicon = try await client.execute(uri: "/favicon.ico", method: .get)
            #expect(favicon.status == .ok && favicon.headers[.contentType] == "image/x-icon")
            #expect(Array(favicon.body.readableBytesView.prefix(4)) == [0, 0, 1, 0], "an ICO file")
            let policy = SecurityHeaders.contentSecurityPolicy
            #expect(policy.hasPrefix("default-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
        }
    }

    /// The cache's prebuilt head carries them, so the event-loop fast path sends them without work per request.
    @Test func cachedPagesCarryThemInTheirPrebuiltHead() {
        let cache = PageCache(bus: LocalInvalidationBus(), extraHeaders: SecurityHeaders(https: true).fields)
        let page = CachedPage(html: "<p>x</p>", lastModified: .now, cacheControl: PageCache.cacheControl, extraHeaders: cache.extraHeaders)
        #expect(page.okHead.headerFields[.contentSecurityPolicy] == SecurityHeaders.contentSecurityPolicy)
        #expect(page.okHead.headerFields[.strictTransportSecurity] == SecurityHeaders.strictTransportSecurity)
    }

    /// The theme's pages hold no inline script, style element, `style` attribute or event handler attribute, so
    /// the policy needs no 'unsafe-inline' (JSON-LD is a data block, which the policy does not run). Emails are
    /// not pages: mail programs need their inline styles.
    @Test func theThemeHasNoInlineScriptOrStyle() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/QuorumWeb/Resources/themes/default")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".mustache") && !$0.hasPrefix("email-") }
        #expect(names.count > 20)
        for name in names {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            for match in text.matches(of: /<script\b[^>]*>/) {
                let tag = String(match.output)
                #expect(tag.contains(" src=") || tag.contains("application/ld+json"), "\(name): inline \(tag)")
            }
            #expect(text.firstMatch(of: /<style\b/) == nil, "\(name): a style element")
            #expect(text.firstMatch(of: /\sstyle\s*=/) == nil, "\(name): a style attribute")
            #expect(text.firstMatch(of: /\son[a-z]+\s*=/) == nil, "\(name): an event handler attribute")
            #expect(!text.contains("javascript:"), "\(name): a javascript: URL")
        }
    }
}
