import Foundation
import StrataAgent
import StrataFormat

/// A sink for tests: keeps every batch, wakes waiters on each, and can refuse batches (the
/// agent is stopping) or hold them (back-pressure) until opened.
final class CollectingSink: AgentEntrySink, @unchecked Sendable {
    private let condition = NSCondition()
    private var batchList: [[LogEntry]] = []
    private var refusing = false
    private var gateClosed = false
    private var waitingInAccept = 0

    init(refusing: Bool = false, gateClosed: Bool = false) {
        self.refusing = refusing
        self.gateClosed = gateClosed
    }

    func accept(_ entries: [LogEntry]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        waitingInAccept += 1
        condition.broadcast()
        while gateClosed { condition.wait() }
        waitingInAccept -= 1
        if refusing { return false }
        batchList.append(entries)
        condition.broadcast()
        return true
    }

    var batches: [[LogEntry]] { condition.withLock { batchList } }
    var entries: [LogEntry] { batches.flatMap { $0 } }

    /// Lets held `accept` calls (and later ones) through.
    func openGate() {
        condition.withLock {
            gateClosed = false
            condition.broadcast()
        }
    }

    /// Waits until `predicate` holds over the received entries, or `seconds` pass.
    @discardableResult
    func wait(seconds: Double = 10, until predicate: ([LogEntry]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(batchList.flatMap { $0 }) {
            if !condition.wait(until: deadline) { return predicate(batchList.flatMap { $0 }) }
        }
        return true
    }

    /// Waits until at least `count` entries arrived; returns them (fails the caller's `#require` if not).
    func waitForEntries(_ count: Int, seconds: Double = 10) -> [LogEntry]? {
        wait(seconds: seconds) { $0.count >= count } ? entries : nil
    }

    /// Waits until an `accept` call is blocked on the closed gate.
    func waitUntilHeld(seconds: Double = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while waitingInAccept == 0 {
            if !condition.wait(until: deadline) { return waitingInAccept > 0 }
        }
        return true
    }
}
