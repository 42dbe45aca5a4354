import StrataFormat

/// One step of a pipeline: it rewrites, enriches, drops or observes a batch of entries in place.
///
/// Invariants: a stage never reorders the entries it keeps; stateful stages (sampling, rate
/// limits, deduplication, aggregation) are safe to call from several threads at once; `now` is
/// the wall-clock time of the batch in nanoseconds, so tests can drive time.
public protocol PipelineStage: AnyObject, Sendable {
    /// The processor's kind as written in the configuration (`rename`, `geoip`, …).
    var kind: String { get }
    func process(_ entries: inout [LogEntry], now: Int64)
}

/// A stage built from a closure over one entry at a time; returning false drops the entry.
final class EntryStage: PipelineStage {
    let kind: String
    let body: @Sendable (inout LogEntry) -> Bool

    init(_ kind: String, _ body: @escaping @Sendable (inout LogEntry) -> Bool) {
        self.kind = kind
        self.body = body
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        // Entries are changed in place (no copy, no retain of their strings); only a dropped
        // entry makes later ones move down.
        var w = 0
        for r in entries.indices {
            guard body(&entries[r]) else { continue }
            if w != r { entries.swapAt(w, r) }
            w += 1
        }
        entries.removeLast(entries.count - w)
    }
}
