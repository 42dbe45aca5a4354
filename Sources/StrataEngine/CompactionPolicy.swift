import StrataFormat

/// When and how segments of a partition are merged.
///
/// A partition still receiving writes is compacted size-tiered: segments whose sizes are
/// within `tierRatio` of the smallest of their tier are merged once `minSegments` of them
/// exist. A settled partition (its end more than `settleNanos` in the past) is merged into as
/// few segments as `maxOutputRows` allows. Inputs never exceed `maxInputs` segments; a pass
/// runs one merge at a time, writing at most `maxWriteBytesPerSecond` (0: unthrottled).
public struct CompactionPolicy: Sendable {
    public var minSegments: Int
    public var tierRatio: Double
    public var maxInputs: Int
    public var maxOutputRows: Int
    public var settleNanos: Int64
    public var maxWriteBytesPerSecond: Int
    /// Called at each step of a compaction (crash tests kill the process there).
    public var stepHook: (@Sendable (CompactionStep) -> Void)?

    public init(minSegments: Int = 4, tierRatio: Double = 4, maxInputs: Int = 32, maxOutputRows: Int = 8_000_000,
                settleNanos: Int64 = 600_000_000_000, maxWriteBytesPerSecond: Int = 0) {
        precondition(minSegments >= 2 && tierRatio >= 1 && maxInputs >= 2 && maxOutputRows > 0, "BUG: compaction policy")
        self.minSegments = minSegments
        self.tierRatio = tierRatio
        self.maxInputs = maxInputs
        self.maxOutputRows = maxOutputRows
        self.settleNanos = settleNanos
        self.maxWriteBytesPerSecond = maxWriteBytesPerSecond
    }
}

/// The points of a compaction at which a crash leaves a distinct state on disk.
public enum CompactionStep: String, CaseIterable, Sendable {
    /// Inputs chosen and opened; nothing written.
    case started
    /// Part of the output's temporary file written.
    case writing
    /// The output renamed into place (not yet in the manifest).
    case outputWritten = "output-written"
    /// The output and its directory fsynced.
    case outputSynced = "output-synced"
    /// The new manifest published (inputs not yet deleted).
    case published
}

/// One merge: segments of one partition and the segment that replaces them.
public struct CompactionTask: Sendable, CustomStringConvertible {
    public var partitionStartNanos: Int64
    public var inputs: [SegmentRecord]
    /// Why the policy chose these inputs.
    public var reason: String

    public var rows: UInt64 { inputs.reduce(0) { $0 + $1.rowCount } }
    public var bytes: UInt64 { inputs.reduce(0) { $0 + $1.sizeInBytes } }
    public var outputLevel: UInt8 { (inputs.map(\.level).max() ?? 0) &+ 1 }

    public var description: String {
        "partition \(Timestamp.format(partitionStartNanos)): merge \(inputs.count) segments (\(rows) rows, \(bytes) bytes, ids "
            + inputs.map { String($0.id) }.joined(separator: ",") + ") into one at level \(outputLevel): \(reason)"
    }
}

/// What a compaction did.
public struct CompactionResult: Sendable {
    public var task: CompactionTask
    public var output: SegmentRecord
    public var nanos: UInt64
}

/// How much data to keep: partitions older than `maxAgeNanos` are dropped, then the oldest
/// partitions while segments take more than `maxDiskBytes` (that limit never drops the newest).
/// `byService` keeps a service's entries for a shorter time: in partitions older than its age,
/// the segments holding that service are rewritten without its entries.
public struct RetentionPolicy: Sendable {
    public var maxAgeNanos: Int64?
    public var maxDiskBytes: UInt64?
    public var byService: [String: Int64]

    public init(maxAgeNanos: Int64? = 30 * 86_400 * 1_000_000_000, maxDiskBytes: UInt64? = nil, byService: [String: Int64] = [:]) {
        self.maxAgeNanos = maxAgeNanos
        self.maxDiskBytes = maxDiskBytes
        self.byService = byService
    }
}

/// Counters of background maintenance (for `/api/stats` and metrics).
public struct MaintenanceStats: Sendable, Equatable {
    public var compactions: UInt64 = 0
    public var compactedInputSegments: UInt64 = 0
    public var compactionBytesRead: UInt64 = 0
    public var compactionBytesWritten: UInt64 = 0
    public var compactionNanos: UInt64 = 0
    public var lastCompactionError: String?
    public var retentionDroppedPartitions: UInt64 = 0
    public var retentionDroppedSegments: UInt64 = 0
    public var retentionDroppedRows: UInt64 = 0
    public var retentionDroppedBytes: UInt64 = 0
    public var archivedPartitions: UInt64 = 0
    public var archiveBytesRead: UInt64 = 0
    public var archiveBytesWritten: UInt64 = 0

    public init() {}
}
