import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process (a server under test, a Python stand-in, chromedriver), with the part of `Foundation.Process`'s
/// interface the tests use.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) lists `/proc/self/fd` to close inherited descriptors and
/// copies each directory entry's full 256-byte name field, reading past the end of glibc's buffer: now and then
/// that is an unmapped page and the whole test process crashes (swift-corelibs-foundation pull request 5472,
/// fixed after 6.3.1). A test process with hundreds of sockets open hits it. This spawns with `posix_spawn`
/// and has the child close every descriptor from 3 up (`posix_spawn_file_actions_addclosefrom_np`), as
/// swift-subprocess does. It keeps `Process`'s own choices (a process group of its own, the parent's copy of the
/// child's end of a pipe closed after the spawn, `FileHandle.nullDevice` as `/dev/null`) and, unlike it, starts
/// the child with default signal dispositions and no signal blocked.
public final class ChildProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String] = []
    /// The child's whole environment; the parent's when nil.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// Each a `Pipe` or a `FileHandle`; nil inherits the parent's.
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?

    private let lock = NSLock()
    private var pid: pid_t = 0
    private var exitStatus: Int32?

    public struct SpawnError: Error, CustomStringConvertible {
        public let call: String
        public let code: Int32
        public var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    public init() {}

    public var processIdentifier: Int32 { lock.withLock { pid } }

    public func run() throws {
        guard let executable = executableURL?.path else { throw SpawnError(call: "posix_spawn (no executable)", code: ENOENT) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var closeAfterSpawn: [FileHandle] = []
        func connect(_ stream: Any?, to target: Int32, childReads: Bool) throws {
            switch stream {
            case let pipe as Pipe:
                // The child's end of the pipe becomes its descriptor `target`.
                let end = childReads ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                try check("adddup2", posix_spawn_file_actions_adddup2(&actions, end.fileDescriptor, target))
                closeAfterSpawn.append(end)
            case let handle as FileHandle where handle === FileHandle.nullDevice:
                try check("addopen", posix_spawn_file_actions_addopen(&actions, target, "/dev/null", childReads ? O_RDONLY : O_WRONLY, 0))
            case let handle as FileHandle:
                try check("adddup2", posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target))
            default:
                break
            }
        }
        try connect(standardInput, to: 0, childReads: true)
        try connect(standardOutput, to: 1, childReads: false)
        try connect(standardError, to: 2, childReads: false)
        try check("addclosefrom_np", GlibcSpawn.addCloseFrom(&actions, 3))
        if let directory = currentDirectoryURL?.path {
            try check("addchdir_np", GlibcSpawn.addChdir(&actions, directory))
        }
        // Signals start at their defaults and unblocked, whatever the test process ignores or blocks: an ignored
        // signal stays ignored across exec (a child would then outlive terminate()).
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        try check("setsigdefault", posix_spawnattr_setsigdefault(&attributes, &all))
        try check("setsigmask", posix_spawnattr_setsigmask(&attributes, &none))
        try check("setflags", posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)))

        let environment = (self.environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        try check("posix_spawn", posix_spawn(&child, executable, &actions, &attributes, argv, envp))
        lock.withLock { pid = child }
        // The child has its copies; the parent's would keep a pipe open (no end of file for the reader).
        for handle in closeAfterSpawn { try? handle.close() }
    }

    private func check(_ call: String, _ result: Int32) throws {
        if result != 0 { throw SpawnError(call: call, code: result) }
    }

    /// Whether the child is still running (reaping it when it has ended).
    public var isRunning: Bool {
        lock.withLock {
            guard pid > 0 else { return false }
            if exitStatus != nil { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result == -1 && errno == ECHILD) {
                exitStatus = result == pid ? status : 0
                return false
            }
            return true
        }
    }

    /// The exit code, or the number of the signal that ended it.
    public var terminationStatus: Int32 {
        let status = lock.withLock { exitStatus } ?? 0
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// SIGTERM.
    public func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    /// Waits (blocking the calling thread) until the child has ended.
    public func waitUntilExit() {
        while isRunning { usleep(5_000) }
    }
}

/// glibc's spawn extensions (2.29 and 2.34), which Swift's Glibc module does not declare: looked up by name.
private enum GlibcSpawn {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Chdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let addCloseFrom: CloseFrom = look("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: Chdir = look("posix_spawn_file_actions_addchdir_np")

    private static func look<F>(_ name: String) -> F {
        guard let symbol = dlsym(nil, name) else { fatalError("glibc has no \(name) (2.34 or later needed)") }
        return unsafeBitCast(symbol, to: F.self)
    }
}
