#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import StrataClient
import StrataFormat
import StrataIO

/// Runs a `PipelineSet` for a host (the server or `strata ingest`): entries in, the entries to
/// store out; entries routed elsewhere are delivered here — a `stream` output's entries are
/// stored with the field `stream` set, `stdout` prints NDJSON, `http` POSTs NDJSON to another
/// Strata's `/api/logs` on a background queue.
///
/// Invariants: delivery to external outputs never blocks the caller; their backlog is bounded
/// (`maxPendingBatches`), beyond which batches are dropped and counted in `droppedBatches`,
/// so a dead forward target cannot take the store down with it. Failed POSTs are counted in
/// `failedBatches` (the agent, not the pipeline, is the component that retries).
public final class PipelineRunner: @unchecked Sendable {
    public let set: PipelineSet
    /// When set, every entry goes through this pipeline whatever its filter (`strata ingest --pipeline`).
    public let only: Pipeline?
    static let maxPendingBatches = 64
    private let queue = DispatchQueue(label: "strata.pipeline.outputs")
    private let lock = ConditionLock()
    private var pending = 0
    private var dropped = 0
    private var failed = 0
    private var delivered = 0
    private var invalid = 0
    private var lastInvalidReason = ""
    let printLine: @Sendable ([UInt8]) -> Void

    /// `printLine` receives the NDJSON bytes for `stdout` outputs (standard output by default).
    public init(set: PipelineSet, only: Pipeline? = nil, printLine: @escaping @Sendable ([UInt8]) -> Void = { bytes in
        bytes.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let n = write(1, p.baseAddress! + off, p.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }) {
        self.set = set
        self.only = only
        self.printLine = printLine
    }

    /// Whether any pipeline is configured (hosts skip `run` otherwise).
    public var isActive: Bool { only != nil || !set.pipelines.isEmpty }

    /// Processes `entries` and returns those to append to the local store, in order. An entry
    /// routed to the store and to streams is stored once, with `stream` naming the first stream.
    public func run(_ entries: [LogEntry], now: Int64) -> [LogEntry] {
        guard isActive else { return entries }
        let (kept, destinations) = only.map { $0.processEach(entries, now: now) } ?? set.processEach(entries, now: now)
        var store: [LogEntry] = []
        var external: [String: [LogEntry]] = [:]
        var order: [String] = []
        for (e, outs) in zip(kept, destinations) {
            var stored = false
            var streamed = false
            var entry = e
            for name in outs {
                guard let spec = set.outputs[name] else { continue }
                switch spec.kind {
                case .store: stored = true
                case .stream(let stream):
                    if !streamed { entry.set("stream", .string(stream)) }
                    streamed = true
                    stored = true
                case .stdout, .http:
                    if external[name] == nil { order.append(name) }
                    external[name, default: []].append(e)
                }
            }
            if stored {
                // A pipeline can make an entry the store refuses (a parsed time outside the
                // supported years, a capture over the field limit): drop that one entry and
                // count it, never the batch it came with.
                if let reason = entry.validationError {
                    lock.lock(); invalid += 1; lastInvalidReason = reason; lock.unlock()
                    continue
                }
                store.append(entry)
            }
        }
        for name in order {
            guard let spec = set.outputs[name], let batch = external[name] else { continue }
            switch spec.kind {
            case .stdout:
                var out: [UInt8] = []
                for e in batch { LogEntryJSON.append(e, to: &out); out.append(0x0A) }
                printLine(out)
            case .http(let host, let port, let path):
                enqueue(batch, host: host, port: port, path: path)
            default: break
            }
        }
        return store
    }

    private func enqueue(_ batch: [LogEntry], host: String, port: Int, path: String) {
        let accepted: Bool = { lock.lock(); defer { lock.unlock() }
            guard pending < PipelineRunner.maxPendingBatches else { dropped += 1; return false }
            pending += 1
            return true
        }()
        guard accepted else { return }
        queue.async { [self] in
            var body: [UInt8] = []
            for e in batch { LogEntryJSON.appendForIngest(e, to: &body); body.append(0x0A) }
            var ok = false
            if let r = try? HTTPClient(host: host, port: port).post(path, body, headers: ["Content-Type": "application/x-ndjson"]) {
                ok = (200..<300).contains(r.status)
            }
            lock.lock()
            pending -= 1
            if ok { delivered += 1 } else { failed += 1 }
            lock.unlock()
        }
    }

    /// Counters of external deliveries: batches delivered, failed, dropped for backlog.
    public var deliveryCounts: (delivered: Int, failed: Int, dropped: Int) {
        lock.lock(); defer { lock.unlock() }
        return (delivered, failed, dropped)
    }

    /// Entries dropped because the pipeline's result could not be stored, and the latest reason.
    public var invalidEntries: (count: Int, lastReason: String) {
        lock.lock(); defer { lock.unlock() }
        return (invalid, lastInvalidReason)
    }

    /// Waits until every queued external delivery has been attempted.
    public func drain() { queue.sync {} }

    /// The Prometheus text of the aggregate stages: running totals as counters
    /// (`strata_pipeline_<name>_count_total`, `…_sum_<field>_total`) and the latest closed
    /// window as gauges (`strata_pipeline_<name>_count`, `…_sum_<field>`, `…_avg_<field>`), each
    /// labelled `pipeline="…"` plus the group-by fields.
    public func metricsText(now: Int64) -> [UInt8] {
        var out = ""
        var seen: Set<String> = []
        if isActive {
            let d = deliveryCounts
            out += "# TYPE strata_pipeline_invalid_entries_total counter\nstrata_pipeline_invalid_entries_total \(invalidEntries.count)\n"
            out += "# TYPE strata_pipeline_forward_batches_total counter\n"
            out += "strata_pipeline_forward_batches_total{result=\"ok\"} \(d.delivered)\nstrata_pipeline_forward_batches_total{result=\"failed\"} \(d.failed)\nstrata_pipeline_forward_batches_total{result=\"dropped\"} \(d.dropped)\n"
        }
        for (pipeline, stage) in set.aggregates {
            for s in stage.totals() {
                let metric = "strata_pipeline_\(s.name)_\(PipelineRunner.metricName(s.stat))_total"
                if seen.insert(metric).inserted { out += "# TYPE \(metric) counter\n" }
                var labels = [("pipeline", pipeline)] + s.labels.map { (PipelineRunner.metricName($0.0), $0.1) }
                labels.sort { $0.0 < $1.0 }
                out += "\(metric){\(labels.map { "\($0.0)=\"\(PipelineRunner.escape($0.1))\"" }.joined(separator: ","))} \(formatDouble(s.value))\n"
            }
            for s in stage.samples(now: now) {
                let metric = "strata_pipeline_\(s.name)_\(PipelineRunner.metricName(s.stat))"
                if seen.insert(metric).inserted { out += "# TYPE \(metric) gauge\n" }
                var labels = [("pipeline", pipeline)] + s.labels.map { (PipelineRunner.metricName($0.0), $0.1) }
                labels.sort { $0.0 < $1.0 }
                let text = labels.map { "\($0.0)=\"\(PipelineRunner.escape($0.1))\"" }.joined(separator: ",")
                out += "\(metric){\(text)} \(formatDouble(s.value))\n"
            }
        }
        return Array(out.utf8)
    }

    /// A Prometheus name or label name: `[A-Za-z_][A-Za-z0-9_]*`, other bytes as `_`.
    static func metricName(_ s: String) -> String {
        var out = String(s.unicodeScalars.map { c -> Character in
            let ok = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
            return ok ? Character(c) : "_"
        })
        if let f = out.first, f >= "0" && f <= "9" { out = "_" + out }
        return out.isEmpty ? "_" : out
    }

    static func escape(_ s: String) -> String {
        var r = ""
        for c in s {
            switch c {
            case "\\": r += "\\\\"
            case "\"": r += "\\\""
            case "\n": r += "\\n"
            default: r.append(c)
            }
        }
        return r
    }
}
