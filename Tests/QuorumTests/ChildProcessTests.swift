import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// The tests' own process spawner: what every server, stand-in and browser driver in the suite is started with.
@Suite("Child processes for the tests")
struct ChildProcessTests {
    static func shell(_ script: String, environment: [String: String]? = nil, directory: String? = nil) async throws -> (status: Int32, out: String, err: String) {
        try await onOwnThread {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            process.environment = environment
            if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let output = out.fileHandleForReading.readDataToEndOfFile()
            let errors = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
        }
    }

    /// Output and errors through pipes (both reach end of file), the exit code, the environment and the folder.
    @Test func pipesStatusEnvironmentAndFolder() async throws {
        let result = try await Self.shell("echo out; echo err >&2; echo \"$GREETING\"; pwd; read line; echo \"[$line]\"; exit 3",
                                          environment: ["GREETING": "hello there", "PATH": "/usr/bin:/bin"], directory: "/tmp")
        #expect(result.status == 3)
        #expect(result.out == "out\nhello there\n/tmp\n[]\n")
        #expect(result.err == "err\n")
    }

    /// The child inherits only its three standard descriptors, however many the test process has open.
    @Test func onlyTheStandardDescriptorsAreInherited() async throws {
        let held = (0..<20).map { _ in open("/dev/null", O_RDONLY) }
        defer { held.forEach { close($0) } }
        let result = try await Self.shell("ls /proc/self/fd")
        // 0, 1, 2 and the descriptor ls opens to read the folder.
        let listed = result.out.split(separator: "\n").compactMap { Int($0) }.sorted()
        #expect(listed.count == 4 && Array(listed.prefix(3)) == [0, 1, 2], "\(listed)")
    }

    /// A running child is seen running, ends on terminate() and reports the signal; a missing program is an error.
    @Test func terminateAndMissingProgram() async throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        #expect(process.processIdentifier > 0)
        #expect(process.isRunning)
        process.terminate()
        try await onOwnThread { process.waitUntilExit() }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == SIGTERM)

        let missing = ChildProcess()
        missing.executableURL = URL(fileURLWithPath: "/nonexistent/program")
        #expect(throws: ChildProcess.SpawnError.self) { try missing.run() }
    }
}
