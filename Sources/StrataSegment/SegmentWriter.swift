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
        var all = [UInt8]()
        encode(entries, partitionStartNanos: partitionStartNanos) { all.append(contentsOf: $0) }
        return all
    }

    /// Encodes `entries`, handing the bytes to `sink` in order, in pieces of about a megabyte,
    /// so memory stays bounded by one block whatever the segment size.
    public func encode(_ entries: [LogEntry], partitionStartNanos: Int64, sink: ([UInt8]) -> Void) {
        precondition(!entries.isEmpty, "BUG: empty segment")
        // Sort indices rather than entries: moving whole entries costs a retain per string.
        let order = entries.indices.sorted {
            (entries[$0].timestampNanos, entries[$0].sequence) < (entries[$1].timestampNanos, entries[$1].sequence)
        }
        // Keys compared as bytes: canonically equivalent but different spellings stay separate columns.
        var fieldKeys = Set<UTF8Key>()
        for e in entries { for f in e.fields { fieldKeys.insert(UTF8Key(f.key)) } }
        // Rows are read through `order`: a sorted copy of the entries would retain every string once more.
        var it = order.lazy.map { entries[$0] }.makeIterator()
        encode(sorted: &it, shape: Shape(rowCount: entries.count, minTimestampNanos: entries[order.first!].timestampNanos,
                                         maxTimestampNanos: entries[order.last!].timestampNanos, fieldKeys: fieldKeys),
               partitionStartNanos: partitionStartNanos, sink: sink)
    }

    /// What must be known of a segment's rows before the first one is written: the header's
    /// count and time range, and the field columns.
    public struct Shape: Sendable {
        public var rowCount: Int
        public var minTimestampNanos: Int64
        public var maxTimestampNanos: Int64
        public var fieldKeys: Set<UTF8Key>

        public init(rowCount: Int, minTimestampNanos: Int64, maxTimestampNanos: Int64, fieldKeys: Set<UTF8Key>) {
            self.rowCount = rowCount
            self.minTimestampNanos = minTimestampNanos
            self.maxTimestampNanos = maxTimestampNanos
            self.fieldKeys = fieldKeys
        }
    }

    /// Encodes rows pulled from `rows`, which yields exactly `shape.rowCount` entries sorted by
    /// (timestamp, sequence), each within the shape's time range and with fields among its keys.
    /// Only one block of rows is held at a time (how compaction merges segments of any size).
    /// Returns the rows written: fewer than `shape.rowCount` (a source that failed) leaves
    /// bytes that must be discarded.
    @discardableResult
    public func encode<Rows: IteratorProtocol>(sorted rows: inout Rows, shape: Shape, partitionStartNanos: Int64,
                                               sink: ([UInt8]) -> Void) -> Int where Rows.Element == LogEntry {
        precondition(shape.rowCount > 0, "BUG: empty segment")
        var columns = SystemColumn.allCases.map { ColumnDescriptor(kind: .system, name: $0.rawValue) }
        var fieldColumn = [UTF8Key: Int]()
        for key in shape.fieldKeys.sorted(by: { $0.string.utf8.lexicographicallyPrecedes($1.string.utf8) }) {
            fieldColumn[key] = columns.count
            columns.append(ColumnDescriptor(kind: .field, name: key.string))
        }
        var w = ByteWriter(capacity: 1 << 20)
        var flushed = 0   // bytes already handed to the sink; absolute offset = flushed + w.count
        SegmentHeader(minTimestampNanos: shape.minTimestampNanos, maxTimestampNanos: shape.maxTimestampNanos,
                      rowCount: UInt64(shape.rowCount), partitionStartNanos: partitionStartNanos).encode(into: &w)
        var blocks = [BlockMeta]()
        var terms = TermIndexBuilder(limit: max(TermIndexBuilder.minLimit, shape.rowCount / 64))
        var written = 0
        var block = [LogEntry]()
        block.reserveCapacity(min(options.rowsPerBlock, shape.rowCount))
        var pending = rows.next()
        while written < shape.rowCount, let first = pending {
            // A block ends at rowsPerBlock rows or once its entries reach maxBlockInputBytes, so no
            // column chunk can outgrow what readers accept (Limits.maxChunkRawBytes).
            block.removeAll(keepingCapacity: true)
            block.append(first)
            var bytes = first.approximateBytes
            pending = rows.next()
            while let e = pending, block.count < options.rowsPerBlock, bytes < Limits.maxBlockInputBytes, written + block.count < shape.rowCount {
                block.append(e)
                bytes += e.approximateBytes
                pending = rows.next()
            }
            written += block.count
            blocks.append(writeBlock(block[...], fieldColumn: fieldColumn, number: UInt32(blocks.count), terms: &terms,
                                     base: flushed, into: &w))
            if w.count >= 1 << 20 {
                sink(w.bytes)
                flushed += w.count
                w = ByteWriter(capacity: 1 << 20)
            }
        }
        // Term indexes follow the last block's chunks.
        var termHandles = [TermIndexHandle]()
        for (column, bytes) in terms.build() {
            let h = writeChunk(bytes, column: column, preferred: .zstd, stats: .none, base: flushed, into: &w)
            termHandles.append(TermIndexHandle(column: column, codec: h.codec, offset: h.offset,
                                               storedLength: h.storedLength, rawLength: h.rawLength))
        }
        let index = BlockIndex(columns: columns, blocks: blocks, termIndexes: termHandles)
        let indexStart = w.count
        index.encode(into: &w)
        let indexLength = w.count - indexStart
        w.writeChecksum(of: indexStart..<w.count)
        SegmentFooter(indexOffset: UInt64(flushed + indexStart), indexLength: UInt64(indexLength),
                      blockCount: UInt32(blocks.count), columnCount: UInt32(columns.count)).encode(into: &w)
        sink(w.bytes)
        // Rows beyond the shape (an input whose header undercounts it) must not vanish.
        return pending == nil ? written : written + 1
    }

    /// Writes the segment to `path` durably (temp file, fsync, rename). Returns its size.
    public func write(_ entries: [LogEntry], partitionStartNanos: Int64, to path: String) throws(IOError) -> Int {
        try write(to: path) { sink in
            encode(entries, partitionStartNanos: partitionStartNanos, sink: sink)
            return true
        }
    }

    /// `encode(sorted:shape:partitionStartNanos:sink:)` to `path`, durably. `paced` is called with
    /// each piece's size after it is written (compaction throttles its I/O there). If `rows`
    /// ends early, nothing is left at `path` and this throws (EIO).
    public func write<Rows: IteratorProtocol>(sorted rows: inout Rows, shape: Shape, partitionStartNanos: Int64, to path: String,
                                              paced: (Int) -> Void = { _ in }) throws(IOError) -> Int where Rows.Element == LogEntry {
        try write(to: path, paced: paced) { sink in
            encode(sorted: &rows, shape: shape, partitionStartNanos: partitionStartNanos, sink: sink) == shape.rowCount
        }
    }

    /// Temp file, the encoder's pieces, fsync, rename.
    private func write(to path: String, paced: (Int) -> Void = { _ in }, _ encode: (([UInt8]) -> Void) -> Bool) throws(IOError) -> Int {
        let tmp = path + ".tmp"
        let h = try FileHandle(path: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        var size = 0
        var failure: IOError?
        let complete = withoutActuallyEscaping(paced) { paced in
            encode { piece in
                guard failure == nil else { return }
                do throws(IOError) { try h.write(piece) } catch { failure = error }
                size += piece.count
                paced(piece.count)
            }
        }
        if failure == nil && !complete { failure = IOError(path: path, operation: "write (the rows ran out before the segment's row count)", errno: EIO) }
        if let failure {
            try? h.close()
            _ = unlink(tmp)
            throw failure
        }
        try h.sync()
        try h.close()
        try FileSystem.rename(tmp, path)
        return size
    }

    /// Writes one block's chunks; `base` is the absolute file offset of `w`'s first byte.
    private func writeBlock(_ rows: ArraySlice<LogEntry>, fieldColumn: [UTF8Key: Int], number blockNumber: UInt32, terms: inout TermIndexBuilder,
                            base: Int, into w: inout ByteWriter) -> BlockMeta {
        var chunks = [ChunkHandle]()
        func put(_ column: SystemColumn, _ body: (inout ByteWriter) -> Void, codec: Codec = .zstd, stats: ChunkStats = .none) {
            var raw = ByteWriter(capacity: 4096)
            body(&raw)
            let index = SystemColumn.allCases.firstIndex(of: column)!
            chunks.append(writeChunk(raw.bytes, column: index, preferred: codec, stats: stats, base: base, into: &w))
        }
        var ts = [Int64](), seqs = [Int64](), levels = [Int64]()
        var services = [String](), hosts = [String](), sources = [String](), tags = [[UInt8]](), texts = [[UInt8]]()
        var rowFields = [[MessageTemplate.RowField]]()
        ts.reserveCapacity(rows.count); seqs.reserveCapacity(rows.count); levels.reserveCapacity(rows.count)
        services.reserveCapacity(rows.count); hosts.reserveCapacity(rows.count); sources.reserveCapacity(rows.count)
        tags.reserveCapacity(rows.count); texts.reserveCapacity(rows.count); rowFields.reserveCapacity(rows.count)
        var perKey = [Int: [FieldValue?]]()
        // Rows of one block mostly list the same keys in the same order: remember the column of
        // the key last seen at each position before hashing the key.
        var keyCache = FieldKeyCache(columns: fieldColumn)
        for i in rows.indices {
            let row = i - rows.startIndex
            ts.append(rows[i].timestampNanos)
            seqs.append(Int64(bitPattern: rows[i].sequence))
            levels.append(Int64(rows[i].level.rawValue))
            services.append(rows[i].service)
            hosts.append(rows[i].host)
            sources.append(rows[i].source)
            tags.append(Self.encodeTags(rows[i]))
            texts.append(Array(rows[i].message.utf8))
            var refs = [MessageTemplate.RowField]()
            for (position, f) in rows[i].fields.enumerated() {
                let c = keyCache.column(of: f.key, at: position)
                if perKey[c] == nil { perKey[c] = [FieldValue?](repeating: nil, count: rows.count) }
                perKey[c]![row] = f.value
                refs.append(MessageTemplate.RowField(column: c, value: f.value))
            }
            rowFields.append(refs)
        }
        put(.timestamp, { IntColumn.encode(ts, into: &$0) }, codec: .lz4, stats: .int(min: ts.first!, max: ts.last!))
        put(.sequence, { IntColumn.encode(seqs, layout: .aligned, into: &$0) }, codec: .lz4)
        put(.level, { IntColumn.encode(levels, layout: .aligned, into: &$0) })
        // Keyword columns; their per-block dictionaries also feed the segment's term indexes.
        func keyword(_ column: SystemColumn, _ values: [String]) {
            let number = SystemColumn.allCases.firstIndex(of: column)!
            var distinct = [[UInt8]]()
            put(column, { w in
                if !StringColumn.encode(values, into: &w, distinct: { distinct.append($0) }) {
                    var seen = Set<UTF8Key>()
                    for v in values where seen.insert(UTF8Key(v)).inserted { distinct.append(Array(v.utf8)) }
                }
            })
            terms.add(column: number, distinct: distinct, block: blockNumber)
        }
        keyword(.service, services)
        keyword(.host, hosts)
        keyword(.source, sources)
        put(.tags, { StringColumn.encode(tags, into: &$0) })
        // Messages may reference the row's own field values instead of repeating them.
        let messages = MessageColumn.encode(texts, fields: rowFields)
        put(.messageTemplates, { $0.writeBytes(messages.templates.bytes) })
        put(.messageNumbers, { $0.writeBytes(messages.numbers.bytes) })
        put(.messageStrings, { $0.writeBytes(messages.strings.bytes) })
        let bloom = Self.bloom(rows, messages: messages, rowFields: rowFields,
                               bitsPerKey: rows.count >= options.bloomMinRows ? options.bloomBitsPerKey : 0)
        put(.bloom, { bloom.encode(into: &$0) }, codec: .none)
        // Which values this block holds, for the segment's term indexes.
        var tagSet = Set<UTF8Key>()
        for e in rows { for t in e.tags { tagSet.insert(UTF8Key(t)) } }
        terms.add(column: SystemColumn.allCases.firstIndex(of: .tags)!, distinct: tagSet.lazy.map { Array($0.string.utf8) }, block: blockNumber)
        for (c, values) in perKey where !terms.isDropped(c) {
            // Stop collecting once the column outgrows the term index: trace ids and the like
            // are left to the Bloom filters.
            var seen = Set<UTF8Key>()
            var indexable = true
            for v in values {
                switch v {
                case nil: continue
                case .string(let s)?: seen.insert(UTF8Key(s))
                default: indexable = false
                }
                if !indexable || seen.count > terms.limit { indexable = false; break }
            }
            if indexable { terms.add(column: c, distinct: seen.lazy.map { Array($0.string.utf8) }, block: blockNumber) } else { terms.drop(column: c) }
        }
        // Dynamic fields, in column order.
        for c in perKey.keys.sorted() {
            let values = perKey[c]!
            var raw = ByteWriter(capacity: 1024)
            FieldColumn.encode(values, into: &raw)
            chunks.append(writeChunk(raw.bytes, column: c, preferred: .zstd, stats: Self.stats(values), base: base, into: &w))
        }
        let seqValues = seqs.map { UInt64(bitPattern: $0) }
        return BlockMeta(rowCount: rows.count, minTimestampNanos: ts.first!, maxTimestampNanos: ts.last!,
                         minSequence: seqValues.min()!, maxSequence: seqValues.max()!, chunks: chunks)
    }

    /// The block's Bloom filter over `bloomKeys(rows, messages:)`, the messages as just encoded.
    static func bloom(_ rows: ArraySlice<LogEntry>, messages: MessageColumn, rowFields: [[MessageTemplate.RowField]],
                      bitsPerKey: Int) -> BloomFilter {
        guard bitsPerKey > 0 else { return BloomFilter(keyCount: 0, bitsPerKey: 0) }
        let keys: HashSet64
        do throws(FormatError) {
            let streams = try withBytes(messages.templates.bytes) { (tp: UnsafeRawBufferPointer) throws(FormatError) in
                try withBytes(messages.numbers.bytes) { (np: UnsafeRawBufferPointer) throws(FormatError) in
                    try withBytes(messages.strings.bytes) { (sp: UnsafeRawBufferPointer) throws(FormatError) in
                        var t = ByteReader(tp, section: "_msg.tpl"), n = ByteReader(np, section: "_msg.num"), s = ByteReader(sp, section: "_msg.str")
                        return try MessageStreams(rows: rows.count, templates: &t, numbers: &n, strings: &s)
                    }
                }
            }
            keys = try bloomKeys(rows, messages: streams) { c, row in rowFields[row].first { $0.column == c }?.value }
        } catch {
            preconditionFailure("BUG: the message streams just encoded do not decode: \(error)")
        }
        var f = BloomFilter(keyCount: keys.count, bitsPerKey: bitsPerKey)
        keys.forEach { f.insert($0) }
        return f
    }

    /// Every Bloom key of `rows`: the message keys, each non-empty service, host and source, each
    /// tag, and each field value's text under its key (see `BloomKey`). The message keys are
    /// those of format v4 (`MessageStreams.forEachBloomKey`, `field(column, row)` supplying
    /// referenced field values) when `messages` is given, else those of v3 (every token).
    public static func bloomKeys(_ rows: ArraySlice<LogEntry>, messages: MessageStreams?,
                                 field: (Int, Int) -> FieldValue? = { _, _ in nil }) throws(FormatError) -> HashSet64 {
        var keys = HashSet64(capacity: rows.count * 2)
        var seeds = FieldKeyCache(values: { BloomKey.fieldSeed($0) })
        if let messages { try messages.forEachBloomKey(field: field) { keys.insert($0) } }
        for e in rows {
            if messages == nil {
                var m = e.message
                m.withUTF8 { p in BloomKey.forEachTokenKey(UnsafeRawBufferPointer(p)) { keys.insert($0) } }
            }
            if !e.service.isEmpty { keys.insert(BloomKey.keyword(.service, e.service.utf8)) }
            if !e.host.isEmpty { keys.insert(BloomKey.keyword(.host, e.host.utf8)) }
            if !e.source.isEmpty { keys.insert(BloomKey.keyword(.source, e.source.utf8)) }
            for t in e.tags { keys.insert(BloomKey.keyword(.tag, t.utf8)) }
            for (position, f) in e.fields.enumerated() {
                let seed = seeds.value(of: f.key, at: position)
                switch f.value {
                case .string(let s), .json(let s): keys.insert(BloomKey.field(seed: seed, text: s.utf8))
                default: keys.insert(BloomKey.field(seed: seed, text: f.value.text.utf8))
                }
            }
        }
        return keys
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
                            base: Int, into w: inout ByteWriter) -> ChunkHandle {
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
        return ChunkHandle(column: column, codec: codec, offset: base + offset, storedLength: payload.count,
                           rawLength: raw.count, stats: stats)
    }
}
