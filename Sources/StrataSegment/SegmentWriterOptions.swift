import StrataFormat

/// Tunables of segment writing. None of them changes how a reader interprets the bytes.
public struct SegmentWriterOptions: Sendable {
    /// Rows per block (≤ `Limits.maxRowsPerBlock`). Larger blocks compress better; smaller
    /// blocks skip more precisely. 16 Ki rows keeps a decoded block around a few MB.
    public var rowsPerBlock: Int
    /// zstd level for bulky columns (messages, fields, strings).
    public var zstdLevel: Int32
    /// Chunks smaller than this are stored uncompressed: a codec header would cost more than it saves.
    public var minCompressBytes: Int

    public init(rowsPerBlock: Int = 16_384, zstdLevel: Int32 = 9, minCompressBytes: Int = 64) {
        precondition(rowsPerBlock > 0 && rowsPerBlock <= Limits.maxRowsPerBlock, "BUG: rowsPerBlock \(rowsPerBlock)")
        self.rowsPerBlock = rowsPerBlock
        self.zstdLevel = zstdLevel
        self.minCompressBytes = minCompressBytes
    }
}
