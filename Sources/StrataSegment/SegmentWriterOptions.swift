import StrataFormat

/// Tunables of segment writing. None of them changes how a reader interprets the bytes.
public struct SegmentWriterOptions: Sendable {
    /// Rows per block (≤ `Limits.maxRowsPerBlock`). Larger blocks compress better (the block's
    /// template dictionary is amortised over more rows: 64 Ki rows gave 3.5% smaller segments than
    /// 16 Ki on generated app logs); smaller blocks skip more precisely.
    public var rowsPerBlock: Int
    /// zstd level for bulky columns (messages, fields, strings).
    public var zstdLevel: Int32
    /// Chunks smaller than this are stored uncompressed: a codec header would cost more than it saves.
    public var minCompressBytes: Int
    /// Bits per distinct key in each block's Bloom filter (10 ≈ 1% false positives; 0 writes
    /// empty filters that never skip a block).
    public var bloomBitsPerKey: Int

    public init(rowsPerBlock: Int = 65_536, zstdLevel: Int32 = 9, minCompressBytes: Int = 64, bloomBitsPerKey: Int = 10) {
        precondition(rowsPerBlock > 0 && rowsPerBlock <= Limits.maxRowsPerBlock, "BUG: rowsPerBlock \(rowsPerBlock)")
        self.rowsPerBlock = rowsPerBlock
        self.zstdLevel = zstdLevel
        self.minCompressBytes = minCompressBytes
        self.bloomBitsPerKey = bloomBitsPerKey
    }
}
