/// The kind of a segment column.
public enum ColumnKind: UInt8, Sendable, Equatable {
    /// One of the fixed columns every segment has (`SystemColumn`).
    case system = 0
    /// A dynamic field column, named after the field key.
    case field = 1
}

/// The fixed columns of a segment, by name. Each block stores them as chunks.
public enum SystemColumn: String, CaseIterable, Sendable {
    case timestamp = "_ts"
    case sequence = "_seq"
    case level = "_level"
    case service = "_service"
    case host = "_host"
    case source = "_source"
    case tags = "_tags"
    case messageTemplates = "_msg.tpl"
    case messageNumbers = "_msg.num"
    case messageStrings = "_msg.str"
    /// Split-block Bloom filter over the block's message tokens and values (format v2).
    case bloom = "_bloom"
}

/// One entry of the segment's column table.
public struct ColumnDescriptor: Equatable, Hashable, Sendable {
    public var kind: ColumnKind
    public var name: String
    public init(kind: ColumnKind, name: String) {
        self.kind = kind
        self.name = name
    }
}

/// Min/max statistics of one column chunk, used to skip blocks.
public enum ChunkStats: Equatable, Sendable {
    case none
    case int(min: Int64, max: Int64)
    case float(min: Double, max: Double)
}

/// Where one column's chunk of one block lives and how it is stored.
public struct ChunkHandle: Equatable, Sendable {
    /// Index into the column table.
    public var column: Int
    public var codec: Codec
    /// Absolute file offset of the stored payload; its 8-byte checksum follows it.
    public var offset: Int
    /// Stored (compressed) payload length, excluding the checksum.
    public var storedLength: Int
    /// Decompressed length.
    public var rawLength: Int
    public var stats: ChunkStats

    public init(column: Int, codec: Codec, offset: Int, storedLength: Int, rawLength: Int, stats: ChunkStats = .none) {
        self.column = column
        self.codec = codec
        self.offset = offset
        self.storedLength = storedLength
        self.rawLength = rawLength
        self.stats = stats
    }
}

/// Per-block metadata: row count, zone maps and the chunk of each column present.
public struct BlockMeta: Equatable, Sendable {
    public var rowCount: Int
    public var minTimestampNanos: Int64
    public var maxTimestampNanos: Int64
    public var minSequence: UInt64
    public var maxSequence: UInt64
    /// Chunks in ascending column order; a column absent from the block has no chunk.
    public var chunks: [ChunkHandle]

    public init(rowCount: Int, minTimestampNanos: Int64, maxTimestampNanos: Int64, minSequence: UInt64,
                maxSequence: UInt64, chunks: [ChunkHandle]) {
        self.rowCount = rowCount
        self.minTimestampNanos = minTimestampNanos
        self.maxTimestampNanos = maxTimestampNanos
        self.minSequence = minSequence
        self.maxSequence = maxSequence
        self.chunks = chunks
    }

    /// The chunk of column `column`, if present.
    public func chunk(_ column: Int) -> ChunkHandle? {
        var lo = 0, hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunks[mid].column < column { lo = mid + 1 } else { hi = mid }
        }
        return lo < chunks.count && chunks[lo].column == column ? chunks[lo] : nil
    }
}

/// Where a segment's term index for one column is stored (format v3): a chunk like a column
/// chunk (payload + 8-byte xxhash64), after the last block's chunks.
public struct TermIndexHandle: Equatable, Sendable {
    /// The column whose values it indexes.
    public var column: Int
    /// What posting values count: 0 = block numbers of the segment.
    public var granularity: UInt8
    public var codec: Codec
    public var offset: Int
    public var storedLength: Int
    public var rawLength: Int

    public init(column: Int, granularity: UInt8 = 0, codec: Codec, offset: Int, storedLength: Int, rawLength: Int) {
        self.column = column
        self.granularity = granularity
        self.codec = codec
        self.offset = offset
        self.storedLength = storedLength
        self.rawLength = rawLength
    }
}

/// The block index section: the column table and every block's metadata.
/// See `format-spec/segment.md#block-index`.
///
/// Layout: `varint columnCount`, columnCount × (`u8 kind`, `string name`), `varint blockCount`,
/// blockCount × (`varint rows`, `zigzag minTs`, `zigzag maxTs`, `varint minSeq`, `varint maxSeq`,
/// `varint chunkCount`, chunkCount × (`varint column`, `u8 codec`, `varint offset`,
/// `varint storedLength`, `varint rawLength`, `u8 statsKind` [1: `zigzag min`, `zigzag max`;
/// 2: `f64 min`, `f64 max`])), `varint termIndexCount`, termIndexCount × (`varint column`,
/// `u8 granularity`, `u8 codec`, `varint offset`, `varint storedLength`, `varint rawLength`);
/// then an 8-byte xxhash64 of all of it.
public struct BlockIndex: Equatable, Sendable {
    public var columns: [ColumnDescriptor]
    public var blocks: [BlockMeta]
    /// Term indexes, by ascending column (format v3).
    public var termIndexes: [TermIndexHandle]

    public init(columns: [ColumnDescriptor], blocks: [BlockMeta], termIndexes: [TermIndexHandle] = []) {
        self.columns = columns
        self.blocks = blocks
        self.termIndexes = termIndexes
    }

    /// Appends the index (without its checksum).
    public func encode(into w: inout ByteWriter) {
        w.writeVarint(UInt64(columns.count))
        for c in columns {
            w.writeUInt8(c.kind.rawValue)
            w.writeString(c.name)
        }
        w.writeVarint(UInt64(blocks.count))
        for b in blocks {
            w.writeVarint(UInt64(b.rowCount))
            w.writeZigzag(b.minTimestampNanos)
            w.writeZigzag(b.maxTimestampNanos)
            w.writeVarint(b.minSequence)
            w.writeVarint(b.maxSequence)
            w.writeVarint(UInt64(b.chunks.count))
            for c in b.chunks {
                w.writeVarint(UInt64(c.column))
                w.writeUInt8(c.codec.rawValue)
                w.writeVarint(UInt64(c.offset))
                w.writeVarint(UInt64(c.storedLength))
                w.writeVarint(UInt64(c.rawLength))
                switch c.stats {
                case .none: w.writeUInt8(0)
                case .int(let lo, let hi): w.writeUInt8(1); w.writeZigzag(lo); w.writeZigzag(hi)
                case .float(let lo, let hi): w.writeUInt8(2); w.writeFloat64(lo); w.writeFloat64(hi)
                }
            }
        }
        w.writeVarint(UInt64(termIndexes.count))
        for t in termIndexes {
            w.writeVarint(UInt64(t.column))
            w.writeUInt8(t.granularity)
            w.writeUInt8(t.codec.rawValue)
            w.writeVarint(UInt64(t.offset))
            w.writeVarint(UInt64(t.storedLength))
            w.writeVarint(UInt64(t.rawLength))
        }
    }

    /// Decodes the index; `dataEnd` is the offset where chunk data must end (the index offset).
    public static func decode(from r: inout ByteReader, dataEnd: Int) throws(FormatError) -> BlockIndex {
        let nc = try r.readLength(limit: Limits.maxColumnsPerSegment, "column count")
        var columns = [ColumnDescriptor]()
        var names = Set<UTF8Key>()   // byte comparison: canonically equivalent names are distinct columns
        for _ in 0..<nc {
            let at = r.absoluteOffset
            guard let kind = ColumnKind(rawValue: try r.readUInt8()) else { throw FormatError.invalid(r.section, at: at, "unknown column kind") }
            let d = ColumnDescriptor(kind: kind, name: try r.readString(limit: Limits.maxShortStringBytes))
            guard names.insert(UTF8Key(String(UInt8(d.kind.rawValue)) + "/" + d.name)).inserted else { throw FormatError.invalid(r.section, at: at, "duplicate column \(d.name)") }
            columns.append(d)
        }
        let nb = try r.readLength(limit: Limits.maxBlocksPerSegment, "block count")
        var blocks = [BlockMeta]()
        blocks.reserveCapacity(nb)
        var nextOffset = SegmentHeader.size
        for bi in 0..<nb {
            let at = r.absoluteOffset
            let rows = try r.readLength(limit: Limits.maxRowsPerBlock, "row count")
            guard rows > 0 else { throw FormatError.invalid(r.section, at: at, "block \(bi) has no rows") }
            let minTs = try r.readZigzag(), maxTs = try r.readZigzag()
            let minSeq = try r.readVarint(), maxSeq = try r.readVarint()
            guard minTs <= maxTs, minSeq <= maxSeq else { throw FormatError.invalid(r.section, at: at, "block \(bi): min above max") }
            let nch = try r.readLength(limit: nc, "chunk count")
            var chunks = [ChunkHandle]()
            chunks.reserveCapacity(nch)
            for _ in 0..<nch {
                let cAt = r.absoluteOffset
                let col = try r.readLength(limit: max(nc - 1, 0), "column index")
                guard nc > 0 else { throw FormatError.invalid(r.section, at: cAt, "chunk with no columns") }
                if let last = chunks.last, last.column >= col {
                    throw FormatError.invalid(r.section, at: cAt, "block \(bi): chunk columns not ascending")
                }
                guard let codec = Codec(rawValue: try r.readUInt8()) else { throw FormatError.invalid(r.section, at: cAt, "unknown codec") }
                let off = try r.readLength(limit: dataEnd, "chunk offset")
                let stored = try r.readLength(limit: dataEnd, "chunk length")
                let raw = try r.readLength(limit: Limits.maxChunkRawBytes, "chunk raw length")
                guard off == nextOffset, off + stored + 8 <= dataEnd else {
                    throw FormatError.invalid(r.section, at: cAt, "block \(bi) chunk at \(off)+\(stored) is not contiguous (expected offset \(nextOffset), data ends at \(dataEnd))")
                }
                nextOffset = off + stored + 8
                let sAt = r.absoluteOffset
                let stats: ChunkStats
                switch try r.readUInt8() {
                case 0: stats = .none
                case 1: stats = .int(min: try r.readZigzag(), max: try r.readZigzag())
                case 2: stats = .float(min: try r.readFloat64(), max: try r.readFloat64())
                default: throw FormatError.invalid(r.section, at: sAt, "unknown stats kind")
                }
                chunks.append(ChunkHandle(column: col, codec: codec, offset: off, storedLength: stored, rawLength: raw, stats: stats))
            }
            blocks.append(BlockMeta(rowCount: rows, minTimestampNanos: minTs, maxTimestampNanos: maxTs,
                                    minSequence: minSeq, maxSequence: maxSeq, chunks: chunks))
        }
        let nt = try r.readLength(limit: nc, "term index count")
        var terms = [TermIndexHandle]()
        for _ in 0..<nt {
            let at = r.absoluteOffset
            let col = try r.readLength(limit: max(nc - 1, 0), "term index column")
            if let last = terms.last, last.column >= col {
                throw FormatError.invalid(r.section, at: at, "term index columns not ascending")
            }
            let granularity = try r.readUInt8()
            guard granularity == 0 else { throw FormatError.invalid(r.section, at: at, "unknown posting granularity \(granularity)") }
            guard let codec = Codec(rawValue: try r.readUInt8()) else { throw FormatError.invalid(r.section, at: at, "unknown codec") }
            let off = try r.readLength(limit: dataEnd, "term index offset")
            let stored = try r.readLength(limit: dataEnd, "term index length")
            let raw = try r.readLength(limit: Limits.maxChunkRawBytes, "term index raw length")
            guard off == nextOffset, off + stored + 8 <= dataEnd else {
                throw FormatError.invalid(r.section, at: at, "term index at \(off)+\(stored) is not contiguous (expected offset \(nextOffset), data ends at \(dataEnd))")
            }
            nextOffset = off + stored + 8
            terms.append(TermIndexHandle(column: col, granularity: granularity, codec: codec, offset: off, storedLength: stored, rawLength: raw))
        }
        guard nextOffset == dataEnd else {
            throw FormatError.invalid(r.section, at: r.absoluteOffset, "chunks end at \(nextOffset) but block index starts at \(dataEnd)")
        }
        try r.expectEnd()
        return BlockIndex(columns: columns, blocks: blocks, termIndexes: terms)
    }
}
