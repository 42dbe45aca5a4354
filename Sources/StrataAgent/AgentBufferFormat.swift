import StrataFormat

/// Byte layout of strata-agent's disk buffer: segment files and the `HEAD` file.
/// See `format-spec/agent-buffer.md`.
///
/// A segment file is a 32-byte header followed by records, back to back, up to the end of the
/// file. Header: `magic "STRATABF"` (8) · `u16 version` · `u16 reserved=0` · `u32 reserved=0` ·
/// `u64 segment number` · `u64 xxhash64 of bytes [0, 24)`. Record: `u32 payload length` ·
/// `u8 type` (1 = batch) · 3 reserved zero bytes · `u64 sequence` · `u64 xxhash64` of the
/// record's bytes `[0, 16)` followed by the payload · payload. The `HEAD` file is 32 bytes:
/// `magic "STRATABH"` · `u16 version` · `u16 reserved=0` · `u32 reserved=0` ·
/// `u64 acknowledged sequence` · `u64 xxhash64 of bytes [0, 24)`. All integers little-endian.
///
/// Everything here is pure over bytes (no I/O), so the scanner can be fuzzed.
public enum AgentBufferFormat {
    /// Magic of a segment file ([agent-buffer.md#segment-header](format-spec/agent-buffer.md)).
    public static let segmentMagic: [UInt8] = Array("STRATABF".utf8)
    /// Magic of the `HEAD` file.
    public static let headMagic: [UInt8] = Array("STRATABH".utf8)
    /// The version writers produce. The buffer has its own version, not `FormatVersion`: it is a
    /// private file of one agent host and must not be invalidated by a store format change.
    public static let currentVersion: UInt16 = 1
    /// The versions this reader accepts; any other is `unsupportedVersion`, never misread.
    public static let supportedVersions: ClosedRange<UInt16> = 1...1
    /// Size of the segment header; records start at this offset.
    public static let segmentHeaderSize = 32
    /// Size of a record header (length, type, reserved, sequence, checksum).
    public static let recordHeaderSize = 24
    /// Exact size of the `HEAD` file.
    public static let headSize = 32
    /// Record type of an opaque batch, the only type there is.
    public static let batchRecordType: UInt8 = 1
    /// Largest record payload (64 MiB). A record is one compressed batch sent as one request
    /// body, and the server refuses bodies over its default `max_body_bytes` (64 MiB), so a
    /// larger record could never be delivered. It also bounds what a corrupt length field can
    /// make a reader allocate.
    public static let maxRecordBytes = 64 << 20

    /// Whether this build reads files of version `raw`.
    public static func isSupported(_ raw: UInt16) -> Bool { supportedVersions.contains(raw) }

    // MARK: - Segment header

    /// The 32-byte header at the start of every segment file (BUF-1).
    public struct SegmentHeader: Equatable, Sendable {
        /// Format version the file was written with.
        public var version: UInt16
        /// The number in the file's name (BUF-13; written, not checked by readers).
        public var segmentNumber: UInt64

        /// Creates a header of the current version.
        public init(segmentNumber: UInt64, version: UInt16 = AgentBufferFormat.currentVersion) {
            self.version = version
            self.segmentNumber = segmentNumber
        }

        /// Appends the header's 32 bytes to `w`.
        public func encode(into w: inout ByteWriter) {
            let start = w.count
            w.writeBytes(AgentBufferFormat.segmentMagic)
            w.writeUInt16(version)
            w.writeUInt16(0)
            w.writeUInt32(0)
            w.writeUInt64(segmentNumber)
            w.writeChecksum(of: start..<start + 24)
        }

        /// Decodes the header at the start of `b`. Checks, in this order: size, magic, version,
        /// checksum, reserved bytes (BUF-1).
        ///
        /// - Throws: `FormatError` of kind `truncated`, `badMagic`, `unsupportedVersion`,
        ///   `checksumMismatch` or `invalid`.
        public static func decode(from b: UnsafeRawBufferPointer) throws(FormatError) -> SegmentHeader {
            let (version, number) = try decodeFixedHeader(b, magic: segmentMagic, section: "agent buffer segment header")
            return SegmentHeader(segmentNumber: number, version: version)
        }
    }

    // MARK: - HEAD

    /// The `HEAD` file: every record with a sequence up to `acknowledgedSequence` is delivered.
    /// A missing `HEAD` means 0: nothing acknowledged (sequences start at 1).
    public struct Head: Equatable, Sendable {
        /// Format version the file was written with.
        public var version: UInt16
        /// Highest acknowledged sequence; records at or below it are never returned again (BUF-9).
        public var acknowledgedSequence: UInt64

        /// Creates a head of the current version.
        public init(acknowledgedSequence: UInt64, version: UInt16 = AgentBufferFormat.currentVersion) {
            self.version = version
            self.acknowledgedSequence = acknowledgedSequence
        }

        /// The file's 32 bytes.
        public func encode() -> [UInt8] {
            var w = ByteWriter(capacity: AgentBufferFormat.headSize)
            w.writeBytes(AgentBufferFormat.headMagic)
            w.writeUInt16(version)
            w.writeUInt16(0)
            w.writeUInt32(0)
            w.writeUInt64(acknowledgedSequence)
            w.writeChecksum(of: 0..<24)
            return w.bytes
        }

        /// Decodes a whole `HEAD` file, which must be exactly 32 bytes (BUF-8). Checks size,
        /// magic, version, checksum, reserved bytes, then that nothing follows.
        ///
        /// - Throws: `FormatError` of kind `truncated`, `badMagic`, `unsupportedVersion`,
        ///   `checksumMismatch` or `invalid`.
        public static func decode(from b: UnsafeRawBufferPointer) throws(FormatError) -> Head {
            let section = "agent buffer HEAD"
            let (version, acked) = try decodeFixedHeader(b, magic: headMagic, section: section)
            guard b.count == headSize else {
                throw FormatError.invalid(section, at: headSize, "expected exactly \(headSize) bytes, found \(b.count)")
            }
            return Head(acknowledgedSequence: acked, version: version)
        }
    }

    /// The shared shape of segment header and `HEAD`: magic, version, 6 reserved bytes, a u64
    /// value and the checksum of bytes `[0, 24)`. Returns (version, value).
    static func decodeFixedHeader(_ b: UnsafeRawBufferPointer, magic: [UInt8], section: String) throws(FormatError) -> (UInt16, UInt64) {
        guard b.count >= 32 else { throw FormatError.truncated(section, at: 0, needed: 32, available: b.count) }
        if !b[0..<8].elementsEqual(magic) {
            throw FormatError(.badMagic, section: section, offset: 0,
                              detail: "expected magic \(String(decoding: magic, as: UTF8.self)), found \(Hex.encode(Array(b[0..<8])))")
        }
        let version = UInt16(b[8]) | UInt16(b[9]) << 8
        guard isSupported(version) else {
            throw FormatError(.unsupportedVersion, section: section, offset: 8,
                              detail: "version \(version) not supported (this build reads \(supportedVersions.lowerBound)...\(supportedVersions.upperBound))")
        }
        try verifyChecksum(b, covered: 0..<24, base: 0, section: section)
        guard b[10..<16].allSatisfy({ $0 == 0 }) else { throw FormatError.invalid(section, at: 10, "expected reserved bytes [10, 16) to be zero") }
        return (version, UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
    }

    // MARK: - Records

    /// A record's header fields, as read from its first 24 bytes.
    public struct RecordHeader: Equatable, Sendable {
        /// Payload length in bytes (≤ `maxRecordBytes`).
        public var payloadLength: Int
        /// The record's sequence (≥ 1).
        public var sequence: UInt64
        /// Header plus payload.
        public var sizeInBytes: Int { AgentBufferFormat.recordHeaderSize + payloadLength }
    }

    /// Appends one record (header + payload) to `w`: the whole record is built in one buffer so
    /// the writer can append it with a single `write(2)` (BUF-14).
    public static func encodeRecord(sequence: UInt64, payload: UnsafeRawBufferPointer, into w: inout ByteWriter) {
        precondition(payload.count <= maxRecordBytes, "BUG: agent buffer record over maxRecordBytes")
        precondition(sequence != 0, "BUG: sequence 0 is reserved for 'nothing acknowledged'")
        let start = w.count
        w.writeUInt32(UInt32(payload.count))
        w.writeUInt8(batchRecordType)
        w.writeZeros(3)
        w.writeUInt64(sequence)
        let state = XXH64Stream()
        w.bytes.withUnsafeBytes { state.update(UnsafeRawBufferPointer(rebasing: $0[start..<start + 16])) }
        state.update(payload)
        w.writeUInt64(state.digest())
        w.writeBytes(payload)
    }

    /// Reads the length from a record header and checks it against `maxRecordBytes`; the
    /// first step of reading a record when header and payload are read separately.
    ///
    /// - Parameters:
    ///   - header: at least the record's first 24 bytes.
    ///   - offset: absolute offset of the record, for error messages.
    /// - Throws: `truncated` (fewer than 24 bytes) or `invalid` (length over the limit).
    public static func payloadLength(header: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) -> Int {
        guard header.count >= recordHeaderSize else {
            throw FormatError.truncated("agent buffer record", at: offset, needed: recordHeaderSize, available: header.count)
        }
        let length = Int(UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        guard length <= maxRecordBytes else {
            throw FormatError.invalid("agent buffer record", at: offset, "expected payload length ≤ \(maxRecordBytes), found \(length)")
        }
        return length
    }

    /// Checks a complete record given its 24 header bytes and its payload: length, checksum,
    /// reserved bytes, type and sequence ≠ 0, in that order (BUF-3).
    ///
    /// - Throws: `invalid`, `truncated` (payload shorter than the length) or `checksumMismatch`.
    public static func checkRecord(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) -> RecordHeader {
        let section = "agent buffer record"
        let length = try payloadLength(header: header, at: offset)
        guard payload.count >= length else {
            throw FormatError.truncated(section, at: offset, needed: recordHeaderSize + length, available: recordHeaderSize + payload.count)
        }
        let stored = UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let state = XXH64Stream()
        state.update(UnsafeRawBufferPointer(rebasing: header[0..<16]))
        state.update(UnsafeRawBufferPointer(rebasing: payload[0..<length]))
        let computed = state.digest()
        guard stored == computed else { throw FormatError.checksum(section, at: offset, stored: stored, computed: computed) }
        guard header[5] == 0, header[6] == 0, header[7] == 0 else {
            throw FormatError.invalid(section, at: offset + 5, "expected reserved bytes to be zero")
        }
        guard header[4] == batchRecordType else {
            throw FormatError.invalid(section, at: offset + 4, "expected record type \(batchRecordType), found \(header[4])")
        }
        let sequence = UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard sequence != 0 else { throw FormatError.invalid(section, at: offset + 8, "expected sequence ≥ 1, found 0") }
        return RecordHeader(payloadLength: length, sequence: sequence)
    }

    /// Decodes the record starting at `offset` of `segment`.
    ///
    /// - Throws: `truncated` when the record runs past the end (a torn write), `checksumMismatch`
    ///   or `invalid` when it is damaged.
    public static func decodeRecord(in segment: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) -> RecordHeader {
        precondition(offset >= 0 && offset <= segment.count, "BUG: record offset outside the buffer")
        let available = segment.count - offset
        let header = UnsafeRawBufferPointer(rebasing: segment[offset..<offset + min(available, recordHeaderSize)])
        let length = try payloadLength(header: header, at: offset)
        guard available >= recordHeaderSize + length else {
            throw FormatError.truncated("agent buffer record", at: offset, needed: recordHeaderSize + length, available: available)
        }
        let payload = UnsafeRawBufferPointer(rebasing: segment[(offset + recordHeaderSize)..<(offset + recordHeaderSize + length)])
        return try checkRecord(header: header, payload: payload, at: offset)
    }

    // MARK: - Scanning

    /// One valid record found by `scanSegment`.
    public struct ScannedRecord: Equatable, Sendable {
        /// The record's sequence.
        public var sequence: UInt64
        /// Absolute offset of the record's header in the segment.
        public var offset: Int
        /// Payload length in bytes.
        public var payloadLength: Int
        /// Header plus payload; the next record starts at `offset + sizeInBytes`.
        public var sizeInBytes: Int { AgentBufferFormat.recordHeaderSize + payloadLength }
        /// Where the payload lies in the scanned bytes.
        public var payloadRange: Range<Int> { (offset + AgentBufferFormat.recordHeaderSize)..<(offset + sizeInBytes) }
    }

    /// Why `scanSegment` stopped. The classification is what recovery acts on; see
    /// [agent-buffer.md#corruption](format-spec/agent-buffer.md).
    public enum ScanStop: Equatable, Sendable {
        /// Every byte after the header belongs to a valid record (BUF-2).
        case endOfSegment
        /// What a crash during an append or during the segment's creation leaves: fewer bytes
        /// than a header, a record running past the end (`truncated`), or only zero bytes from
        /// the end of the valid prefix on. Recovery truncates it in the last segment.
        case tornTail(FormatError)
        /// A record failed a check and bytes that are not all zero follow it: damage, not a
        /// crash. Recovery keeps the valid prefix and sets the original aside.
        case corruptRecord(FormatError)
        /// The header failed a check (including `unsupportedVersion`); no record was read.
        case badHeader(FormatError)

        /// The error that stopped the scan, nil for `endOfSegment`.
        public var error: FormatError? {
            switch self {
            case .endOfSegment: nil
            case .tornTail(let e), .corruptRecord(let e), .badHeader(let e): e
            }
        }
    }

    /// The result of scanning a segment's bytes.
    ///
    /// Invariants: `records` are in file order, back to back from offset 32, with consecutive
    /// sequences (BUF-4); `validBytes` is the end of the last record (32 with no record, 0 when
    /// the header is not valid) and never exceeds the scanned size.
    public struct SegmentScan: Sendable {
        /// The decoded header, nil when it failed a check.
        public var header: SegmentHeader?
        /// Every valid record before the stop.
        public var records: [ScannedRecord]
        /// Length of the valid prefix: what the file is truncated to when its tail is dropped.
        public var validBytes: Int
        /// Why scanning stopped.
        public var stop: ScanStop
    }

    /// Scans a whole segment file: the header, then records until the end or the first record
    /// that fails a check (BUF-1 … BUF-4). Never traps on any input.
    ///
    /// Complexity: O(n) in the size of `b` (every payload is hashed once).
    public static func scanSegment(_ b: UnsafeRawBufferPointer) -> SegmentScan {
        let section = "agent buffer segment header"
        if b.count < segmentHeaderSize || b.allSatisfy({ $0 == 0 }) {
            // A crash while the file was being created: the header never reached the disk.
            let e = b.count < segmentHeaderSize
                ? FormatError.truncated(section, at: 0, needed: segmentHeaderSize, available: b.count)
                : FormatError(.truncated, section: section, offset: 0, detail: "expected a header, found \(b.count) zero bytes")
            return SegmentScan(header: nil, records: [], validBytes: 0, stop: .tornTail(e))
        }
        let header: SegmentHeader
        do { header = try SegmentHeader.decode(from: b) } catch {
            return SegmentScan(header: nil, records: [], validBytes: 0, stop: .badHeader(error))
        }
        var records = [ScannedRecord]()
        var offset = segmentHeaderSize
        while offset < b.count {
            let failure: FormatError
            do {
                let r = try decodeRecord(in: b, at: offset)
                if let previous = records.last, r.sequence != previous.sequence &+ 1 {
                    failure = FormatError.invalid("agent buffer record", at: offset + 8,
                                                  "expected sequence \(previous.sequence &+ 1) (previous + 1), found \(r.sequence)")
                } else {
                    records.append(ScannedRecord(sequence: r.sequence, offset: offset, payloadLength: r.payloadLength))
                    offset += r.sizeInBytes
                    continue
                }
            } catch {
                failure = error
            }
            return SegmentScan(header: header, records: records, validBytes: offset, stop: classifyTail(b, at: offset, failure))
        }
        return SegmentScan(header: header, records: records, validBytes: offset, stop: .endOfSegment)
    }

    /// Tells a torn tail (what a crash leaves) from damage, for a record at `offset` that failed with `failure`.
    static func classifyTail(_ b: UnsafeRawBufferPointer, at offset: Int, _ failure: FormatError) -> ScanStop {
        if failure.kind == .truncated { return .tornTail(failure) }
        let rest = UnsafeRawBufferPointer(rebasing: b[offset...])
        if rest.allSatisfy({ $0 == 0 }) {
            return .tornTail(FormatError(.truncated, section: "agent buffer record", offset: offset,
                                         detail: "expected a record, found a zero-filled tail of \(rest.count) bytes"))
        }
        return .corruptRecord(failure)
    }
}
