/// Every hard limit of the format and the engine, each with the reason for its value.
///
/// Decoders check lengths against these before allocating, so a corrupt length can never
/// make a reader allocate gigabytes.
public enum Limits {
    /// Largest message accepted (16 MiB): far beyond any sane log line, small enough that
    /// a corrupt length cannot exhaust memory.
    public static let maxMessageBytes = 16 << 20
    /// Largest short string (service, host, source, field key, tag): 64 KiB.
    public static let maxShortStringBytes = 64 << 10
    /// Largest field value (1 MiB); bigger values belong in the message.
    public static let maxFieldValueBytes = 1 << 20
    /// Most fields on one entry (1024): protects the memtable's distinct-field bound.
    public static let maxFieldsPerEntry = 1024
    /// Most tags on one entry.
    public static let maxTagsPerEntry = 256
    /// Most entries in one WAL record (a batch).
    public static let maxEntriesPerRecord = 1 << 20
    /// Largest WAL record payload (64 MiB): bounds replay memory.
    public static let maxWALRecordBytes = 64 << 20
    /// Most rows in one segment block (65 536): a block's columns are decoded whole, so this
    /// bounds query memory; it is also the writer's default (see `SegmentWriterOptions`).
    public static let maxRowsPerBlock = 1 << 16
    /// Most columns in one segment (system + dynamic fields).
    public static let maxColumnsPerSegment = 1 << 16
    /// Most blocks in one segment.
    public static let maxBlocksPerSegment = 1 << 20
    /// A block is cut once its entries reach this many bytes (64 MiB), whatever `rowsPerBlock`
    /// says: a block's message streams then stay far below `maxChunkRawBytes`.
    public static let maxBlockInputBytes = 64 << 20
    /// Largest encoded tag list of one row: every tag at its limit plus its length prefix.
    public static let maxTagBytesPerRow = maxTagsPerEntry * (maxShortStringBytes + 3)
    /// Longest relative segment path in the manifest.
    public static let maxSegmentPathBytes = 4096
    /// Earliest accepted timestamp (−2⁶² ns, year 1823): keeps partition arithmetic far from overflow.
    public static let minTimestampNanos: Int64 = -(1 << 62)
    /// Latest accepted timestamp (2⁶³ − 1 − 2⁶⁰ ns, year 2225), for the same reason.
    public static let maxTimestampNanos: Int64 = Int64.max - (1 << 60)
    /// Largest decompressed column chunk (256 MiB).
    public static let maxChunkRawBytes = 256 << 20
    /// Largest block index section (256 MiB).
    public static let maxIndexBytes = 256 << 20
    /// Most message templates in one block.
    public static let maxTemplatesPerBlock = 1 << 16
    /// Most variables in one message template.
    public static let maxVariablesPerTemplate = 4096
    /// Most segments listed in one manifest.
    public static let maxSegmentsInManifest = 1 << 22
    /// Largest manifest file (1 GiB).
    public static let maxManifestBytes = 1 << 30
}
