import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// Where the browser tests find Chromium and its driver (Debian's `chromium` and `chromium-driver` packages).
///
/// `QUORUM_CHROMIUM` and `QUORUM_CHROMEDRIVER` override the paths. With `QUORUM_REQUIRE_BROWSER=1` (set by
/// `scripts/test`) a missing browser fails the tests; otherwise they are skipped with a message.
enum BrowserTools {
    static let chromium: String = {
        if let path = ProcessInfo.processInfo.environment["QUORUM_CHROMIUM"], !path.isEmpty { return path }
        return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "/usr/bin/chromium"
    }()

    static let chromedriver: String = {
        if let path = ProcessInfo.processInfo.environment["QUORUM_CHROMEDRIVER"], !path.isEmpty { return path }
        return "/usr/bin/chromedriver"
    }()

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
    }

    static var required: Bool { ProcessInfo.processInfo.environment["QUORUM_REQUIRE_BROWSER"] == "1" }

    /// Run the browser tests when the browser is there, or when it must be (then they fail without it).
    static var shouldRun: Bool { available || required }

    static func check() throws {
        guard available else {
            throw WebDriverError(description: "the browser tests need \(chromium) and \(chromedriver) "
                + "(apt-get install chromium chromium-driver); QUORUM_REQUIRE_BROWSER=1 makes their absence a failure")
        }
    }
}

struct WebDriverError: Error, CustomStringConvertible {
    let description: String
}

/// `chromedriver` as a child process on a free loopback port. Stop it with ``stop()`` whatever happens
/// (``ChromeDriver/with(_:)`` does).
final class ChromeDriver: @unchecked Sendable {
    let port: Int
    let base: String
    let logPath: String
    private let process: ChildProcess
    let http: HTTPClient
    /// Sessions not closed yet: ``stop()`` closes them first, since a browser whose driver is gone keeps running.
    private let lock = NSLock()
    private var openSessions: Set<String> = []

    private init(port: Int, logPath: String, process: ChildProcess, http: HTTPClient) {
        self.port = port
        self.base = "http://127.0.0.1:\(port)"
        self.logPath = logPath
        self.process = process
        self.http = http
    }

    /// Starts chromedriver, runs `body`, and stops chromedriver (and with it any browser left open) afterwards.
    static func with<R>(_ body: (ChromeDriver) async throws -> R) async throws -> R {
        let driver = try await start()
        do {
            let result = try await body(driver)
            await driver.stop()
            return result
        } catch {
            await driver.stop()
            throw error
        }
    }

    static func start() async throws -> ChromeDriver {
        try BrowserTools.check()
        let port = try QuorumProcess.freePort()
        let logPath = NSTemporaryDirectory() + "quorum-chromedriver-\(getpid())-\(port).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: BrowserTools.chromedriver)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-path=\(logPath)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let driver = ChromeDriver(port: port, logPath: logPath, process: process, http: http)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let status = try? await driver.request(.GET, "/status"), let value = status as? [String: Any], value["ready"] as? Bool == true {
                return driver
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await driver.stop()
        throw WebDriverError(description: "chromedriver did not become ready on port \(port); its log: \(logPath)")
    }

    func stop() async {
        for id in lock.withLock({ openSessions }) { await WebDriverSession(driver: self, id: id).close() }
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? await http.shutdown()
    }

    /// Whether session `id` was still open (it no longer counts as open).
    func closing(_ id: String) -> Bool {
        lock.withLock { openSessions.remove(id) != nil }
    }

    /// One W3C WebDriver command; returns the response's `value`, or throws the driver's error.
    @discardableResult
    func request(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, timeout: Int64 = 90) async throws -> Any {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(timeout))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes), options: [.fragmentsAllowed])) as? [String: Any]
        let value: Any = json?["value"] ?? NSNull()
        guard (200..<300).contains(response.status.code) else {
            let detail = value as? [String: Any]
            throw WebDriverError(description: "WebDriver \(method) \(path): \(response.status.code) "
                + "\(detail?["error"] as? String ?? "") \(detail?["message"] as? String ?? String(buffer: bytes).prefix(500).description)")
        }
        return value
    }

    /// A fresh headless Chromium (its own temporary profile: no cookies), closed after `body` whatever happens.
    /// `prefs`: Chromium profile preferences for this session (e.g. `profile.cookie_controls_mode`).
    func withSession<R>(prefs: [String: Any] = [:], _ body: (WebDriverSession) async throws -> R) async throws -> R {
        let session = try await newSession(prefs: prefs)
        do {
            let result = try await body(session)
            await session.close()
            return result
        } catch {
            await session.close()
            throw error
        }
    }

    func newSession(prefs: [String: Any] = [:]) async throws -> WebDriverSession {
        var chromeOptions: [String: Any] = [
            "binary": BrowserTools.chromium,
            // As root Chromium needs --no-sandbox; /dev/shm is small in containers.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1024", "--no-first-run", "--no-default-browser-check",
                     "--disable-extensions", "--disable-background-networking", "--lang=en-GB"],
        ]
        if !prefs.isEmpty { chromeOptions["prefs"] = prefs }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": ["implicit": 0, "pageLoad": 60_000, "script": 30_000],
                    // The console (CSP violations, failed loads) is read back with ``WebDriverSession/browserLog()``.
                    "goog:loggingPrefs": ["browser": "ALL"],
                    "goog:chromeOptions": chromeOptions,
                ] as [String: Any],
            ],
        ]
        let value = try await request(.POST, "/session", capabilities, timeout: 120)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            throw WebDriverError(description: "no session id in \(value)")
        }
        lock.withLock { _ = openSessions.insert(id) }
        return WebDriverSession(driver: self, id: id)
    }
}

/// One browser window driven over WebDriver.
struct WebDriverSession: Sendable {
    struct Element: Sendable {
        let id: String
    }

    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let driver: ChromeDriver
    let id: String

    private func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        try await driver.request(method, "/session/\(id)\(path)", body)
    }

    func close() async {
        guard driver.closing(id) else { return }
        _ = try? await driver.request(.DELETE, "/session/\(id)", timeout: 30)
    }

    func navigate(_ url: String) async throws {
        try await command(.POST, "/url", ["url": url])
    }

    var currentURL: String {
        get async throws { try await command(.GET, "/url") as? String ?? "" }
    }

    var title: String {
        get async throws { try await command(.GET, "/title") as? String ?? "" }
    }

    var pageSource: String {
        get async throws { try await command(.GET, "/source") as? String ?? "" }
    }

    func find(_ css: String) async throws -> Element {
        let value = try await command(.POST, "/element", ["using": "css selector", "value": css])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else {
            throw WebDriverError(description: "no element for \(css)")
        }
        return Element(id: id)
    }

    func findAll(_ css: String) async throws -> [Element] {
        let value = try await command(.POST, "/elements", ["using": "css selector", "value": css])
        return (value as? [[String: Any]] ?? []).compactMap { ($0[Self.elementKey] as? String).map(Element.init(id:)) }
    }

    func click(_ element: Element) async throws {
        try await command(.POST, "/element/\(element.id)/click", [:])
    }

    func click(_ css: String) async throws {
        try await click(try await find(css))
    }

    func type(_ text: String, into element: Element) async throws {
        try await command(.POST, "/element/\(element.id)/value", ["text": text])
    }

    func type(_ text: String, into css: String) async throws {
        try await type(text, into: try await find(css))
    }

    func clear(_ css: String) async throws {
        try await command(.POST, "/element/\(try await find(css).id)/clear", [:])
    }

    func text(_ element: Element) async throws -> String {
        try await command(.GET, "/element/\(element.id)/text") as? String ?? ""
    }

    func text(_ css: String) async throws -> String {
        try await text(try await find(css))
    }

    /// `POST /execute/sync`: runs `script` as a function body in the page and returns its result.
    @discardableResult
    func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any {
        try await command(.POST, "/execute/sync", ["script": script, "args": arguments])
    }

    /// The browser console's entries since the last call (chromedriver's log endpoint): level and message.
    func browserLog() async throws -> [(level: String, message: String)] {
        let value = try await command(.POST, "/se/log", ["type": "browser"])
        return (value as? [[String: Any]] ?? []).map { ($0["level"] as? String ?? "", $0["message"] as? String ?? "") }
    }

    /// A PNG of the viewport.
    func screenshot() async throws -> Data {
        guard let base64 = try await command(.GET, "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(description: "no screenshot data")
        }
        return data
    }

    /// Polls until `condition` holds (pages submitted by a click may still be loading), or fails saying `what`.
    func wait(for what: String, timeout: Double = 30, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        while Date() < deadline {
            do {
                if try await condition() { return }
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let url = (try? await currentURL) ?? "?"
        throw WebDriverError(description: "timed out waiting for \(what) (at \(url))\(lastError.map { "; last error: \($0)" } ?? "")")
    }

    /// Waits until the page at a URL whose path matches `pattern` (a regular expression) has loaded.
    func waitForPath(_ pattern: String, timeout: Double = 30) async throws {
        try await wait(for: "a page matching \(pattern)", timeout: timeout) {
            let url = try await currentURL
            let path = URLComponents(string: url).map { $0.path + ($0.query.map { "?" + $0 } ?? "") } ?? url
            guard path.range(of: pattern, options: .regularExpression) != nil else { return false }
            return try await execute("return document.readyState") as? String == "complete"
        }
    }

    /// The visible text of the whole page.
    var bodyText: String {
        get async throws { try await text("body") }
    }
}

/// Saves a numbered PNG per step under one folder: `QUORUM_BROWSER_SCREENSHOTS/NAME` if set, otherwise
/// `.build/browser-screenshots/NAME` in the package. The folder is emptied when a run starts.
final class Screenshots: @unchecked Sendable {
    let folder: URL
    private var count = 0
    private let lock = NSLock()

    init(_ name: String) throws {
        let root: URL
        if let path = ProcessInfo.processInfo.environment["QUORUM_BROWSER_SCREENSHOTS"], !path.isEmpty {
            root = URL(fileURLWithPath: path)
        } else {
            root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/browser-screenshots")
        }
        folder = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        print("Browser screenshots: \(folder.path)")
    }

    func save(_ session: WebDriverSession, _ step: String) async throws {
        let data = try await session.screenshot()
        let number = lock.withLock { count += 1; return count }
        let name = String(format: "%02d-%@.png", number, step)
        try data.write(to: folder.appendingPathComponent(name))
    }
}
