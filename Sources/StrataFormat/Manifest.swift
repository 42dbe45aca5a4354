/// One live segment as recorded in the manifest.
public struct SegmentRecord: Equatable, Sendable {
    /// Unique, increasing segment number; also names the file (`%020d.seg`).
    public var id: UInt64
    /// Path relative to the data directory.
    public var path: String
    public var partitionStartNanos: Int64
    public var minTimestampNanos: Int64
    public var maxTimestampNanos: Int64
    public var minSequence: UInt64
    public var maxSequence: UInt64
    public var rowCount: UInt64
    public var sizeInBytes: UInt64
    /// Compaction level: 0 for a flushed segment, n + 1 for the merge of level-n segments.
    public var level: UInt8
    /// Which tier lists the segment (not stored: a record's tier is the manifest it is in).
    public var tier: SegmentTier = .hot

    public init(id: UInt64, path: String, partitionStartNanos: Int64, minTimestampNanos: Int64, maxTimestampNanos: Int64,
                minSequence: UInt64, maxSequence: UInt64, rowCount: UInt64, sizeInBytes: UInt64, level: UInt8) {
        self.id = id
        self.path = path
        self.partitionStartNanos = partitionStartNanos
        self.minTimestampNanos = minTimestampNanos
        self.maxTimestampNanos = maxTimestampNanos
        self.minSequence = minSequence
        self.maxSequence = maxSequence
        self.rowCount = rowCount
        self.sizeInBytes = sizeInBytes
        self.level = level
    }
}

/// The tier of a segment: the data directory (`hot`) or the archive's object store, where
/// `path` is an object key (see `format-spec/manifest.md#archive`).
public enum SegmentTier: Sendable, Equatable {
    case hot, archive
}

/// The manifest: the single source of truth for which segments are live.
/// See `format-spec/manifest.md`.
///
/// Layout: `magic "STRATMAN"` (8) · `u16 version` · `u16 reserved=0` · `u32 reserved=0` ·
/// `u64 body length` · body · `u64 xxhash64` of every preceding byte. Body: `varint generation`,
/// `varint nextSequence`, `varint flushedSequence`, `varint nextSegmentID`,
/// `varint partitionDurationNanos`, `varint segmentCount`, segmentCount × (`varint id`,
/// `string path`, `zigzag partitionStart`, `zigzag minTs`, `zigzag maxTs`, `varint minSeq`,
/// `varint maxSeq`, `varint rows`, `varint size`, `u8 level`).
///
/// Invariants: every sequence ≤ `flushedSequence` is in a listed segment; `nextSequence` >
/// every sequence ever assigned; segment ids are unique and < `nextSegmentID`.
public struct Manifest: Equatable, Sendable {
    public static let magic: [UInt8] = Array("STRATMAN".utf8)

    /// Incremented on every replacement of the manifest.
    public var generation: UInt64
    public var nextSequence: UInt64
    /// Every entry with a sequence at or below this is durable in a listed segment.
    public var flushedSequence: UInt64
    public var nextSegmentID: UInt64
    public var partitionDurationNanos: Int64
    public var segments: [SegmentRecord]

    public init(generation: UInt64 = 0, nextSequence: UInt64 = 1, flushedSequence: UInt64 = 0, nextSegmentID: UInt64 = 1,
                partitionDurationNanos: Int64, segments: [SegmentRecord] = []) {
        self.generation = generation
        self.nextSequence = nextSequence
        self.flushedSequence = flushedSequence
        self.nextSegmentID = nextSegmentID
        self.partitionDurationNanos = partitionDurationNanos
        self.segments = segments
    }

    /// The manifest file's bytes.
    public func encode() -> [UInt8] {
        var body = ByteWriter()
        body.writeVarint(generation)
        body.writeVarint(nextSequence)
        body.writeVarint(flushedSequence)
        body.writeVarint(nextSegmentID)
        body.writeVarint(UInt64(partitionDurationNanos))
        body.writeVarint(UInt64(segments.count))
        for s in segments {
            body.writeVarint(s.id)
            body.writeString(s.path)
            body.writeZigzag(s.partitionStartNanos)
            body.writeZigzag(s.minTimestampNanos)
            body.writeZigzag(s.maxTimestampNanos)
            body.writeVarint(s.minSequence)
            body.writeVarint(s.maxSequence)
            body.writeVarint(s.rowCount)
            body.writeVarint(s.sizeInBytes)
            body.writeUInt8(s.level)
        }
        var w = ByteWriter(capacity: body.count + 32)
        w.writeBytes(Self.magic)
        w.writeUInt16(FormatVersion.current.rawValue)
        w.writeUInt16(0)
        w.writeUInt32(0)
        w.writeUInt64(UInt64(body.count))
        w.writeBytes(body.bytes)
        w.writeChecksum(of: 0..<w.count)
        return w.bytes
    }

    /// Decodes and validates a manifest file.
    public static func decode(from b: UnsafeRawBufferPointer) throws(FormatError) -> Manifest {
        let section = "manifest"
        guard b.count >= 32 else { throw FormatError.truncated(section, at: 0, needed: 32, available: b.count) }
        if !b[0..<8].elementsEqual(magic) { throw FormatError(.badMagic, section: section, offset: 0, detail: "expected magic STRATMAN") }
        var r = ByteReader(b, section: section)
        try r.skip(8)
        let version = try r.readUInt16()
        try FormatVersion.check(version, section: section, offset: 8)
        guard try r.readUInt16() == 0, try r.readUInt32() == 0 else { throw FormatError.invalid(section, at: 10, "reserved bytes not zero") }
        let bodyLen = try r.readUInt64()
        guard bodyLen <= UInt64(b.count - 32), 24 + Int(bodyLen) + 8 == b.count else {
            throw FormatError.invalid(section, at: 16, "body length \(bodyLen) disagrees with file size \(b.count)")
        }
        try verifyChecksum(b, covered: 0..<(24 + Int(bodyLen)), base: 0, section: section)
        var body = ByteReader(UnsafeRawBufferPointer(rebasing: b[24..<(24 + Int(bodyLen))]), base: 24, section: section)
        var m = Manifest(generation: try body.readVarint(), nextSequence: try body.readVarint(),
                         flushedSequence: try body.readVarint(), nextSegmentID: try body.readVarint(),
                         partitionDurationNanos: 0)
        let durAt = body.absoluteOffset
        let dur = try body.readVarint()
        guard dur > 0, dur <= UInt64(Int64.max) else { throw FormatError.invalid(section, at: durAt, "partition duration \(dur)") }
        m.partitionDurationNanos = Int64(dur)
        let n = try body.readLength(limit: min(Limits.maxSegmentsInManifest, body.remaining), "segment count")
        var ids = Set<UInt64>()
        for _ in 0..<n {
            let at = body.absoluteOffset
            let s = SegmentRecord(id: try body.readVarint(), path: try body.readString(limit: Limits.maxSegmentPathBytes),
                                  partitionStartNanos: try body.readZigzag(), minTimestampNanos: try body.readZigzag(),
                                  maxTimestampNanos: try body.readZigzag(), minSequence: try body.readVarint(),
                                  maxSequence: try body.readVarint(), rowCount: try body.readVarint(),
                                  sizeInBytes: try body.readVarint(), level: try body.readUInt8())
            guard s.id < m.nextSegmentID, ids.insert(s.id).inserted else {
                throw FormatError.invalid(section, at: at, "segment id \(s.id) duplicated or not below nextSegmentID \(m.nextSegmentID)")
            }
            guard !s.path.isEmpty, !s.path.hasPrefix("/"), !s.path.contains("..") else {
                throw FormatError.invalid(section, at: at, "segment path \"\(s.path)\" must be relative to the data directory")
            }
            m.segments.append(s)
        }
        try body.expectEnd()
        return m
    }
}
