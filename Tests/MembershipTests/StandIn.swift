import AsyncHTTPClient
import Foundation
import NIOCore
@testable import Payments
import TestSupport

/// A provider stand-in from scripts/standins, started on a free loopback port for one test.
final class StandIn: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    static var scripts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/standins")
    }

    init(_ script: String, _ arguments: [String]) async throws {
        let p = ChildProcess()
        // The interpreter on PATH (where pip installed `stripe`), or QUORUM_PYTHON, as the SMTP sink does.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [ProcessInfo.processInfo.environment["QUORUM_PYTHON"] ?? "python3", "-u",
                       StandIn.scripts.appendingPathComponent(script).path] + arguments
        let out = Pipe()
        let input = Pipe()
        p.standardOutput = out
        // The stand-in exits when this pipe closes, whatever becomes of signals.
        p.standardInput = input
        try p.run()
        let handle = out.fileHandleForReading
        // Python and Stripe's library take a moment to load: the wait is not done on a thread the tests share.
        let line = try await onOwnThread {
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            return line
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let portText = text.split(separator: "\n").first?.split(separator: " ").last, let port = Int(portText) else {
            p.terminate()
            throw PaymentError.transport("stand-in \(script) did not start: \(text)")
        }
        self.process = p
        self.port = port
        self.input = input
    }

    let input: Pipe

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        // The last reference may go on one of Swift concurrency's few threads: the stand-in is reaped on a thread
        // of its own, never waited for there.
        let process = process
        Thread.detachNewThread { process.waitUntilExit() }
    }

    /// Calls a control endpoint with a JSON body and returns the JSON answer.
    func control(_ path: String, _ body: [String: Any]? = nil) async throws -> JSONValue {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let response = try await AsyncHTTPTransport().send(OutgoingRequest(
            method: body == nil ? "GET" : "POST", url: base + path, headers: [("Content-Type", "application/json")],
            body: Array(data)))
        return try JSONValue.parse(response.body)
    }
}
