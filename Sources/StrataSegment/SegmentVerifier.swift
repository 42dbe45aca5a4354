import StrataFormat

/// Checks every checksum and invariant of a segment. See `format-spec/segment.md#invariants`.
///
/// Verification decodes every chunk of every block (so every column decoder validates its
/// bytes) and then checks the cross-structure invariants SEG-1…SEG-4, SEG-18 and SEG-19 of the spec.
public enum SegmentVerifier {
    /// Summary of a clean segment.
    public struct Report: Sendable {
        public var rows: Int
        public var blocks: Int
        public var columns: Int
    }

    /// Verifies the segment at `path`; throws the first fault found.
    public static func verify(path: String) throws(SegmentError) -> Report {
        let reader = try SegmentReader(path: path)
        do throws(FormatError) {
            return try verify(reader)
        } catch {
            throw .format(error.inFile(path))
        }
    }

    /// Verifies an opened segment.
    public static func verify(_ reader: SegmentReader) throws(FormatError) -> Report {
        let h = reader.header
        var total = 0
        var prev: (Int64, UInt64)? = nil
        var minTs = Int64.max, maxTs = Int64.min
        for (b, meta) in reader.index.blocks.enumerated() {
            let section = "block \(b)"
            let at = meta.chunks.first?.offset ?? SegmentHeader.size
            let block = try reader.decodeBlock(b)
            let ts = block.timestamps!, seq = block.sequences!
            // SEG-1: rows sorted by (timestamp, sequence), strictly.
            for i in 0..<block.rowCount {
                let key = (ts[i], seq[i])
                if let p = prev, !(p < key) {
                    throw FormatError.invalid(section, at: at, "row \(i) (ts \(key.0), seq \(key.1)) not after previous row (SEG-1)")
                }
                prev = key
            }
            // SEG-2: block zone maps equal the decoded extremes.
            guard ts.first == meta.minTimestampNanos, ts.last == meta.maxTimestampNanos,
                  seq.min() == meta.minSequence, seq.max() == meta.maxSequence else {
                throw FormatError.invalid(section, at: at, "block min/max disagree with its rows (SEG-2)")
            }
            // SEG-3: chunk statistics equal the decoded extremes.
            for c in meta.chunks {
                let col = reader.index.columns[c.column]
                guard col.kind == .field, c.stats != .none else { continue }
                let values = block.fields[col.name] ?? []
                if SegmentWriter.stats(values) != c.stats {
                    throw FormatError.invalid(section + " field " + col.name, at: c.offset, "chunk min/max disagree with values (SEG-3)")
                }
            }
            // SEG-18: the Bloom filter holds every key of the block's rows (no false negatives).
            let bloom = try reader.bloom(b)
            let entries = (0..<block.rowCount).map { block.entry(at: $0) }
            if bloom.blockCount > 0 {
                var missing = false
                // v4 keys message tokens by where they occur in the encoded block; v3 by the text.
                var streams: MessageStreams? = nil
                if reader.header.version >= FormatVersion.v4.rawValue {
                    streams = try reader.decodeBlock(b, columns: ColumnSelection(system: [.messageTemplates], fields: [], renderMessages: false)).messageBlock?.streams
                }
                let names = reader.index.columns.map(\.name)
                let keys = try SegmentWriter.bloomKeys(entries[...], messages: streams) { c, row in
                    c < names.count ? (block.fields[names[c]]?[row] ?? nil) : nil
                }
                keys.forEach { if !bloom.mayContain($0) { missing = true } }
                if missing {
                    let bh = meta.chunk(reader.columnNumber(.bloom))!
                    throw FormatError.invalid(section + " column _bloom", at: bh.offset, "Bloom filter lacks a key of the block's rows (SEG-18)")
                }
            }
            minTs = min(minTs, meta.minTimestampNanos)
            maxTs = max(maxTs, meta.maxTimestampNanos)
            total += block.rowCount
        }
        // SEG-19: each term index lists, for every value of its column in every block, that block
        // — and nothing else.
        for t in reader.index.termIndexes {
            guard let dict = try reader.termIndex(column: t.column) else { continue }
            var stored = [[UInt8]: [UInt32]]()
            for (term, posting) in try dict.allEntries() { stored[term] = posting.values }
            var expected = [[UInt8]: [UInt32]]()
            let col = reader.index.columns[t.column]
            for b in reader.index.blocks.indices {
                var sel = ColumnSelection(system: [], fields: [])
                if col.kind == .system, let sc = SystemColumn(rawValue: col.name) { sel.system = [sc] } else { sel.fields = [col.name] }
                let block = try reader.decodeBlock(b, columns: sel)
                var values = Set<[UInt8]>()
                switch SystemColumn(rawValue: col.name) {
                case .service? where col.kind == .system: block.services.map { for code in Set($0.codes) { values.insert($0.dictionary[Int(code)]) } }
                case .host? where col.kind == .system: block.hosts.map { for code in Set($0.codes) { values.insert($0.dictionary[Int(code)]) } }
                case .source? where col.kind == .system: block.sources.map { for code in Set($0.codes) { values.insert($0.dictionary[Int(code)]) } }
                case .tags? where col.kind == .system:
                    if let tags = block.tags { for i in 0..<tags.count { for tag in DecodedBlock.tagList(tags[i]) { values.insert(Array(tag.utf8)) } } }
                default:
                    for v in block.fields[col.name] ?? [] {
                        guard let v else { continue }
                        guard case .string(let s) = v else {
                            throw FormatError.invalid("term index of column \(col.name)", at: t.offset, "indexes a column with non-string values (SEG-19)")
                        }
                        values.insert(Array(s.utf8))
                    }
                }
                for v in values { expected[v, default: []].append(UInt32(b)) }
            }
            if stored != expected {
                throw FormatError.invalid("term index of column \(col.name)", at: t.offset, "postings disagree with the blocks' values (SEG-19)")
            }
        }
        // SEG-4: header totals equal the blocks'.
        guard UInt64(total) == h.rowCount else {
            throw FormatError.invalid("segment header", at: 32, "row count \(h.rowCount), blocks hold \(total) (SEG-4)")
        }
        if total > 0 {
            guard minTs == h.minTimestampNanos, maxTs == h.maxTimestampNanos else {
                throw FormatError.invalid("segment header", at: 16, "time range disagrees with blocks (SEG-4)")
            }
        }
        return Report(rows: total, blocks: reader.index.blocks.count, columns: reader.index.columns.count)
    }
}
