import Foundation

/// Runs blocking work (waiting for a process, reading a pipe or a socket) on a thread of its own.
///
/// Swift concurrency has as many threads as the machine has cores, and every test and every server under test
/// in the run shares them: a test blocked on one of them (two on a two-core machine) stalls every request in
/// flight, which then times out in tests that have nothing to do with it.
public func onOwnThread<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
