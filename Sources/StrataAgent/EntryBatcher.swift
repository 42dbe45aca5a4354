import StrataIO
import StrataFormat

/// Collects one thread's entries and hands them to the sink in batches: when `maxEntries` are
/// waiting, or when the oldest has waited `lingerMillis`. The owning thread asks
/// `millisUntilDue()` how long it may block on its socket before calling `flushIfDue()`.
struct EntryBatcher {
    let sink: AgentEntrySink
    let maxEntries: Int
    let lingerMillis: Int
    private var entries: [LogEntry] = []
    /// Monotonic time the oldest waiting entry arrived.
    private var oldestMillis: Int64 = 0
    /// False once the sink refused a batch: the agent is stopping.
    private(set) var sinkOpen = true

    init(sink: AgentEntrySink, maxEntries: Int, lingerMillis: Int) {
        precondition(maxEntries > 0 && lingerMillis >= 0, "BUG: batch of \(maxEntries) entries, \(lingerMillis) ms")
        self.sink = sink
        self.maxEntries = maxEntries
        self.lingerMillis = lingerMillis
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Adds one entry; hands the batch over when it is full.
    /// - Returns: false once the sink refused a batch (stop reading).
    mutating func append(_ entry: LogEntry) -> Bool {
        if entries.isEmpty { oldestMillis = Int64(monotonicNanos() / 1_000_000) }
        entries.append(entry)
        return entries.count >= maxEntries ? flush() : sinkOpen
    }

    /// How long the owner may wait before `flushIfDue()` has work: -1 (no limit) when empty.
    func millisUntilDue() -> Int {
        guard !entries.isEmpty else { return -1 }
        return Int(max(0, oldestMillis + Int64(lingerMillis) - Int64(monotonicNanos() / 1_000_000)))
    }

    /// Hands the batch over if its oldest entry has waited `lingerMillis`.
    /// - Returns: false once the sink refused a batch.
    @discardableResult
    mutating func flushIfDue() -> Bool {
        millisUntilDue() == 0 ? flush() : sinkOpen
    }

    /// Hands whatever is waiting to the sink (blocking while the sink applies back-pressure).
    /// - Returns: false once the sink refused a batch.
    @discardableResult
    mutating func flush() -> Bool {
        guard !entries.isEmpty else { return sinkOpen }
        let batch = entries
        entries.removeAll(keepingCapacity: true)
        guard sinkOpen else { return false }
        sinkOpen = sink.accept(batch)
        return sinkOpen
    }
}
