import Prometheus
import StrataEngine
import StrataIO
import Synchronization

/// What ingests entries: the label `protocol` of the ingest metrics.
public enum IngestProtocol: String, CaseIterable, Sendable {
    case api, elasticsearch, loki, otlp, syslog, forward
}

/// The server's self-monitoring in Prometheus text format (`GET /metrics`), kept in a
/// swift-prometheus registry. Counters are updated as things happen; store gauges (segments,
/// partitions, bytes, unflushed entries) are read from the engine at each scrape.
///
/// Names follow Prometheus conventions (`_total` counters, base units: seconds, bytes), each
/// with HELP text, so `promtool check metrics` passes.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let accepted: [IngestProtocol: Counter]
    private let rejected: [IngestProtocol: Counter]
    private let bytes: [IngestProtocol: Counter]
    let walFsync: DurationHistogram
    let flush: DurationHistogram
    let query: DurationHistogram
    private let flushedEntries: Counter
    private let segments: Gauge
    private let partitions: Gauge
    private let diskBytes: Gauge
    private let diskFree: Gauge
    private let unflushed: Gauge
    private let queryErrors: Counter
    private let tails: Gauge
    private let compactions: Counter
    private let compactionBytesWritten: Counter
    private let retentionPartitions: Counter
    private let retentionBytes: Counter
    /// Engine counters already added to the Prometheus counters (they advance by the difference).
    private let reported = Mutex(MaintenanceStats())

    public init() {
        var a = [IngestProtocol: Counter](), r = a, b = a
        for p in IngestProtocol.allCases {
            let l = [("protocol", p.rawValue)]
            a[p] = registry.makeCounter(descriptor: Self.name("ingest_entries_accepted", "total", "Entries stored, by ingest protocol."), labels: l)
            r[p] = registry.makeCounter(descriptor: Self.name("ingest_entries_rejected", "total", "Records refused (malformed or over a limit), by ingest protocol."), labels: l)
            b[p] = registry.makeCounter(descriptor: Self.name("ingest_bytes", "total", "Request body bytes received (as sent, before decompression), by ingest protocol."), labels: l)
        }
        accepted = a
        rejected = r
        bytes = b
        let fast: [Duration] = [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                .milliseconds(100), .milliseconds(250), .seconds(1)]
        let slow: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        walFsync = registry.makeDurationHistogram(descriptor: Self.name("wal_fsync_duration", "seconds", "Duration of WAL fsyncs."), buckets: fast)
        flush = registry.makeDurationHistogram(descriptor: Self.name("flush_duration", "seconds", "Duration of memtable flushes to segments."), buckets: slow)
        query = registry.makeDurationHistogram(descriptor: Self.name("query_duration", "seconds", "Duration of searches (GET /api/logs)."), buckets: fast)
        flushedEntries = registry.makeCounter(descriptor: Self.name("flushed_entries", "total", "Entries written from the memtable to segments."))
        queryErrors = registry.makeCounter(descriptor: Self.name("query_errors", "total", "Searches that failed (bad query or unreadable store)."))
        segments = registry.makeGauge(descriptor: Self.name("segments", "", "Live segments."))
        partitions = registry.makeGauge(descriptor: Self.name("partitions", "", "Time partitions holding live segments."))
        diskBytes = registry.makeGauge(descriptor: Self.name("disk_bytes", "", "Bytes of live segments and WAL files."))
        diskFree = registry.makeGauge(descriptor: Self.name("disk_free_bytes", "", "Free bytes on the data directory's file system (ingest answers 503 below min_free_disk_bytes)."))
        unflushed = registry.makeGauge(descriptor: Self.name("unflushed_entries", "", "Entries in the WAL and memtable, not yet in segments."))
        tails = registry.makeGauge(descriptor: Self.name("active_tails", "", "Live tail connections open now."))
        compactions = registry.makeCounter(descriptor: Self.name("compactions", "total", "Segment merges completed."))
        compactionBytesWritten = registry.makeCounter(descriptor: Self.name("compaction_written_bytes", "total", "Bytes of segments written by compaction."))
        retentionPartitions = registry.makeCounter(descriptor: Self.name("retention_dropped_partitions", "total", "Partitions dropped by retention (age or disk limit)."))
        retentionBytes = registry.makeCounter(descriptor: Self.name("retention_dropped_bytes", "total", "Segment bytes dropped by retention."))
    }

    /// `strata_<metric>_<unit>` with its HELP text.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "strata", metricName: metric, unitName: unit, helpText: help)
    }

    public func ingested(_ p: IngestProtocol, accepted a: Int, rejected r: Int, bytes n: Int) {
        if a > 0 { accepted[p]!.increment(by: Int64(a)) }
        if r > 0 { rejected[p]!.increment(by: Int64(r)) }
        if n > 0 { bytes[p]!.increment(by: Int64(n)) }
    }

    public func flushed(entries: Int, nanos: UInt64) {
        flushedEntries.increment(by: Int64(entries))
        flush.record(.nanoseconds(Int64(nanos)))
    }

    public func tailsChanged(by delta: Double) { tails.increment(by: delta) }

    public func walSynced(nanos: UInt64) { walFsync.record(.nanoseconds(Int64(nanos))) }

    public func searched(nanos: UInt64, failed: Bool) {
        query.record(.nanoseconds(Int64(nanos)))
        if failed { queryErrors.increment() }
    }

    /// The exposition, with the store gauges read from `engine` now.
    public func exposition(engine: Engine, walBytes: Int) -> [UInt8] {
        let m = engine.currentManifest
        segments.set(Double(m.segments.count))
        partitions.set(Double(Set(m.segments.map(\.partitionStartNanos)).count))
        diskBytes.set(Double(m.segments.reduce(0) { $0 + Int($1.sizeInBytes) } + walBytes))
        unflushed.set(Double(engine.unflushedCount))
        if let free = try? FileSystem.availableBytes(engine.options.dataDirectory) { diskFree.set(Double(free)) }
        let now = engine.maintenanceStats
        reported.withLock { last in
            func add(_ c: Counter, _ new: UInt64, _ old: UInt64) { if new > old { c.increment(by: Int64(new - old)) } }
            add(compactions, now.compactions, last.compactions)
            add(compactionBytesWritten, now.compactionBytesWritten, last.compactionBytesWritten)
            add(retentionPartitions, now.retentionDroppedPartitions, last.retentionDroppedPartitions)
            add(retentionBytes, now.retentionDroppedBytes, last.retentionDroppedBytes)
            last = now
        }
        var out = [UInt8]()
        registry.emit(into: &out)
        return out
    }
}
