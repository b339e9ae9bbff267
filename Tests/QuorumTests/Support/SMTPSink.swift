import Foundation
import Logging
import Testing
import TestSupport

/// A real SMTP server for tests: `scripts/smtp-sink.py` (aiosmtpd) as a child process on a free loopback port.
/// Each test starts its own and stops it when done (`defer { sink.stop() }`).
///
/// Needs `python3` with `aiosmtpd` (pip install aiosmtpd); without them `start` throws a clear error.
/// `QUORUM_PYTHON` overrides the interpreter, `QUORUM_SMTP_SINK` the script path.
final class SMTPSink: @unchecked Sendable {
    struct Options {
        var startTLS = false
        var implicitTLS = false
        var auth: String? = nil  // "USER:PASS"
        var authMechanisms: String? = nil  // "LOGIN", "PLAIN,LOGIN"
        var rejectRecipients: [String] = []
        var failData: Int? = nil
        var noEHLO = false
        var host = "127.0.0.1"
        /// 0: the system picks a free port.
        var port = 0
    }

    /// One received message, as the sink wrote it.
    struct Message: Decodable {
        struct Auth: Decodable {
            let login: String
            let mechanism: String
        }

        let mail_from: String
        let rcpt_tos: [String]
        let mail_options: [String]
        let helo: String?
        let tls: Bool
        let auth: Auth?
        /// The data as received, after SMTP dot-unstuffing.
        let data: String
        /// Decoded headers, in order.
        let headers: [[String]]
        let raw_headers: [[String]]
        let subject: String?
        let from: String?
        let to: String?
        let content_type: String
        let defects: [String]
        /// The decoded text/plain part ("\n" line ends).
        let text: String?
        let html: String?

        func header(_ name: String) -> [String] {
            headers.filter { $0.first?.lowercased() == name.lowercased() }.map { $0.count > 1 ? $0[1] : "" }
        }
    }

    struct SinkError: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    let base: URL
    var mailDirectory: URL { base.appendingPathComponent("mail") }
    /// The sink's self-signed certificate (with STARTTLS or implicit TLS): trust it with `.certificateFile`.
    var certificatePath: String { mailDirectory.appendingPathComponent("sink-cert.pem").path }
    private let process: ChildProcess

    private init(port: Int, base: URL, process: ChildProcess) {
        self.port = port
        self.base = base
        self.process = process
    }

    static var python: String { ProcessInfo.processInfo.environment["QUORUM_PYTHON"] ?? "python3" }

    static var script: String {
        if let path = ProcessInfo.processInfo.environment["QUORUM_SMTP_SINK"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("scripts/smtp-sink.py").path
    }

    static func start(_ options: Options = Options()) async throws -> SMTPSink {
        try await onOwnThread { try checkPython() }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let stdout = base.appendingPathComponent("stdout")
        let stderr = base.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)

        var arguments = [script, "--host", options.host, "--port", String(options.port), "--dir", base.appendingPathComponent("mail").path]
        if options.startTLS { arguments.append("--starttls") }
        if options.implicitTLS { arguments.append("--implicit-tls") }
        if let auth = options.auth { arguments += ["--auth", auth] }
        if let mechanisms = options.authMechanisms { arguments += ["--auth-mechanisms", mechanisms] }
        for recipient in options.rejectRecipients { arguments += ["--reject-rcpt", recipient] }
        if let code = options.failData { arguments += ["--fail-data", String(code)] }
        if options.noEHLO { arguments.append("--no-ehlo") }

        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()

        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            let output = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("SMTP-SINK READY ") }),
               let port = line.split(separator: " ").last.flatMap({ Int($0) })
            {
                return SMTPSink(port: port, base: base, process: process)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let errors = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: base)
        throw SinkError(description: "the SMTP sink (\(script)) did not start: \(errors)")
    }

    /// Fails with an actionable message when python3 or aiosmtpd is missing (checked once per test run).
    static func checkPython() throws {
        try pythonCheck.get()
    }

    private static let pythonCheck: Result<Void, SinkError> = Result { () throws(SinkError) in try runPythonCheck() }

    private static func runPythonCheck() throws(SinkError) {
        let check = ChildProcess()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = [python, "-c", "import aiosmtpd"]
        let errors = Pipe()
        check.standardError = errors
        check.standardOutput = FileHandle.nullDevice
        do {
            try check.run()
        } catch {
            throw SinkError(description: "the SMTP tests need python3 with aiosmtpd (pip install aiosmtpd): \(error)")
        }
        check.waitUntilExit()
        guard check.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw SinkError(description: "the SMTP tests need python3 with aiosmtpd (pip install aiosmtpd); \(python) says: \(text)")
        }
    }

    /// Every message received so far, oldest first.
    func messages() throws -> [Message] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mailDirectory.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let data = try Data(contentsOf: mailDirectory.appendingPathComponent(name))
            return try JSONDecoder().decode(Message.self, from: data)
        }
    }

    /// The only message received; fails the test when there is not exactly one.
    func onlyMessage() throws -> Message {
        let all = try messages()
        guard all.count == 1 else {
            throw SinkError(description: "expected exactly one message, the sink has \(all.count)")
        }
        return all[0]
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: base)
    }
}

/// Collects every log line (message and metadata) so tests can check what never appears in logs.
struct SMTPTestLogHandler: LogHandler {
    final class Store: @unchecked Sendable {
        private let lock = NSLock()
        private var _lines: [String] = []

        var lines: [String] { lock.withLock { _lines } }
        func append(_ line: String) { lock.withLock { _lines.append(line) } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    init(store: Store) {
        self.store = store
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        store.append("\(event.level) \(event.message) \(rendered)")
    }

    static func logger() -> (Logger, Store) {
        let store = Store()
        var logger = Logger(label: "quorum.smtp.test") { _ in SMTPTestLogHandler(store: store) }
        logger.logLevel = .trace
        return (logger, store)
    }
}
