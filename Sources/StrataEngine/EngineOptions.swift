import StrataSegment
import StrataWAL

/// Configuration of a storage engine instance.
public struct EngineOptions: Sendable {
    /// Root of the data directory (`--data-dir`).
    public var dataDirectory: String
    /// Width of a time partition; fixed when the directory is created (stored in the manifest).
    public var partitionDurationNanos: Int64
    public var wal: WALOptions
    public var segment: SegmentWriterOptions
    /// Flush the memtable once its entries take about this many bytes.
    public var memtableMaxBytes: Int
    /// Flush the memtable once it holds this many distinct field keys (bounds column count).
    public var memtableMaxFieldKeys: Int
    /// Refuse appends (`EngineError.diskFull`, nothing written) while the data directory's file
    /// system has fewer free bytes than this, so that a full disk is met with back-pressure
    /// instead of a failed WAL write, and flushes still find room. 0: no check.
    public var minFreeDiskBytes: UInt64 = 0
    /// Background compaction after flushes (nil: segments are only merged by `compact`).
    public var compaction: CompactionPolicy?
    /// Retention: partitions past the age limit, or the oldest beyond the disk limit, are
    /// dropped by `enforceRetention` (which the server runs periodically). nil: keep all.
    public var retention: RetentionPolicy?
    /// The cold tier (nil: none). See `Engine.archiveOnce`.
    public var archive: ArchiveOptions?
    /// Called after each successful flush with the entries written and its duration in
    /// nanoseconds (for metrics).
    public var onFlush: (@Sendable (_ entries: Int, _ nanos: UInt64) -> Void)?

    public init(dataDirectory: String, partitionDurationNanos: Int64 = 3_600_000_000_000,
                wal: WALOptions = WALOptions(), segment: SegmentWriterOptions = SegmentWriterOptions(),
                memtableMaxBytes: Int = 128 << 20, memtableMaxFieldKeys: Int = 4096) {
        precondition(partitionDurationNanos > 0, "BUG: partition duration must be positive")
        self.dataDirectory = dataDirectory
        self.partitionDurationNanos = partitionDurationNanos
        self.wal = wal
        self.segment = segment
        self.memtableMaxBytes = memtableMaxBytes
        self.memtableMaxFieldKeys = memtableMaxFieldKeys
    }
}

/// Errors of the engine: I/O, damaged files, or misuse of a read-only instance.
public enum EngineError: Error, CustomStringConvertible {
    case io(IOError)
    case format(FormatError)
    case readOnly
    case closed
    /// Entry `index` of the batch exceeds a format limit; nothing of the batch was stored.
    case invalidEntry(index: Int, reason: String)
    /// An earlier flush or WAL write failed; the engine refuses writes until it is reopened
    /// (reopening replays the WAL, which still holds every acknowledged entry).
    case failed(String)
    /// The data directory's file system has `available` free bytes, below the configured
    /// `reserve`; nothing of the batch was written. Retry once space is freed.
    case diskFull(path: String, available: UInt64, reserve: UInt64)

    public var description: String {
        switch self {
        case .io(let e): e.description
        case .format(let e): e.description
        case .readOnly: "the engine was opened read-only"
        case .closed: "the engine is closed"
        case .invalidEntry(let i, let reason): "entry \(i) of the batch rejected: \(reason)"
        case .failed(let why): "the engine stopped accepting writes after an earlier failure: \(why)"
        case .diskFull(let path, let available, let reserve):
            "the disk holding \(path) is full: \(available) bytes free, below the reserve of \(reserve) bytes; nothing was written"
        }
    }
}

import StrataIO
import StrataFormat
