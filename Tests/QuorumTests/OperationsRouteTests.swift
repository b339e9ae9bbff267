import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

@Suite("Operations routes")
struct OperationsRouteTests {
    @Test(arguments: TestDatabases.kinds)
    func frontPageHealthAndMetrics(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, _ in
            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.status == .ok)
            #expect(home.headers[.contentType] == "text/html; charset=utf-8")
            #expect(home.text.contains("<main id=\"main\""))

            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let body = try health.json()
            #expect(body["status"] as? String == "ok")
            #expect(body["database"] as? String == kind.rawValue)
            #expect(["counting", "starting"].contains(body["readership"] as? String ?? "absent"))

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            // Requests by route and status, a latency histogram and the pool gauges.
            #expect(metrics.text.contains("hb_requests{http_route=\"/healthz\",http_request_method=\"GET\",http_response_status_code=\"200\"}"))
            #expect(metrics.text.contains("http_server_request_duration_bucket"))
            #expect(metrics.text.contains("quorum_db_pool_in_use"))
            #expect(metrics.text.contains("quorum_db_pool_size"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func unknownAddressesGetAThemedPageOrJSON(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, _ in
            let page = try await client.execute(uri: "/no/such/page", method: .get)
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("Page not found"))
            #expect(page.text.contains("class=\"masthead\""))

            let api = try await client.execute(uri: "/api/v1/nothing", method: .get)
            #expect(api.status == .notFound)
            let error = try api.json()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "not_found")
            #expect((error?["message"] as? String)?.isEmpty == false)
        }
    }

    @Test func unexpectedErrorsShowNoInternals() async throws {
        struct Secret: Error, CustomStringConvertible { var description: String { "password=hunter2 at /srv/internal.swift:12" } }
        try await LiveServer.run(.sqlite, configureRouter: { router in
            router.get("boom") { _, _ -> String in throw Secret() }
            router.get("api/v1/boom") { _, _ -> String in throw Secret() }
        }) { client, _ in
            let page = try await client.execute(uri: "/boom", method: .get)
            #expect(page.status == .internalServerError)
            #expect(page.text.contains("Something went wrong"))
            #expect(!page.text.contains("hunter2"))
            let api = try await client.execute(uri: "/api/v1/boom", method: .get)
            #expect(api.status == .internalServerError)
            #expect((try api.json()["error"] as? [String: Any])?["code"] as? String == "internal")
            #expect(!api.text.contains("hunter2"))
        }
    }

    @Test func themeAssetsAreCachedAndConditional() async throws {
        try await LiveServer.run(.sqlite) { client, _ in
            let css = try await client.execute(uri: "/assets/site.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            let etag = try #require(css.headers[.eTag])
            let again = try await client.execute(uri: "/assets/site.css", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            let missing = try await client.execute(uri: "/assets/nope.css", method: .get)
            #expect(missing.status == .notFound)
        }
    }

    @Test func aThemeFolderOverridesTemplatesByName() async throws {
        let folder = TestDatabases.folder + "/" + TestDatabases.uniqueName("theme")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "{{<base}}{{$content}}<p class=\"custom\">Our own front page for {{site.name}}</p>{{/content}}{{/base}}"
            .write(toFile: folder + "/home.mustache", atomically: true, encoding: .utf8)
        try await LiveServer.run(.sqlite, adjust: { $0.themeDirectory = folder; $0.siteName = "<Tribune & Co>" }) { client, _ in
            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.text.contains("<p class=\"custom\">Our own front page for &lt;Tribune &amp; Co&gt;</p>"))
            // Templates not overridden still come from the default theme.
            #expect(home.text.contains("class=\"site-footer\""))
        }
    }
}
