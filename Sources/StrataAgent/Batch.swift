/// A sealed batch of entries ready to ship: an NDJSON body (one entry object per line),
/// compressed once when sealed, plus which files have lines in it (for checkpoints).
///
/// Invariant: `sequence` grows by one per sealed batch of an agent run; `files` is empty for
/// batches replayed from the disk buffer (their checkpoints were advanced when they were spilled).
public struct Batch: Sendable {
    public var sequence: UInt64
    public var lines: Int
    /// Bytes of the uncompressed NDJSON body.
    public var rawBytes: Int
    public var compression: BodyCompression.Encoding
    public var body: [UInt8]
    public var files: [FileIdentity]
    /// For the last piece of a disk record split after a 413: the record to acknowledge with it
    /// (not stored on disk).
    var splitFromDiskRecord: DiskBuffer.RecordID?

    public init(sequence: UInt64, lines: Int, rawBytes: Int, compression: BodyCompression.Encoding, body: [UInt8], files: [FileIdentity]) {
        self.sequence = sequence
        self.lines = lines
        self.rawBytes = rawBytes
        self.compression = compression
        self.body = body
        self.files = files
    }

    /// The on-disk buffer record of this batch: `u8 version (1) · u8 compression · u32 lines ·
    /// u32 rawBytes` (little-endian) then the compressed body (see format-spec/agent-buffer.md).
    public func bufferRecord() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(10 + body.count)
        out.append(1)
        out.append(Self.code(compression))
        for v in [UInt32(truncatingIfNeeded: lines), UInt32(truncatingIfNeeded: rawBytes)] {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        out.append(contentsOf: body)
        return out
    }

    /// Decodes a buffer record; nil when it is not one this agent wrote.
    public static func fromBufferRecord(_ r: [UInt8], sequence: UInt64) -> Batch? {
        guard r.count >= 10, r[0] == 1, let m = method(r[1]) else { return nil }
        let lines = r.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian) }
        let raw = r.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 6, as: UInt32.self).littleEndian) }
        return Batch(sequence: sequence, lines: lines, rawBytes: raw, compression: m, body: Array(r[10...]), files: [])
    }

    static func code(_ m: BodyCompression.Encoding) -> UInt8 {
        switch m {
        case .none: 0
        case .zstd: 1
        case .gzip: 2
        case .lz4: 3
        }
    }

    static func method(_ c: UInt8) -> BodyCompression.Encoding? {
        switch c {
        case 0: BodyCompression.Encoding.none
        case 1: .zstd
        case 2: .gzip
        case 3: .lz4
        default: nil
        }
    }
}
