/// Byte layout of WAL files. See `format-spec/wal.md`.
///
/// A WAL file is a 32-byte file header followed by records:
///
/// File header: `magic "STRATWAL"` (8) · `u16 version` · `u16 reserved=0` · `u32 reserved=0` ·
/// `u64 file number` · `u64 xxhash64 of bytes 0..<24`.
///
/// Record: `u32 payload length` · `u8 type` (1 = entry batch) · 3 reserved zero bytes ·
/// `u64 first sequence` · `u64 xxhash64` of the record's bytes 0..<16 followed by the payload ·
/// payload. All integers little-endian. A record is valid only if it is complete and its
/// checksum matches; recovery keeps every valid record before the first invalid one.
public enum WALFormat {
    public static let magic: [UInt8] = Array("STRATWAL".utf8)
    public static let fileHeaderSize = 32
    public static let recordHeaderSize = 24
    /// Record type of an entry batch (`LogEntryCodec` payload).
    public static let entryBatchType: UInt8 = 1

    /// The file header's bytes.
    public static func encodeFileHeader(fileNumber: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: fileHeaderSize)
        w.writeBytes(magic)
        w.writeUInt16(FormatVersion.current.rawValue)
        w.writeUInt16(0)
        w.writeUInt32(0)
        w.writeUInt64(fileNumber)
        w.writeChecksum(of: 0..<24)
        return w.bytes
    }

    /// Validates a file header and returns its file number.
    public static func decodeFileHeader(_ b: UnsafeRawBufferPointer) throws(FormatError) -> UInt64 {
        let section = "WAL file header"
        guard b.count >= fileHeaderSize else { throw FormatError.truncated(section, at: 0, needed: fileHeaderSize, available: b.count) }
        if !b[0..<8].elementsEqual(magic) { throw FormatError(.badMagic, section: section, offset: 0, detail: "expected magic STRATWAL") }
        try FormatVersion.check(UInt16(b[8]) | UInt16(b[9]) << 8, section: section, offset: 8)
        try verifyChecksum(b, covered: 0..<24, base: 0, section: section)
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: b[8..<24]), base: 8, section: section)
        let version = try r.readUInt16()
        try FormatVersion.check(version, section: section, offset: 8)
        guard try r.readUInt16() == 0, try r.readUInt32() == 0 else { throw FormatError.invalid(section, at: 10, "reserved bytes not zero") }
        return try r.readUInt64()
    }

    /// Appends one record (header + payload) to `w`.
    public static func encodeRecord(type: UInt8, firstSequence: UInt64, payload: UnsafeRawBufferPointer, into w: inout ByteWriter) {
        precondition(payload.count <= Limits.maxWALRecordBytes, "BUG: WAL record too large")
        let start = w.count
        w.writeUInt32(UInt32(payload.count))
        w.writeUInt8(type)
        w.writeZeros(3)
        w.writeUInt64(firstSequence)
        let state = XXH64Stream()
        w.bytes.withUnsafeBytes { state.update(UnsafeRawBufferPointer(rebasing: $0[start..<start + 16])) }
        state.update(payload)
        w.writeUInt64(state.digest())
        w.writeBytes(payload)
    }

    /// A decoded record: its type, first sequence and payload span (borrowed).
    public struct Record {
        public var type: UInt8
        public var firstSequence: UInt64
        public var payload: UnsafeRawBufferPointer
        /// Total size on disk (header + payload).
        public var size: Int
    }

    /// Decodes the record starting at `offset` of `file`.
    ///
    /// - Throws: `truncated` when the record runs past the end (a torn write), `checksumMismatch`
    ///   or `invalid` when it is damaged.
    public static func decodeRecord(in file: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) -> Record {
        let section = "WAL record"
        let avail = file.count - offset
        guard avail >= recordHeaderSize else { throw FormatError.truncated(section, at: offset, needed: recordHeaderSize, available: avail) }
        let len = Int(UInt32(littleEndian: file.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        guard len <= Limits.maxWALRecordBytes else { throw FormatError.invalid(section, at: offset, "payload length \(len) over limit") }
        guard avail >= recordHeaderSize + len else {
            throw FormatError.truncated(section, at: offset, needed: recordHeaderSize + len, available: avail)
        }
        let type = file[offset + 4]
        let stored = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
        let state = XXH64Stream()
        state.update(UnsafeRawBufferPointer(rebasing: file[offset..<offset + 16]))
        let payload = UnsafeRawBufferPointer(rebasing: file[(offset + recordHeaderSize)..<(offset + recordHeaderSize + len)])
        state.update(payload)
        let computed = state.digest()
        guard stored == computed else { throw FormatError.checksum(section, at: offset, stored: stored, computed: computed) }
        guard file[offset + 5] == 0, file[offset + 6] == 0, file[offset + 7] == 0 else {
            throw FormatError.invalid(section, at: offset + 5, "reserved bytes not zero")
        }
        guard type == entryBatchType else { throw FormatError.invalid(section, at: offset + 4, "unknown record type \(type)") }
        let first = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        return Record(type: type, firstSequence: first, payload: payload, size: recordHeaderSize + len)
    }
}
