import Foundation
import Metrics
import NIOConcurrencyHelpers

/// A bound on reads that may take a while (a thread page rendered from the database): at most `limit` run at
/// once, at most `queue` more wait their turn, and those wait at most `wait`. Anything beyond is refused at once
/// with ``DatabaseBusyError`` (503, `Retry-After`), so a flood of them can neither hold every pooled connection
/// nor every thread: `/healthz`, writes and cached pages always find room.
package final class ReadGate: Sendable {
    let limit: Int
    let queue: Int
    let wait: Duration
    private struct State {
        var running = 0
        var waiting: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID: UInt64 = 0
    }
    private let state = NIOLockedValueBox(State())
    private let refused = Counter(label: "quorum_expensive_reads_refused")

    package init(limit: Int, queue: Int, wait: Duration = .seconds(2)) {
        self.limit = max(1, limit)
        self.queue = max(0, queue)
        self.wait = wait
    }

    package func run<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        try await enter()
        defer { leave() }
        return try await body()
    }

    private enum Entry { case admitted, refused, wait(UInt64) }

    private func enter() async throws {
        let entry: Entry = state.withLockedValue { state in
            if state.running < limit {
                state.running += 1
                return .admitted
            }
            guard state.waiting.count < queue else { return .refused }
            state.nextID &+= 1
            return .wait(state.nextID)
        }
        switch entry {
        case .admitted: return
        case .refused:
            refused.increment()
            throw DatabaseBusyError()
        case .wait(let id):
            let wait = self.wait
            let timeout = Task { [weak self] in
                try await Task.sleep(for: wait)
                self?.giveUp(id)
            }
            let admitted = await withCheckedContinuation { continuation in
                state.withLockedValue { state in
                    // A slot may have come free between the first look and now.
                    if state.running < limit {
                        state.running += 1
                        continuation.resume(returning: true)
                    } else {
                        state.waiting.append((id, continuation))
                    }
                }
            }
            timeout.cancel()
            guard admitted else {
                refused.increment()
                throw DatabaseBusyError()
            }
        }
    }

    /// A waiter whose time is up leaves the queue, refused.
    private func giveUp(_ id: UInt64) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiting.remove(at: index).continuation
        }
        continuation?.resume(returning: false)
    }

    /// The slot goes to the longest waiter, if any.
    private func leave() {
        let next = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}

/// Too many expensive reads are running: the request is refused rather than queued without end. The web layer
/// answers it with 503 and `Retry-After`.
public struct DatabaseBusyError: Error, Sendable, Equatable {
    public let retryAfterSeconds = 1
    public init() {}
}
