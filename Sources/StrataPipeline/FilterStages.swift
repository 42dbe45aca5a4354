import StrataFormat
import StrataIO
import StrataQuery

/// `drop: {query: "level:DEBUG"}` / `keep: {query: "service:api OR level:ERROR"}` — filters by
/// a query-language expression, evaluated a batch at a time with the search engine's matcher.
final class QueryFilterStage: PipelineStage {
    let kind: String
    let filter: EntryFilter
    let keepMatches: Bool

    init(kind: String, query: String, keepMatches: Bool, path: String) throws(PipelineConfigError) {
        self.kind = kind
        do { filter = try EntryFilter(query: query) } catch { throw PipelineConfigError.invalid(path: path + ".query", expected: "a filter query: \(error)") }
        self.keepMatches = keepMatches
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        let mask = filter.matchMask(entries)
        var w = 0
        for r in entries.indices where mask[r] == keepMatches {
            entries[w] = entries[r]
            w += 1
        }
        entries.removeLast(entries.count - w)
    }
}

/// `sample: {one_in: 10}` keeps every 10th entry (deterministic, counted across batches);
/// `sample: {per_second: 100}` keeps at most 100 entries per wall-clock second.
final class SampleStage: PipelineStage, @unchecked Sendable {
    let kind = "sample"
    let oneIn: Int
    let perSecond: Int
    private let lock = ConditionLock()
    private var counter = 0
    private var second: Int64 = .min
    private var keptThisSecond = 0

    init(oneIn: Int, perSecond: Int) {
        self.oneIn = oneIn
        self.perSecond = perSecond
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        lock.lock()
        defer { lock.unlock() }
        var w = 0
        let s = now / 1_000_000_000
        if s != second { second = s; keptThisSecond = 0 }
        for r in entries.indices {
            var keep = true
            if oneIn > 1 {
                keep = counter % oneIn == 0
                counter &+= 1
            }
            if keep && perSecond > 0 {
                keep = keptThisSecond < perSecond
                if keep { keptThisSecond += 1 }
            }
            if keep { entries[w] = entries[r]; w += 1 }
        }
        entries.removeLast(entries.count - w)
    }
}

/// `rate_limit: {key: service, per_second: 100, burst: 200}` — a token bucket per value of
/// `key` (one bucket when no key); entries over the limit are dropped and counted.
///
/// Invariant: the number of buckets is bounded (`maxKeys`); when full, the stalest half is
/// forgotten, so a high-cardinality key cannot grow memory without bound.
final class RateLimitStage: PipelineStage, @unchecked Sendable {
    let kind = "rate_limit"
    let key: String?
    let perSecond: Double
    let burst: Double
    static let maxKeys = 100_000
    private let lock = ConditionLock()
    private var buckets: [String: (tokens: Double, at: Int64)] = [:]
    private(set) var dropped = 0

    init(key: String?, perSecond: Double, burst: Double) {
        self.key = key
        self.perSecond = perSecond
        self.burst = max(burst, 1)
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        lock.lock()
        defer { lock.unlock() }
        var w = 0
        for r in entries.indices {
            let k = key.flatMap { entries[r].text(of: $0) } ?? ""
            var b = buckets[k] ?? (burst, now)
            b.tokens = min(burst, b.tokens + Double(max(0, now - b.at)) / 1e9 * perSecond)
            b.at = now
            if b.tokens >= 1 {
                b.tokens -= 1
                entries[w] = entries[r]
                w += 1
            } else {
                dropped += 1
            }
            buckets[k] = b
        }
        entries.removeLast(entries.count - w)
        if buckets.count > RateLimitStage.maxKeys {
            let keep = buckets.sorted { $0.value.at > $1.value.at }.prefix(RateLimitStage.maxKeys / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}

/// `dedup: {fields: [message, host], window: 10s}` — drops an entry whose values of `fields`
/// equal those of an entry kept less than `window` before (by entry time).
///
/// Invariant: memory is bounded by the entries seen within one window (older keys are evicted
/// on every batch) and by `maxKeys`.
final class DedupStage: PipelineStage, @unchecked Sendable {
    let kind = "dedup"
    let fields: [String]
    let windowNanos: Int64
    static let maxKeys = 1_000_000
    private let lock = ConditionLock()
    private var seen: [Int: Int64] = [:]
    private(set) var dropped = 0

    init(fields: [String], windowNanos: Int64) {
        self.fields = fields.isEmpty ? ["message"] : fields
        self.windowNanos = windowNanos
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        lock.lock()
        defer { lock.unlock() }
        var w = 0
        for r in entries.indices {
            var h = Hasher()
            for f in fields { h.combine(entries[r].text(of: f)) }
            let key = h.finalize()
            let t = entries[r].timestampNanos
            if let last = seen[key], t >= last, case let (gap, overflow) = t.subtractingReportingOverflow(last), !overflow, gap < windowNanos {
                dropped += 1
                continue
            }
            seen[key] = t
            entries[w] = entries[r]
            w += 1
        }
        entries.removeLast(entries.count - w)
        if seen.count > DedupStage.maxKeys / 2 {
            let newest = seen.values.max() ?? now
            let (oldest, overflow) = newest.subtractingReportingOverflow(windowNanos)
            seen = overflow ? seen : seen.filter { $0.value > oldest }
            if seen.count > DedupStage.maxKeys { seen.removeAll() }
        }
    }
}
