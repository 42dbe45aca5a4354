/// When the WAL makes appended records durable.
public enum FsyncPolicy: Sendable, Equatable {
    /// Acknowledge an append only after the fsync that covers it (group commit: concurrent
    /// appends share one fsync).
    case always
    /// Acknowledge once the record is written to the OS; fsync at most `milliseconds` later.
    /// A process crash loses nothing; a power loss or kernel crash loses at most the records
    /// acknowledged in the last `milliseconds`.
    case interval(milliseconds: Int)

    /// Parses `always` or `interval` / `interval:MS`.
    public init?(_ text: String) {
        if text == "always" { self = .always; return }
        if text == "interval" { self = .interval(milliseconds: 200); return }
        if text.hasPrefix("interval:"), let ms = Int(text.dropFirst(9)), ms > 0 { self = .interval(milliseconds: ms); return }
        return nil
    }
}

/// Tunables of the WAL writer.
public struct WALOptions: Sendable {
    public var fsync: FsyncPolicy
    /// Rotate to a new file once the current one reaches this size.
    public var maxFileBytes: Int

    /// Called after every fsync of the WAL with its duration in nanoseconds (for metrics).
    public var onSync: (@Sendable (UInt64) -> Void)?

    public init(fsync: FsyncPolicy = .always, maxFileBytes: Int = 64 << 20, onSync: (@Sendable (UInt64) -> Void)? = nil) {
        self.fsync = fsync
        self.maxFileBytes = maxFileBytes
        self.onSync = onSync
    }
}
