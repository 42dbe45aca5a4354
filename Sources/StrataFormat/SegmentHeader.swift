/// The fixed 64-byte header at offset 0 of every segment file.
/// See `format-spec/segment.md#header`.
///
/// | off | size | field |
/// |----:|----:|---|
/// | 0 | 8 | magic `STRATSEG` |
/// | 8 | 2 | format version (u16 LE) |
/// | 10 | 2 | flags (must be 0) |
/// | 12 | 4 | header length = 64 (u32 LE) |
/// | 16 | 8 | min timestamp ns (i64 LE) |
/// | 24 | 8 | max timestamp ns (i64 LE) |
/// | 32 | 8 | row count (u64 LE) |
/// | 40 | 8 | partition start ns (i64 LE) |
/// | 48 | 8 | reserved, zero |
/// | 56 | 8 | xxhash64 of bytes 0..<56 |
public struct SegmentHeader: Equatable, Sendable {
    public static let magic: [UInt8] = Array("STRATSEG".utf8)
    public static let size = 64

    public var version: UInt16
    public var minTimestampNanos: Int64
    public var maxTimestampNanos: Int64
    public var rowCount: UInt64
    public var partitionStartNanos: Int64

    public init(version: UInt16 = FormatVersion.current.rawValue, minTimestampNanos: Int64, maxTimestampNanos: Int64,
                rowCount: UInt64, partitionStartNanos: Int64) {
        self.version = version
        self.minTimestampNanos = minTimestampNanos
        self.maxTimestampNanos = maxTimestampNanos
        self.rowCount = rowCount
        self.partitionStartNanos = partitionStartNanos
    }

    /// Appends the 64 header bytes.
    public func encode(into w: inout ByteWriter) {
        let start = w.count
        w.writeBytes(Self.magic)
        w.writeUInt16(version)
        w.writeUInt16(0)
        w.writeUInt32(UInt32(Self.size))
        w.writeInt64(minTimestampNanos)
        w.writeInt64(maxTimestampNanos)
        w.writeUInt64(rowCount)
        w.writeInt64(partitionStartNanos)
        w.writeUInt64(0)
        w.writeChecksum(of: start..<w.count)
    }

    /// Decodes and validates the header at the start of `file`.
    public static func decode(from file: UnsafeRawBufferPointer) throws(FormatError) -> SegmentHeader {
        let section = "segment header"
        guard file.count >= size else { throw FormatError.truncated(section, at: 0, needed: size, available: file.count) }
        if !file[0..<8].elementsEqual(magic) {
            throw FormatError(.badMagic, section: section, offset: 0, detail: "expected magic STRATSEG")
        }
        // Version before checksum: a newer writer may lay the header out differently.
        try FormatVersion.check(UInt16(file[8]) | UInt16(file[9]) << 8, section: section, offset: 8)
        try verifyChecksum(file, covered: 0..<56, base: 0, section: section)
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: file[0..<56]), section: section)
        try r.skip(8)
        let version = try r.readUInt16()
        try FormatVersion.check(version, section: section, offset: 8)
        let flags = try r.readUInt16()
        guard flags == 0 else { throw FormatError.invalid(section, at: 10, "unknown flags 0x\(String(flags, radix: 16))") }
        let len = try r.readUInt32()
        guard len == UInt32(size) else { throw FormatError.invalid(section, at: 12, "header length \(len), expected \(size)") }
        let h = SegmentHeader(version: version, minTimestampNanos: try r.readInt64(), maxTimestampNanos: try r.readInt64(),
                              rowCount: try r.readUInt64(), partitionStartNanos: try r.readInt64())
        guard try r.readUInt64() == 0 else { throw FormatError.invalid(section, at: 48, "reserved bytes not zero") }
        guard h.minTimestampNanos <= h.maxTimestampNanos || h.rowCount == 0 else {
            throw FormatError.invalid(section, at: 16, "min timestamp after max timestamp")
        }
        return h
    }
}

/// The fixed 48-byte footer at the end of every segment file.
/// See `format-spec/segment.md#footer`.
///
/// | off | size | field |
/// |----:|----:|---|
/// | 0 | 8 | block index offset (u64 LE) |
/// | 8 | 8 | block index length, excluding its 8-byte checksum (u64 LE) |
/// | 16 | 4 | block count (u32 LE) |
/// | 20 | 4 | column count (u32 LE) |
/// | 24 | 2 | format version (u16 LE) |
/// | 26 | 6 | reserved, zero |
/// | 32 | 8 | xxhash64 of footer bytes 0..<32 |
/// | 40 | 8 | magic `STRATEND` |
public struct SegmentFooter: Equatable, Sendable {
    public static let magic: [UInt8] = Array("STRATEND".utf8)
    public static let size = 48

    public var indexOffset: UInt64
    public var indexLength: UInt64
    public var blockCount: UInt32
    public var columnCount: UInt32
    public var version: UInt16

    public init(indexOffset: UInt64, indexLength: UInt64, blockCount: UInt32, columnCount: UInt32,
                version: UInt16 = FormatVersion.current.rawValue) {
        self.indexOffset = indexOffset
        self.indexLength = indexLength
        self.blockCount = blockCount
        self.columnCount = columnCount
        self.version = version
    }

    /// Appends the 48 footer bytes.
    public func encode(into w: inout ByteWriter) {
        let start = w.count
        w.writeUInt64(indexOffset)
        w.writeUInt64(indexLength)
        w.writeUInt32(blockCount)
        w.writeUInt32(columnCount)
        w.writeUInt16(version)
        w.writeZeros(6)
        w.writeChecksum(of: start..<w.count)
        w.writeBytes(Self.magic)
    }

    /// Decodes and validates the footer at the end of `file`.
    public static func decode(from file: UnsafeRawBufferPointer) throws(FormatError) -> SegmentFooter {
        let section = "segment footer"
        let minimum = SegmentHeader.size + size
        guard file.count >= minimum else { throw FormatError.truncated(section, at: 0, needed: minimum, available: file.count) }
        let at = file.count - size
        if !file[(at + 40)..<(at + 48)].elementsEqual(magic) {
            throw FormatError(.badMagic, section: section, offset: at + 40, detail: "expected magic STRATEND (file truncated or not a segment)")
        }
        let region = UnsafeRawBufferPointer(rebasing: file[at...])
        try FormatVersion.check(UInt16(region[24]) | UInt16(region[25]) << 8, section: section, offset: at + 24)
        try verifyChecksum(region, covered: 0..<32, base: at, section: section)
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: region[0..<32]), base: at, section: section)
        let f = SegmentFooter(indexOffset: try r.readUInt64(), indexLength: try r.readUInt64(),
                              blockCount: try r.readUInt32(), columnCount: try r.readUInt32(), version: try r.readUInt16())
        try FormatVersion.check(f.version, section: section, offset: at + 24)
        for i in 26..<32 where region[i] != 0 { throw FormatError.invalid(section, at: at + i, "reserved bytes not zero") }
        guard f.indexOffset >= UInt64(SegmentHeader.size), f.indexOffset <= UInt64(at),
              f.indexLength <= UInt64(Limits.maxIndexBytes), f.indexOffset + f.indexLength + 8 == UInt64(at) else {
            throw FormatError.invalid(section, at: at, "block index [\(f.indexOffset), +\(f.indexLength)+8) does not end at the footer (\(at))")
        }
        guard f.blockCount <= UInt32(Limits.maxBlocksPerSegment), f.columnCount <= UInt32(Limits.maxColumnsPerSegment) else {
            throw FormatError.invalid(section, at: at + 16, "block or column count over limit")
        }
        return f
    }
}
