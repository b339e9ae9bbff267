import Foundation
import Payments
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumMail
@testable import QuorumStore
@testable import QuorumWeb

/// A minimal browser over the test client: keeps cookies, fills in the CSRF token of the last page, sends
/// the site's Origin with posts, and never follows redirects (tests look at them).
final class Browser: Sendable {
    let client: any TestClientProtocol
    let origin: String
    private let state = NIOLockedValueBox<(cookies: [String: String], lastCSRF: String?)>(([:], nil))

    init(_ client: any TestClientProtocol, origin: String = "http://localhost") {
        self.client = client
        self.origin = origin
    }

    var cookies: [String: String] { state.withLockedValue { $0.cookies } }
    var csrf: String? { state.withLockedValue { $0.lastCSRF } }
    func cookie(_ name: String) -> String? { cookies[name] }
    func setCookie(_ name: String, _ value: String?) { state.withLockedValue { $0.cookies[name] = value } }

    @discardableResult
    func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(path, method: .get, headers: headers, body: nil)
    }

    /// Posts a form; `csrf` defaults to the token on the last page this browser loaded.
    @discardableResult
    func post(_ path: String, _ fields: [String: String] = [:], csrf: String?? = .none, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = fields
        switch csrf {
        case .none: if let token = self.csrf { fields["csrf"] = token }
        case .some(let explicit?): fields["csrf"] = explicit
        case .some(nil): break
        }
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        if headers[.origin] == nil { headers[.origin] = origin }
        let body = fields.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await send(path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// One part of a `multipart/form-data` post: a text field, or a file when `filename` is set.
    struct Part {
        var name: String
        var value: [UInt8]
        var filename: String? = nil
        var contentType: String? = nil
        static func field(_ name: String, _ value: String) -> Part { Part(name: name, value: Array(value.utf8)) }
    }

    /// Posts `parts` as `multipart/form-data`, in order, the CSRF token first (as a page's form sends it) unless
    /// `csrf` is `.some(nil)`. `raw` replaces the whole body (malformed bodies).
    @discardableResult
    func postMultipart(_ path: String, _ parts: [Part], csrf: String?? = .none, boundary: String = "----QuorumTestBoundary7MA4YWxkTrZu0gW", raw: [UInt8]? = nil) async throws -> TestResponse {
        var all = parts
        switch csrf {
        case .none: if let token = self.csrf { all.insert(.field("csrf", token), at: 0) }
        case .some(let explicit?): all.insert(.field("csrf", explicit), at: 0)
        case .some(nil): break
        }
        var body: [UInt8] = []
        for part in all {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"" }
            if let type = part.contentType { head += "\r\nContent-Type: \(type)" }
            body += Array((head + "\r\n\r\n").utf8) + part.value + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        let headers: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)", .origin: origin]
        return try await send(path, method: .post, headers: headers, body: ByteBuffer(bytes: raw ?? body))
    }

    func send(_ path: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        let jar = cookies
        if !jar.isEmpty { headers[.cookie] = jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        state.withLockedValue { state in
            for header in response.headers[values: .setCookie] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
                if header.lowercased().contains("max-age=0") || value.isEmpty { state.cookies[name] = nil } else { state.cookies[name] = value }
            }
            if let token = Self.firstMatch(#"name="csrf" value="([^"]+)""#, in: String(buffer: response.body)) { state.lastCSRF = token }
        }
        return response
    }

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}

/// Keeps every email the application sends, in memory.
final class CapturedMail: MailTransport {
    private let box = NIOLockedValueBox<[OutgoingMail]>([])
    var messages: [OutgoingMail] { box.withLockedValue { $0 } }
    /// A real transport every message also goes through (a test of what that transport logs).
    let forward: (any MailTransport)?

    init(forwardingTo forward: (any MailTransport)? = nil) {
        self.forward = forward
    }

    func deliver(_ mail: OutgoingMail, id: Int64) async throws {
        try await forward?.deliver(mail, id: id)
        box.withLockedValue { $0.append(mail) }
    }

    /// The newest message to `address`, waiting for delivery (which runs in the background) if needed.
    func latest(to address: String, kind: String? = nil, after count: Int = 0, timeout: Double = 10) async throws -> OutgoingMail {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let matching = messages.filter { $0.to == address && (kind == nil || $0.kind == kind) }
            if matching.count > count, let last = matching.last { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw QuorumProcess.TimeoutError(what: "mail to \(address)")
    }
}

extension OutgoingMail {
    var signInCode: String? { Browser.firstMatch(#"enter this code on the sign-in page: (\d{6})"#, in: text) }
    var link: String? { Browser.firstMatch(#"(http://[^\s]+)"#, in: text) }
    /// The path and query of the emailed link, to open with the test client.
    var linkPath: String? {
        link.flatMap { URLComponents(string: $0) }.map { $0.percentEncodedPath + ($0.percentEncodedQuery.map { "?" + $0 } ?? "") }
    }
}

extension LiveServer {
    /// Runs the application with mail captured in memory and hands the test a browser.
    static func withBrowser<R: Sendable>(
        _ kind: DatabaseKind,
        logger: Logger = TestDatabases.logger,
        adjust: (inout QuorumConfiguration) -> Void = { _ in },
        payments: [any PaymentProvider]? = nil,
        configureRouter: (@Sendable (Router<QuorumContext>) -> Void)? = nil,
        clock: SiteClock = .system,
        mail: CapturedMail = CapturedMail(),
        _ body: @escaping @Sendable (Browser, CapturedMail, TestDatabase) async throws -> R
    ) async throws -> R {
        return try await TestDatabases.withDatabase(kind) { test in
            var configuration = configuration(for: test)
            configuration.siteURL = "http://localhost"
            adjust(&configuration)
            let app = try buildApplication(configuration: configuration, database: test.database, logger: logger, clock: clock,
                                           mailTransport: mail, payments: payments, configureRouter: configureRouter)
            return try await app.test(.live) { client in try await body(Browser(client), mail, test) }
        }
    }

    /// Signs `email` in through the emailed code and returns the browser, signed in.
    static func signIn(_ browser: Browser, _ mail: CapturedMail, email: String, next: String = "/") async throws {
        let before = mail.messages.filter { $0.to == email }.count
        // A signed-in browser is sent on from /signin; its forms carry the session's token, from any page with a form.
        try await browser.get(browser.cookie(SiteCookies.session) == nil ? "/signin?next=\(next)" : "/account")
        let requested = try await browser.post("/signin", ["email": email, "next": next])
        guard requested.status == .seeOther, let location = requested.headers[.location] else {
            throw RequestError.badRequest("sign-in request failed: \(requested.status) \(String(buffer: requested.body))")
        }
        let message = try await mail.latest(to: email, kind: "signin", after: before)
        try await browser.get(location)
        let redeemed = try await browser.post("/signin/code", ["request": Browser.firstMatch(#"request=([^&]+)"#, in: location) ?? "", "code": message.signInCode ?? ""])
        guard redeemed.status == .seeOther else { throw RequestError.badRequest("code refused: \(String(buffer: redeemed.body))") }
        let cookie = redeemed.headers[values: .setCookie].first { $0.hasPrefix("quorum_session=") } ?? ""
        if browser.origin.hasPrefix("https://") && !cookie.contains("Secure") { throw RequestError.badRequest("session cookie not Secure over https") }
    }
}
