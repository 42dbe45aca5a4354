import StrataFormat
import StrataIO

/// `aggregate: {name: http_requests, window: 1m, group_by: [service, status], sum: [bytes], avg: [latency_ms]}`
/// — counts entries (and sums/averages numeric fields) per group in tumbling wall-clock
/// windows; each closed window is published as metric samples (the Prometheus exporter
/// serves the latest closed window). Entries pass through unchanged.
///
/// Invariants: a window is closed by the first batch at or after its end (or by `samples(now:)`),
/// so a quiet pipeline still publishes; at most `maxSeries` groups per window — further groups
/// are counted under the label value `__other__`, so cardinality cannot explode.
public final class AggregateStage: PipelineStage, @unchecked Sendable {
    public let kind = "aggregate"
    public let name: String
    public let windowNanos: Int64
    public let groupBy: [String]
    let sums: [String]
    let avgs: [String]
    static let maxSeries = 10_000

    struct Accumulator { var count = 0; var sums: [Double]; var avgSums: [Double]; var avgCounts: [Int] }

    private let lock = ConditionLock()
    private var windowStart: Int64 = .min
    private var current: [[String]: Accumulator] = [:]
    private var published: [MetricSample] = []
    /// Running totals since start per group (count and sums), bounded like a window.
    private var running: [[String]: (count: Int, sums: [Double])] = [:]

    init(name: String, windowNanos: Int64, groupBy: [String], sums: [String], avgs: [String]) {
        self.name = name
        self.windowNanos = max(windowNanos, 1_000_000)
        self.groupBy = groupBy
        self.sums = sums
        self.avgs = avgs
    }

    public func process(_ entries: inout [LogEntry], now: Int64) {
        lock.lock()
        defer { lock.unlock() }
        roll(now)
        for e in entries {
            var labels = groupBy.map { e.text(of: $0) ?? "" }
            if current[labels] == nil && current.count >= AggregateStage.maxSeries { labels = groupBy.map { _ in "__other__" } }
            var a = current[labels] ?? Accumulator(sums: Array(repeating: 0, count: sums.count), avgSums: Array(repeating: 0, count: avgs.count), avgCounts: Array(repeating: 0, count: avgs.count))
            a.count += 1
            for (i, f) in sums.enumerated() { if let v = AggregateStage.number(e.field(f)) { a.sums[i] += v } }
            for (i, f) in avgs.enumerated() { if let v = AggregateStage.number(e.field(f)) { a.avgSums[i] += v; a.avgCounts[i] += 1 } }
            current[labels] = a
            var labelsTotal = groupBy.map { e.text(of: $0) ?? "" }
            if running[labelsTotal] == nil && running.count >= AggregateStage.maxSeries { labelsTotal = groupBy.map { _ in "__other__" } }
            var t = running[labelsTotal] ?? (0, Array(repeating: 0, count: sums.count))
            t.count += 1
            for (i, f) in sums.enumerated() { if let v = AggregateStage.number(e.field(f)) { t.sums[i] += v } }
            running[labelsTotal] = t
        }
    }

    /// Running totals since start: `count` and `sum_<field>` per group (for Prometheus counters,
    /// which `rate()` turns into per-second values whatever the window).
    public func totals() -> [MetricSample] {
        lock.lock()
        defer { lock.unlock() }
        var out: [MetricSample] = []
        for (labels, t) in running.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let l = Array(zip(groupBy, labels))
            out.append(MetricSample(name: name, stat: "count", labels: l, value: Double(t.count), windowEndNanos: 0))
            for (i, f) in sums.enumerated() { out.append(MetricSample(name: name, stat: "sum_" + f, labels: l, value: t.sums[i], windowEndNanos: 0)) }
        }
        return out
    }

    /// The samples of the latest closed window (closing the current one first if `now` is past it).
    public func samples(now: Int64) -> [MetricSample] {
        lock.lock()
        defer { lock.unlock() }
        roll(now)
        return published
    }

    private func roll(_ now: Int64) {
        let start = now - ((now % windowNanos) + windowNanos) % windowNanos
        if windowStart == .min { windowStart = start; return }
        guard start > windowStart else { return }
        // The window that just ended becomes the published one; a gap of idle windows publishes empty.
        let ended = windowStart + windowNanos
        var out: [MetricSample] = []
        if ended == start {
            for (labels, a) in current.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                let l = Array(zip(groupBy, labels))
                out.append(MetricSample(name: name, stat: "count", labels: l, value: Double(a.count), windowEndNanos: ended))
                for (i, f) in sums.enumerated() { out.append(MetricSample(name: name, stat: "sum_" + f, labels: l, value: a.sums[i], windowEndNanos: ended)) }
                for (i, f) in avgs.enumerated() where a.avgCounts[i] > 0 {
                    out.append(MetricSample(name: name, stat: "avg_" + f, labels: l, value: a.avgSums[i] / Double(a.avgCounts[i]), windowEndNanos: ended))
                }
            }
        }
        published = out
        current.removeAll(keepingCapacity: true)
        windowStart = start
    }

    /// A finite number from a field (NaN or infinity would poison running totals for good).
    static func number(_ v: FieldValue?) -> Double? {
        let d: Double?
        switch v {
        case .int(let i): d = Double(i)
        case .float(let f): d = f
        case .string(let s): d = Double(s)
        default: d = nil
        }
        guard let d, d.isFinite else { return nil }
        return d
    }
}

/// One value of an aggregate over one closed window.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    /// `count`, `sum_<field>` or `avg_<field>`.
    public var stat: String
    public var labels: [(String, String)]
    public var value: Double
    public var windowEndNanos: Int64

    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        a.name == b.name && a.stat == b.stat && a.value == b.value && a.windowEndNanos == b.windowEndNanos
            && a.labels.count == b.labels.count && zip(a.labels, b.labels).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}
