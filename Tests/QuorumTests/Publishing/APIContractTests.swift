import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Accounts
@testable import Publishing
@testable import QuorumApp
@testable import QuorumStore
@testable import QuorumWeb

/// The API's contract as an outside client meets it: methods an address does not take, the admin API's bearer
/// tokens (and nothing else), strict query parameters, and a document that lists what each operation answers.
/// `scripts/api-contract` checks the same and more with schemathesis against the demo.
@Suite struct APIContractTests {
    @Test(arguments: TestDatabases.kinds)
    func unknownMethodsGet405WithAllow(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, _ in
            for (method, path, allow) in [(HTTPRequest.Method("TRACE")!, "/api/v1/articles", "GET, HEAD"), (.delete, "/api/v1/articles", "GET, HEAD"),
                                          (.get, "/api/v1/signin", "POST"), (.patch, "/api/admin/v1/articles/1", "DELETE, GET, HEAD, PUT"),
                                          (.put, "/article/some-slug", "GET, HEAD")] {
                let response = try await client.execute(uri: path, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(path): \(response.status)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
            }
            #expect(try await client.execute(uri: "/no-such-page", method: .delete).status != .methodNotAllowed, "an unknown address is no 405")
            #expect(try await client.execute(uri: "/api/v1/articles", method: .get).status == .ok)
        }
    }

    /// Bearer only: no header is 401 with a challenge (not a CSRF refusal), and a signed-in editor's session
    /// cookie with its CSRF token opens nothing.
    @Test(arguments: TestDatabases.kinds)
    func theAdminAPITakesBearerTokensOnly(kind: DatabaseKind) async throws {
        try await LiveServer.withBrowser(kind) { browser, mail, test in
            let client = browser.client
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await client.execute(uri: "/api/admin/v1/articles", method: method,
                                                        headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
                #expect(response.status == .unauthorized, "\(method)")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect((try response.json()["error"] as? [String: Any])?["code"] as? String == "unauthenticated")
            }
            let wrong = try await client.send("/api/admin/v1/articles", token: "qrm_nope")
            #expect(wrong.status == .unauthorized && wrong.headers[.wwwAuthenticate]?.contains("invalid_token") == true)

            _ = try await UserStore(database: test.database).create(email: "ed@example.com", displayName: "Ed", roles: [.editor])
            try await LiveServer.signIn(browser, mail, email: "ed@example.com")
            let session = try #require(browser.cookie(SiteCookies.session))
            let csrf = try #require(browser.csrf)
            let withCookie = try await client.execute(uri: "/api/admin/v1/sections", method: .post, headers: [
                .cookie: "\(SiteCookies.session)=\(session)", HTTPField.Name("X-CSRF-Token")!: csrf, .origin: "http://localhost",
                .contentType: "application/json",
            ], body: ByteBuffer(string: #"{"slug":"cookie-made","name":"Cookie"}"#))
            #expect(withCookie.status == .unauthorized, "a session cookie does not open the admin API")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func mistypedParametersAre400AndDeleteIs204WithoutABody(kind: DatabaseKind) async throws {
        try await LiveServer.run(kind) { client, test in
            for query in ["page=null", "page=-5", "page=0", "page=1&page=2", "perPage=0", "perPage=101", "perPage=x"] {
                let response = try await client.send("/api/v1/articles?\(query)")
                #expect(response.status == .badRequest, "\(query)")
                #expect((try response.json()["error"] as? [String: Any])?["code"] as? String == "invalid_field")
            }
            #expect(try await client.send("/api/v1/search?q=x&page=null").status == .badRequest)
            #expect(try await client.send("/api/v1/articles?page=2&perPage=5").status == .ok)

            let token = try await Fixtures.token(test.database)
            _ = try await client.send("/api/admin/v1/sections", .post, token: token, body: Fixtures.json(["slug": "world", "name": "World"]))
            let created = try await client.send("/api/admin/v1/articles", .post, token: token, body: Fixtures.json([
                "slug": "to-delete", "headline": "Gone soon", "section": "world",
            ]))
            #expect(created.status == .created, "\(created.text)")
            for (body, field) in [(#"{"slug":"s1","name":"S","position":{}}"#, "position"), (#"{"slug":"s2","name":"S","position":1.5}"#, "position"),
                                  (#"{"slug":"s3","name":"S","position":true}"#, "position")] {
                let refused = try await client.send("/api/admin/v1/sections", .post, token: token, body: ByteBuffer(string: body))
                #expect(refused.status == .badRequest && refused.text.contains(field), "\(body)")
            }
            #expect(try await client.send("/api/admin/v1/sections", .post, token: token, body: ByteBuffer(string: #"{"slug":"s4","name":"S","position":3}"#)).status == .created)
            let zero = try await client.send("/api/admin/v1/articles", .post, token: token, body: ByteBuffer(string: #"{"slug":"z","headline":"Z","section":"world","commentsOpen":0}"#))
            #expect(zero.status == .badRequest && zero.text.contains("commentsOpen"), "0 is not false")
            let id = try #require(try created.json()["id"] as? Int)
            let deleted = try await client.send("/api/admin/v1/articles/\(id)", .delete, token: token)
            #expect(deleted.status == .noContent)
            #expect(deleted.body.readableBytes == 0)
        }
    }

    /// What the site-wide middleware answers is in the document for each operation.
    @Test func theDocumentListsWhatEveryOperationAnswers() throws {
        let data = Data(OpenAPI.document(serverURL: "http://x", parts: [OpenAPI.publishing, OpenAPI.comments]))
        let paths = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["paths"] as? [String: [String: [String: Any]]])
        for (path, operations) in paths {
            for (method, operation) in operations {
                let responses = try #require(operation["responses"] as? [String: [String: Any]])
                if method != "get" { #expect(responses["429"] != nil, "\(method) \(path): 429") }
                if method != "get", !path.hasPrefix("/api/admin/") { #expect(responses["403"] != nil, "\(method) \(path): 403 (CSRF)") }
                if path.hasPrefix("/api/admin/") {
                    #expect((responses["401"]?["headers"] as? [String: Any])?["WWW-Authenticate"] != nil, "\(method) \(path): 401 challenge")
                }
                for (status, response) in responses where status == "204" {
                    #expect(response["content"] == nil, "\(method) \(path): 204 has no body")
                }
            }
        }
        let delete = try #require(paths["/api/admin/v1/articles/{id}"]?["delete"]?["responses"] as? [String: Any])
        #expect(delete["204"] != nil && delete["404"] != nil)
        #expect((paths["/api/admin/v1/sections"]?["post"]?["responses"] as? [String: Any])?["409"] != nil)
    }
}
