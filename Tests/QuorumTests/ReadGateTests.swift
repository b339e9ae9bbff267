import Foundation
import Testing
@testable import Accounts
@testable import Comments
@testable import Publishing
@testable import QuorumApp
@testable import QuorumBus
@testable import QuorumStore
@testable import QuorumWeb

/// The bound on expensive reads: a few run, a few wait (for a while), the rest are refused with 503 at once.
@Suite("Expensive-read gate")
struct ReadGateTests {
    /// Holds a slot until `release` is called.
    final class Latch: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Void, Never>?
        private var opened = false
        func wait() async {
            await withCheckedContinuation { c in
                lock.lock()
                if opened { lock.unlock(); c.resume() } else { continuation = c; lock.unlock() }
            }
        }
        func open() {
            lock.lock(); opened = true; let c = continuation; continuation = nil; lock.unlock()
            c?.resume()
        }
    }

    @Test func beyondTheRunningAndTheWaitingReadsAreRefusedAtOnce() async throws {
        let gate = ReadGate(limit: 1, queue: 1, wait: .seconds(30))
        let latch = Latch()
        let holder = Task { try await gate.run { await latch.wait(); return 1 } }
        try await Task.sleep(for: .milliseconds(100))
        let waiter = Task { try await gate.run { 2 } }
        try await Task.sleep(for: .milliseconds(100))
        let started = Date()
        await #expect(throws: DatabaseBusyError.self) { try await gate.run { 3 } }
        #expect(Date().timeIntervalSince(started) < 0.5, "refused without waiting")
        latch.open()
        #expect(try await holder.value == 1)
        #expect(try await waiter.value == 2, "the waiting read ran once the slot was free")
        #expect(try await gate.run { 4 } == 4)
    }

    @Test func aWaitingReadGivesUpAfterItsTime() async throws {
        let gate = ReadGate(limit: 1, queue: 4, wait: .milliseconds(200))
        let latch = Latch()
        let holder = Task { try await gate.run { await latch.wait(); return 1 } }
        try await Task.sleep(for: .milliseconds(100))
        let started = Date()
        await #expect(throws: DatabaseBusyError.self) { try await gate.run { 2 } }
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.15 && waited < 5, "waited \(waited) s")
        latch.open()
        #expect(try await holder.value == 1)
        #expect(try await gate.run { 3 } == 3, "the slot came back")
    }
}
