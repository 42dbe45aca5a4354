import StrataFormat
import StrataIO
import StrataIndex

/// Reads one segment file through a memory mapping. See `format-spec/segment.md#reader`.
///
/// Opening validates the header, footer and block index (three checksums) and touches no
/// column data; `decodeBlock` then verifies and decodes only the chunks a scan selects.
/// Every failure is a `SegmentError` naming the file, the section and the offset.
public final class SegmentReader: @unchecked Sendable {
    public let path: String
    public let header: SegmentHeader
    public let footer: SegmentFooter
    public let index: BlockIndex
    private let file: MappedFile
    private let systemColumn: [SystemColumn: Int]
    /// Column number of each field key.
    public let fieldColumns: [String: Int]
    /// Every column's name by number.
    let columnNames: [String]

    /// Maps and opens `path`.
    public convenience init(path: String) throws(SegmentError) {
        let file: MappedFile
        do throws(IOError) { file = try MappedFile(path: path) } catch { throw .io(error) }
        try self.init(file: file)
    }

    /// Opens a segment held in memory (`name` is used in error messages).
    public convenience init(bytes: [UInt8], name: String) throws(SegmentError) {
        try self.init(file: MappedFile(copying: bytes, path: name))
    }

    init(file: MappedFile) throws(SegmentError) {
        self.path = file.path
        self.file = file
        let bytes = file.bytes
        do throws(FormatError) {
            header = try SegmentHeader.decode(from: bytes)
            footer = try SegmentFooter.decode(from: bytes)
            let off = Int(footer.indexOffset), len = Int(footer.indexLength)
            try verifyChecksum(bytes, covered: off..<(off + len), base: 0, section: "block index")
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[off..<(off + len)]), base: off, section: "block index")
            index = try BlockIndex.decode(from: &r, dataEnd: off)
            guard index.blocks.count == Int(footer.blockCount), index.columns.count == Int(footer.columnCount) else {
                throw FormatError.invalid("block index", at: off, "\(index.blocks.count) blocks / \(index.columns.count) columns, footer says \(footer.blockCount) / \(footer.columnCount)")
            }
        } catch {
            throw .format(error.inFile(path))
        }
        var sys = [SystemColumn: Int]()
        var fields = [String: Int]()
        for (i, c) in index.columns.enumerated() {
            switch c.kind {
            case .system: if let s = SystemColumn(rawValue: c.name) { sys[s] = i }
            case .field: fields[c.name] = i
            }
        }
        systemColumn = sys
        fieldColumns = fields
        columnNames = index.columns.map(\.name)
        if sys.count != SystemColumn.allCases.count {
            throw .format(FormatError.invalid("block index", at: Int(footer.indexOffset), "missing system columns").inFile(path))
        }
    }

    /// Size of the file in bytes.
    public var sizeInBytes: Int { file.bytes.count }

    /// The stored bytes of one chunk after checksum verification and decompression.
    public func chunkBytes(_ h: ChunkHandle, block: Int) throws(FormatError) -> [UInt8] {
        let name = "block \(block) column \(index.columns[h.column].name)"
        do throws(FormatError) {
            try verifyChecksum(file.bytes, covered: h.offset..<(h.offset + h.storedLength), base: 0, section: name)
            let stored = UnsafeRawBufferPointer(rebasing: file.bytes[h.offset..<(h.offset + h.storedLength)])
            return try Compressor.decompress(stored, codec: h.codec, rawLength: h.rawLength, section: name, offset: h.offset)
        } catch {
            throw error.inFile(path)
        }
    }

    /// Decodes the selected columns of block `b`.
    public func decodeBlock(_ b: Int, columns sel: ColumnSelection = .all) throws(FormatError) -> DecodedBlock {
        let meta = index.blocks[b]
        let rows = meta.rowCount
        var out = DecodedBlock(rowCount: rows)
        out.columnNames = columnNames
        func chunk(_ c: SystemColumn) throws(FormatError) -> (bytes: [UInt8], handle: ChunkHandle) {
            guard let h = meta.chunk(systemColumn[c]!) else {
                throw FormatError.invalid("block \(b)", at: Int(footer.indexOffset), "column \(c.rawValue) missing").inFile(path)
            }
            return (try chunkBytes(h, block: b), h)
        }
        func decode<T>(_ c: SystemColumn, _ body: (inout ByteReader) throws(FormatError) -> T) throws(FormatError) -> T {
            let (bytes, h) = try chunk(c)
            do throws(FormatError) {
                return try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> T in
                    var r = ByteReader(p, base: 0, section: "block \(b) column \(c.rawValue) (chunk @0x\(String(h.offset, radix: 16)), decoded offset)")
                    let v = try body(&r)
                    try r.expectEnd()
                    return v
                }
            } catch {
                throw error.inFile(path)
            }
        }
        func checkCount(_ n: Int, _ c: SystemColumn) throws(FormatError) {
            if n != rows {
                throw FormatError.invalid("block \(b) column \(c.rawValue)", at: meta.chunk(systemColumn[c]!)!.offset,
                                          "\(n) values for \(rows) rows").inFile(path)
            }
        }
        for c in sel.system {
            switch c {
            case .timestamp:
                let v = try decode(c) { (r: inout ByteReader) throws(FormatError) in try IntColumn.decode(from: &r, limit: rows) }
                try checkCount(v.count, c); out.timestamps = v
            case .sequence:
                let v = try decode(c) { (r: inout ByteReader) throws(FormatError) in try IntColumn.decode(from: &r, limit: rows) }
                try checkCount(v.count, c); out.sequences = v.map { UInt64(bitPattern: $0) }
            case .level:
                let v = try decode(c) { (r: inout ByteReader) throws(FormatError) in try IntColumn.decode(from: &r, limit: rows) }
                try checkCount(v.count, c)
                guard v.allSatisfy({ $0 >= 0 && $0 <= Int64(LogLevel.fatal.rawValue) }) else {
                    throw FormatError.invalid("block \(b) column _level", at: meta.chunk(systemColumn[c]!)!.offset, "level out of range").inFile(path)
                }
                out.levels = v.map { UInt8($0) }
            case .service, .host, .source:
                let v = try decode(c) { (r: inout ByteReader) throws(FormatError) in
                    try StringColumn.decodeKeyword(from: &r, maxLength: Limits.maxShortStringBytes, limit: rows)
                }
                try checkCount(v.count, c)
                switch c {
                case .service: out.services = v
                case .host: out.hosts = v
                default: out.sources = v
                }
            case .tags:
                let v = try decode(c) { (r: inout ByteReader) throws(FormatError) in
                    try StringColumn.decodeView(from: &r, maxLength: Limits.maxTagBytesPerRow, limit: rows)
                }
                try checkCount(v.count, c)
                out.tags = v
            case .messageTemplates:
                let (tb, th) = try chunk(.messageTemplates)
                // Numbers and strings are decompressed only if a row needs them.
                guard let nh = meta.chunk(systemColumn[.messageNumbers]!), let sh = meta.chunk(systemColumn[.messageStrings]!) else {
                    throw FormatError.invalid("block \(b)", at: Int(footer.indexOffset), "column _msg.num or _msg.str missing").inFile(path)
                }
                let numbers = LazyBytes { [self] () throws(FormatError) in try chunkBytes(nh, block: b) }
                let strings = LazyBytes { [self] () throws(FormatError) in try chunkBytes(sh, block: b) }
                // Field columns the templates reference are decoded when a row first needs one.
                let columnCount = index.columns.count
                let load = { [self] (c: Int) throws(FormatError) -> FieldColumnView? in
                    guard c < columnCount, index.columns[c].kind == .field, let h = meta.chunk(c) else { return nil }
                    return try decodeFieldView(h, block: b, rows: rows)
                }
                do throws(FormatError) {
                    let streams = try withBytes(tb) { (tp: UnsafeRawBufferPointer) throws(FormatError) -> MessageStreams in
                        var t = ByteReader(tp, section: "block \(b) column _msg.tpl (chunk @0x\(String(th.offset, radix: 16)), decoded offset)")
                        return try MessageStreams(
                            rows: rows, templates: &t,
                            numbers: numbers, numberSection: "block \(b) column _msg.num (chunk @0x\(String(nh.offset, radix: 16)), decoded offset)",
                            strings: strings, stringSection: "block \(b) column _msg.str (chunk @0x\(String(sh.offset, radix: 16)), decoded offset)")
                    }
                    let loadRaw = { [self] (c: Int) throws(FormatError) -> [UInt8]? in
                        guard c < columnCount, index.columns[c].kind == .field, let h = meta.chunk(c) else { return nil }
                        return try chunkBytes(h, block: b)
                    }
                    let block = MessageBlock(streams: streams, load: load, loadRaw: loadRaw)
                    if sel.renderMessages {
                        var all = [[UInt8]]()
                        all.reserveCapacity(rows)
                        for row in 0..<rows { all.append(try block.message(row)) }
                        out.messages = all
                    } else {
                        out.messageBlock = block
                    }
                } catch {
                    throw error.inFile(path)
                }
            case .messageNumbers, .messageStrings, .bloom:
                continue
            }
        }
        for (key, col) in fieldColumns where sel.fields?.contains(key) ?? true {
            guard let h = meta.chunk(col) else { continue }
            if sel.fieldsAsViews {
                out.fieldViews[key] = try decodeFieldView(h, block: b, rows: rows)
            } else if let wanted = sel.fieldRows {
                out.rowFields[key] = try decodeFieldRows(h, block: b, rows: rows, only: wanted)
            } else {
                out.fields[key] = try decodeField(h, block: b, rows: rows)
            }
        }
        return out
    }

    private let bloomLock = ConditionLock()
    private var bloomCache = [Int: BloomFilter]()

    /// The Bloom filter of block `b`, decoded once and then kept (filters are small and every
    /// selective query reads them).
    public func cachedBloom(_ b: Int) throws(FormatError) -> BloomFilter {
        if let f = bloomLock.withLock({ bloomCache[b] }) { return f }
        let f = try bloom(b)
        bloomLock.withLock { bloomCache[b] = f }
        return f
    }

    /// The Bloom filter of block `b` (verified and decoded).
    public func bloom(_ b: Int) throws(FormatError) -> BloomFilter {
        guard let h = index.blocks[b].chunk(systemColumn[.bloom]!) else {
            throw FormatError.invalid("block \(b)", at: Int(footer.indexOffset), "column _bloom missing").inFile(path)
        }
        let bytes = try chunkBytes(h, block: b)
        do throws(FormatError) {
            return try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> BloomFilter in
                var r = ByteReader(p, section: "block \(b) column _bloom (chunk @0x\(String(h.offset, radix: 16)), decoded offset)")
                let f = try BloomFilter.decode(from: &r)
                try r.expectEnd()
                return f
            }
        } catch {
            throw error.inFile(path)
        }
    }

    private var termCache = [Int: TermDictionary]()

    /// The term index of `column`, if the segment has one (decoded once, then kept).
    public func termIndex(column: Int) throws(FormatError) -> TermDictionary? {
        if let d = bloomLock.withLock({ termCache[column] }) { return d }
        guard let h = index.termIndexes.first(where: { $0.column == column }) else { return nil }
        let name = "term index of column \(index.columns[column].name)"
        let raw: [UInt8]
        do throws(FormatError) {
            try verifyChecksum(file.bytes, covered: h.offset..<(h.offset + h.storedLength), base: 0, section: name)
            let stored = UnsafeRawBufferPointer(rebasing: file.bytes[h.offset..<(h.offset + h.storedLength)])
            raw = try Compressor.decompress(stored, codec: h.codec, rawLength: h.rawLength, section: name, offset: h.offset)
        } catch {
            throw error.inFile(path)
        }
        let d: TermDictionary
        do throws(FormatError) { d = try TermDictionary(bytes: raw, section: name + " (decoded offset)") } catch { throw error.inFile(path) }
        bloomLock.withLock { termCache[column] = d }
        return d
    }

    /// The term index of a system column.
    public func termIndex(_ c: SystemColumn) throws(FormatError) -> TermDictionary? { try termIndex(column: systemColumn[c]!) }

    /// Column number of a system column.
    public func columnNumber(_ c: SystemColumn) -> Int { systemColumn[c]! }

    /// Decodes one field chunk.
    func decodeField(_ h: ChunkHandle, block b: Int, rows: Int) throws(FormatError) -> [FieldValue?] {
        try withFieldChunk(h, block: b) { (r: inout ByteReader) throws(FormatError) in try FieldColumn.decode(rows: rows, from: &r) }
    }

    /// Decodes the values of a few rows of one field chunk.
    func decodeFieldRows(_ h: ChunkHandle, block b: Int, rows: Int, only wanted: Set<Int>) throws(FormatError) -> [Int: FieldValue] {
        try withFieldChunk(h, block: b) { (r: inout ByteReader) throws(FormatError) in try FieldColumn.decode(rows: rows, from: &r, only: wanted) }
    }

    /// Runs `body` over the decompressed chunk of a field column; it must consume all of it.
    private func withFieldChunk<T>(_ h: ChunkHandle, block b: Int, _ body: (inout ByteReader) throws(FormatError) -> T) throws(FormatError) -> T {
        let bytes = try chunkBytes(h, block: b)
        let key = index.columns[h.column].name
        do throws(FormatError) {
            return try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> T in
                var r = ByteReader(p, section: "block \(b) field \(key) (chunk @0x\(String(h.offset, radix: 16)), decoded offset)")
                let v = try body(&r)
                try r.expectEnd()
                return v
            }
        } catch {
            throw error.inFile(path)
        }
    }

    /// Decodes one field chunk as a view.
    func decodeFieldView(_ h: ChunkHandle, block b: Int, rows: Int) throws(FormatError) -> FieldColumnView {
        try withFieldChunk(h, block: b) { (r: inout ByteReader) throws(FormatError) in try FieldColumn.decodeView(rows: rows, from: &r) }
    }

    /// Every entry of the segment in stored (time) order.
    public func allEntries() throws(FormatError) -> [LogEntry] {
        var out = [LogEntry]()
        out.reserveCapacity(Int(header.rowCount))
        for b in index.blocks.indices {
            let block = try decodeBlock(b)
            for i in 0..<block.rowCount { out.append(block.entry(at: i)) }
        }
        return out
    }

    /// The entry with `id`, if this segment holds it.
    public func entry(id: LogID) throws(FormatError) -> LogEntry? {
        for (b, meta) in index.blocks.enumerated()
        where meta.minTimestampNanos <= id.timestampNanos && id.timestampNanos <= meta.maxTimestampNanos
            && meta.minSequence <= id.sequence && id.sequence <= meta.maxSequence {
            let keys = try decodeBlock(b, columns: ColumnSelection(system: [.timestamp, .sequence], fields: []))
            for i in 0..<keys.rowCount where keys.sequences![i] == id.sequence && keys.timestamps![i] == id.timestampNanos {
                return try decodeBlock(b).entry(at: i)
            }
        }
        return nil
    }
}

/// Failure to open or read a segment: an I/O error, or damaged bytes.
public enum SegmentError: Error, CustomStringConvertible {
    case io(IOError)
    case format(FormatError)

    public var description: String {
        switch self {
        case .io(let e): e.description
        case .format(let e): e.description
        }
    }
}
