/// An append-only little-endian byte buffer.
///
/// All multi-byte integers Strata writes are little-endian. `write…` methods append;
/// nothing is ever rewritten except through `patchUInt32`/`patchUInt64`, used to fill
/// in lengths and checksums after the covered bytes are known.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far; also the offset of the next write.
    @inlinable public var count: Int { bytes.count }

    /// Appends one byte.
    @inlinable public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }

    /// Appends a 16-bit little-endian integer.
    @inlinable public mutating func writeUInt16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    /// Appends a 32-bit little-endian integer.
    @inlinable public mutating func writeUInt32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a 64-bit little-endian integer.
    @inlinable public mutating func writeUInt64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a 64-bit little-endian two's-complement integer.
    @inlinable public mutating func writeInt64(_ v: Int64) { writeUInt64(UInt64(bitPattern: v)) }

    /// Appends an IEEE-754 double as its 64-bit little-endian bit pattern.
    @inlinable public mutating func writeFloat64(_ v: Double) { writeUInt64(v.bitPattern) }

    /// Appends an unsigned LEB128 varint (1–10 bytes).
    @inlinable public mutating func writeVarint(_ v: UInt64) {
        var x = v
        while x >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        bytes.append(UInt8(x))
    }

    /// Appends a signed integer as a zigzag-encoded varint.
    @inlinable public mutating func writeZigzag(_ v: Int64) { writeVarint(zigzagEncode(v)) }

    /// Appends raw bytes.
    @inlinable public mutating func writeBytes<C: Collection>(_ b: C) where C.Element == UInt8 {
        bytes.append(contentsOf: b)
    }

    /// Appends raw bytes from a buffer.
    @inlinable public mutating func writeBytes(_ b: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: b)
    }

    /// Appends a varint length followed by the bytes.
    @inlinable public mutating func writeLengthPrefixed<C: Collection>(_ b: C) where C.Element == UInt8 {
        writeVarint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    /// Appends a varint length followed by the UTF-8 bytes of `s`.
    @inlinable public mutating func writeString(_ s: String) {
        var s = s
        s.withUTF8 { u in
            writeVarint(UInt64(u.count))
            bytes.append(contentsOf: u)
        }
    }

    /// Appends `n` zero bytes.
    @inlinable public mutating func writeZeros(_ n: Int) {
        bytes.append(contentsOf: repeatElement(0, count: n))
    }

    /// Overwrites 4 bytes at `offset` with `v` (little-endian).
    public mutating func patchUInt32(_ v: UInt32, at offset: Int) {
        precondition(offset + 4 <= bytes.count, "BUG: patch past end")
        var x = v
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: x); x >>= 8 }
    }

    /// Overwrites 8 bytes at `offset` with `v` (little-endian).
    public mutating func patchUInt64(_ v: UInt64, at offset: Int) {
        precondition(offset + 8 <= bytes.count, "BUG: patch past end")
        var x = v
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: x); x >>= 8 }
    }

    /// Appends the xxhash64 of the bytes in `range` (absolute offsets of this writer).
    public mutating func writeChecksum(of range: Range<Int>) {
        let h = bytes.withUnsafeBytes { p in xxhash64(UnsafeRawBufferPointer(rebasing: p[range])) }
        writeUInt64(h)
    }
}

/// Maps a signed integer to an unsigned one so small magnitudes stay small.
@inlinable public func zigzagEncode(_ v: Int64) -> UInt64 {
    UInt64(bitPattern: (v << 1) ^ (v >> 63))
}

/// Inverse of `zigzagEncode`.
@inlinable public func zigzagDecode(_ v: UInt64) -> Int64 {
    Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
}
