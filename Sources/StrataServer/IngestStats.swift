import StrataIO

/// Ingest counters of a running server: totals since start and a per-second ring of the last
/// 60 seconds for rates. Thread-safe.
public final class IngestStats: @unchecked Sendable {
    private let lock = ConditionLock()
    private var acceptedTotal = 0
    private var rejectedTotal = 0
    private var bytesTotal = 0
    /// Slot `s % 60` holds second `s`'s counts (stale slots are recognised by their second).
    private var seconds = [Int64](repeating: -1, count: 60)
    private var entries = [Int](repeating: 0, count: 60)
    private var bytes = [Int](repeating: 0, count: 60)
    public let startedMonotonic = monotonicNanos()

    public init() {}

    public func record(accepted: Int, rejected: Int, bytes n: Int, at nanos: Int64 = wallClockNanos()) {
        let s = nanos / 1_000_000_000
        let k = Int(s % 60)
        lock.withLock {
            acceptedTotal += accepted
            rejectedTotal += rejected
            bytesTotal += n
            if seconds[k] != s {
                seconds[k] = s
                entries[k] = 0
                bytes[k] = 0
            }
            entries[k] += accepted
            bytes[k] += n
        }
    }

    public struct Snapshot: Sendable {
        public var acceptedTotal: Int
        public var rejectedTotal: Int
        public var bytesTotal: Int
        /// Accepted entries and body bytes per second over the last full 60 seconds.
        public var entriesPerSecond: Double
        public var bytesPerSecond: Double
    }

    public func snapshot(at nanos: Int64 = wallClockNanos()) -> Snapshot {
        let now = nanos / 1_000_000_000
        return lock.withLock {
            var e = 0, b = 0
            for k in 0..<60 where seconds[k] >= now - 60 && seconds[k] < now {
                e += entries[k]
                b += bytes[k]
            }
            return Snapshot(acceptedTotal: acceptedTotal, rejectedTotal: rejectedTotal, bytesTotal: bytesTotal,
                            entriesPerSecond: Double(e) / 60, bytesPerSecond: Double(b) / 60)
        }
    }
}
