import StrataFormat

/// Entries accepted since the last flush, grouped by time partition. Not thread-safe: the
/// engine guards it with its ingest lock.
///
/// Invariant: every entry here is in the WAL (enqueued before insertion), and its sequence
/// is greater than the manifest's `flushedSequence`.
public final class Memtable: @unchecked Sendable {
    public let partitionDurationNanos: Int64
    /// Entries by partition start.
    public private(set) var partitions: [Int64: [LogEntry]] = [:]
    public private(set) var approximateBytes = 0
    public private(set) var count = 0
    public private(set) var fieldKeys = Set<String>()
    /// Smallest and largest timestamp held (meaningless while empty).
    public private(set) var minTimestampNanos = Int64.max
    public private(set) var maxTimestampNanos = Int64.min

    public init(partitionDurationNanos: Int64) {
        self.partitionDurationNanos = partitionDurationNanos
    }

    /// Start of the partition holding `timestampNanos`.
    public static func partitionStart(_ timestampNanos: Int64, duration: Int64) -> Int64 {
        let q = timestampNanos / duration
        let start = q * duration
        return start > timestampNanos ? start - duration : start
    }

    /// Adds an entry.
    public func insert(_ e: LogEntry) {
        let p = Self.partitionStart(e.timestampNanos, duration: partitionDurationNanos)
        partitions[p, default: []].append(e)
        approximateBytes += e.approximateBytes
        count += 1
        minTimestampNanos = min(minTimestampNanos, e.timestampNanos)
        maxTimestampNanos = max(maxTimestampNanos, e.timestampNanos)
        // Entries mostly list the same keys in the same order: the key last seen at a position
        // is already in the set.
        for (position, f) in e.fields.enumerated() {
            if position < lastKeys.count {
                if lastKeys[position] == f.key { continue }
                lastKeys[position] = f.key
            } else if position == lastKeys.count {
                lastKeys.append(f.key)
            }
            fieldKeys.insert(f.key)
        }
    }

    /// The key of the last inserted entry at each field position (a fast path of `insert`).
    private var lastKeys: [String] = []

    public var isEmpty: Bool { count == 0 }
}
