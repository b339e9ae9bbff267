import NIOPosix

/// Work that blocks its thread (a file written and synced, a file read whole), run on NIO's thread pool.
///
/// Swift concurrency has as many threads as the machine has cores, shared by every request: one blocked in
/// `fsync` on a busy disk holds up every request in the process until it returns.
public enum BlockingWork {
    public static func run<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
