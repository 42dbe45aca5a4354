import StrataFormat
import StrataIO
#if canImport(Glibc)
import Glibc
#endif

/// Writes one immutable segment file from the entries of one time partition.
/// See `format-spec/segment.md`.
///
/// Rows are sorted by (timestamp, sequence) and cut into blocks of
/// `options.rowsPerBlock`; every column of a block becomes one checksummed chunk. The file is
/// written to `PATH.tmp`, fsynced and renamed to `PATH`; the caller fsyncs the directory
/// before publishing the segment in the manifest.
public struct SegmentWriter {
    public let options: SegmentWriterOptions

    public init(options: SegmentWriterOptions = SegmentWriterOptions()) {
        self.options = options
    }

    /// Encodes `entries` (any order; they are sorted here) into segment bytes.
    public func encode(_ entries: [LogEntry], partitionStartNanos: Int64) -> [UInt8] {
        precondition(!entries.isEmpty, "BUG: empty segment")
        let rows = entries.sorted { ($0.timestampNanos, $0.sequence) < ($1.timestampNanos, $1.sequence) }
        var fieldKeys = Set<String>()
        for e in rows { for f in e.fields { fieldKeys.insert(f.key) } }
        var columns = SystemColumn.allCases.map { ColumnDescriptor(kind: .system, name: $0.rawValue) }
        var fieldColumn = [String: Int]()
        for key in fieldKeys.sorted() {
            fieldColumn[key] = columns.count
            columns.append(ColumnDescriptor(kind: .field, name: key))
        }
        var w = ByteWriter(capacity: 1 << 20)
        SegmentHeader(minTimestampNanos: rows.first!.timestampNanos, maxTimestampNanos: rows.last!.timestampNanos,
                      rowCount: UInt64(rows.count), partitionStartNanos: partitionStartNanos).encode(into: &w)
        var blocks = [BlockMeta]()
        var start = 0
        while start < rows.count {
            let end = min(start + options.rowsPerBlock, rows.count)
            blocks.append(writeBlock(rows[start..<end], fieldColumn: fieldColumn, into: &w))
            start = end
        }
        let index = BlockIndex(columns: columns, blocks: blocks)
        let indexOffset = w.count
        index.encode(into: &w)
        let indexLength = w.count - indexOffset
        w.writeChecksum(of: indexOffset..<w.count)
        SegmentFooter(indexOffset: UInt64(indexOffset), indexLength: UInt64(indexLength),
                      blockCount: UInt32(blocks.count), columnCount: UInt32(columns.count)).encode(into: &w)
        return w.bytes
    }

    /// Writes the segment to `path` durably (temp file, fsync, rename). Returns its size.
    public func write(_ entries: [LogEntry], partitionStartNanos: Int64, to path: String) throws(IOError) -> Int {
        let bytes = encode(entries, partitionStartNanos: partitionStartNanos)
        let tmp = path + ".tmp"
        let h = try FileHandle(path: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try h.write(bytes)
        try h.sync()
        try h.close()
        try FileSystem.rename(tmp, path)
        return bytes.count
    }

    private func writeBlock(_ rows: ArraySlice<LogEntry>, fieldColumn: [String: Int], into w: inout ByteWriter) -> BlockMeta {
        var chunks = [ChunkHandle]()
        func put(_ column: SystemColumn, _ body: (inout ByteWriter) -> Void, codec: Codec = .zstd, stats: ChunkStats = .none) {
            var raw = ByteWriter(capacity: 4096)
            body(&raw)
            let index = SystemColumn.allCases.firstIndex(of: column)!
            chunks.append(writeChunk(raw.bytes, column: index, preferred: codec, stats: stats, into: &w))
        }
        let ts = rows.map(\.timestampNanos)
        let seqs = rows.map { Int64(bitPattern: $0.sequence) }
        put(.timestamp, { IntColumn.encode(ts, into: &$0) }, codec: .lz4, stats: .int(min: ts.first!, max: ts.last!))
        put(.sequence, { IntColumn.encode(seqs, layout: .aligned, into: &$0) }, codec: .lz4)
        put(.level, { IntColumn.encode(rows.map { Int64($0.level.rawValue) }, layout: .aligned, into: &$0) })
        put(.service, { StringColumn.encode(rows.map { Array($0.service.utf8) }, into: &$0) })
        put(.host, { StringColumn.encode(rows.map { Array($0.host.utf8) }, into: &$0) })
        put(.source, { StringColumn.encode(rows.map { Array($0.source.utf8) }, into: &$0) })
        put(.tags, { StringColumn.encode(rows.map(Self.encodeTags), into: &$0) })
        let messages = MessageColumn.encode(rows.map { Array($0.message.utf8) })
        put(.messageTemplates, { $0.writeBytes(messages.templates.bytes) })
        put(.messageNumbers, { $0.writeBytes(messages.numbers.bytes) })
        put(.messageStrings, { $0.writeBytes(messages.strings.bytes) })
        // Dynamic fields, in column order.
        var perKey = [Int: [FieldValue?]]()
        for (i, e) in rows.enumerated() {
            for f in e.fields {
                let c = fieldColumn[f.key]!
                if perKey[c] == nil { perKey[c] = [FieldValue?](repeating: nil, count: rows.count) }
                perKey[c]![i] = f.value
            }
        }
        for c in perKey.keys.sorted() {
            let values = perKey[c]!
            var raw = ByteWriter(capacity: 1024)
            FieldColumn.encode(values, into: &raw)
            chunks.append(writeChunk(raw.bytes, column: c, preferred: .zstd, stats: Self.stats(values), into: &w))
        }
        let seqValues = rows.map(\.sequence)
        return BlockMeta(rowCount: rows.count, minTimestampNanos: ts.first!, maxTimestampNanos: ts.last!,
                         minSequence: seqValues.min()!, maxSequence: seqValues.max()!, chunks: chunks)
    }

    /// A row's tags as one byte string: each tag as `varint length` + bytes.
    static func encodeTags(_ e: LogEntry) -> [UInt8] {
        guard !e.tags.isEmpty else { return [] }
        var w = ByteWriter(capacity: 32)
        for t in e.tags { w.writeString(t) }
        return w.bytes
    }

    static func stats(_ values: [FieldValue?]) -> ChunkStats {
        var imin = Int64.max, imax = Int64.min, fmin = Double.infinity, fmax = -Double.infinity
        var ints = 0, floats = 0, others = 0
        for v in values {
            switch v {
            case .int(let x)?: ints += 1; imin = min(imin, x); imax = max(imax, x)
            case .float(let x)?: floats += 1; if !x.isNaN { fmin = min(fmin, x); fmax = max(fmax, x) }
            case nil: continue
            default: others += 1
            }
        }
        if others > 0 || (ints > 0 && floats > 0) { return .none }
        if ints > 0 { return .int(min: imin, max: imax) }
        if floats > 0 && fmin <= fmax { return .float(min: fmin, max: fmax) }
        return .none
    }

    private func writeChunk(_ raw: [UInt8], column: Int, preferred: Codec, stats: ChunkStats,
                            into w: inout ByteWriter) -> ChunkHandle {
        var codec = Codec.none
        var payload = raw
        if raw.count >= options.minCompressBytes {
            let packed = Compressor.compress(raw, codec: preferred, level: options.zstdLevel)
            if packed.count < raw.count { codec = preferred; payload = packed }
            if preferred == .lz4 {
                // lz4 decodes fastest; take zstd only when it saves more than a tenth.
                let z = Compressor.compress(raw, codec: .zstd, level: options.zstdLevel)
                if z.count * 10 < payload.count * 9 { codec = .zstd; payload = z }
            }
        }
        let offset = w.count
        w.writeBytes(payload)
        w.writeChecksum(of: offset..<w.count)
        return ChunkHandle(column: column, codec: codec, offset: offset, storedLength: payload.count,
                           rawLength: raw.count, stats: stats)
    }
}
