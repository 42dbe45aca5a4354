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
    /// Bits per distinct key in each block's Bloom filter (12 ≈ 1.5% false blocks per probe
    /// measured, 10 ≈ 2.4%; 0 writes empty filters that never skip a block).
    public var bloomBitsPerKey: Int
    /// Blocks with fewer rows get an empty (zero-block) filter: scanning a small block is cheap,
    /// and on small inputs (2 000-line log files) the filters cost more bytes than they save
    /// time (measured: they turned 13 of 16 loghub wins over zstd -19 into losses).
    public var bloomMinRows: Int

    public init(rowsPerBlock: Int = 65_536, zstdLevel: Int32 = 9, minCompressBytes: Int = 64, bloomBitsPerKey: Int = 12,
                bloomMinRows: Int = 4096) {
        precondition(rowsPerBlock > 0 && rowsPerBlock <= Limits.maxRowsPerBlock, "BUG: rowsPerBlock \(rowsPerBlock)")
        self.rowsPerBlock = rowsPerBlock
        self.zstdLevel = zstdLevel
        self.minCompressBytes = minCompressBytes
        self.bloomBitsPerKey = bloomBitsPerKey
        self.bloomMinRows = bloomMinRows
    }
}
