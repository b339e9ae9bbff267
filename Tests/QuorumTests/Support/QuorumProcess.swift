import Foundation
import NIOConcurrencyHelpers
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import NIOPosix
import Testing
import TestSupport

/// Runs the built `quorum` binary as a separate process, the way an operator would.
struct QuorumProcess {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The binary built next to the tests (`swift build` puts both in the same folder), or `QUORUM_BINARY`.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["QUORUM_BINARY"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/quorum").path
    }

    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUORUM_") }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Runs to completion (killed after `timeout` seconds) and returns its status and output. The waiting is done
    /// on a thread of its own (``onOwnThread(_:)``).
    static func run(_ arguments: [String], environment extra: [String: String] = [:], directory: String? = nil, timeout: Double = 60) async throws -> Result {
        try await onOwnThread { try runBlocking(arguments, environment: extra, directory: directory, timeout: timeout) }
    }

    private static func runBlocking(_ arguments: [String], environment extra: [String: String], directory: String?, timeout: Double) throws -> Result {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment(extra)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        // Read both pipes while waiting so a chatty process cannot block on a full pipe.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts a long-running process (a server) and returns it; the caller stops it.
    static func start(_ arguments: [String], environment extra: [String: String] = [:], directory: String? = nil, log: String) throws -> ChildProcess {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment(extra)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// A TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        // The kernel may hand a just-closed port to the next bind of port 0: then two tests running at once would
        // start servers on one port, the second would fail to bind, and its health check would reach the first.
        // A port is given out once per test run.
        for _ in 0..<50 {
            let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0).wait()
            let port = channel.localAddress!.port!
            try channel.close().wait()
            if handedOut.withLockedValue({ $0.insert(port).inserted }) { return port }
        }
        throw TimeoutError(what: "a port not given out before")
    }

    private static let handedOut = NIOLockedValueBox<Set<Int>>([])

    /// Waits until `url` answers 200, or fails after `timeout` seconds.
    static func waitUntilServing(_ url: String, timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!),
               (response as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TimeoutError(what: url)
    }

    struct TimeoutError: Error { let what: String }
}
