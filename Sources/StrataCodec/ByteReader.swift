/// A bounds-checked little-endian cursor over borrowed bytes.
///
/// `ByteReader` never reads outside `buffer`; every read either succeeds or throws a
/// `FormatError` naming `section` and the absolute offset (`base + position`). The caller
/// keeps the memory alive (an mmap'd file or an array) for the reader's lifetime.
public struct ByteReader {
    /// The bytes being read.
    public let buffer: UnsafeRawBufferPointer
    /// Offset of the next byte to read, relative to `buffer`.
    public var position: Int
    /// Absolute offset of `buffer[0]` in its file, used in error messages.
    public let base: Int
    /// Name of the structure being decoded, used in error messages.
    public var section: String

    /// Creates a reader over `buffer`, whose first byte sits at absolute offset `base`.
    public init(_ buffer: UnsafeRawBufferPointer, base: Int = 0, section: String) {
        self.buffer = buffer
        self.position = 0
        self.base = base
        self.section = section
    }

    /// Bytes not yet read.
    @inlinable public var remaining: Int { buffer.count - position }

    /// Whether every byte has been read.
    @inlinable public var isAtEnd: Bool { position >= buffer.count }

    /// Absolute offset of the next byte.
    @inlinable public var absoluteOffset: Int { base + position }

    /// Throws unless `n` more bytes are available.
    @inlinable public func require(_ n: Int) throws(FormatError) {
        if n < 0 || n > remaining {
            throw FormatError.truncated(section, at: base + position, needed: n, available: remaining)
        }
    }

    /// Reads one byte.
    @inlinable public mutating func readUInt8() throws(FormatError) -> UInt8 {
        try require(1)
        let v = buffer[position]
        position += 1
        return v
    }

    /// Reads a 16-bit little-endian integer.
    @inlinable public mutating func readUInt16() throws(FormatError) -> UInt16 {
        try require(2)
        let v = buffer.loadUnaligned(fromByteOffset: position, as: UInt16.self)
        position += 2
        return UInt16(littleEndian: v)
    }

    /// Reads a 32-bit little-endian integer.
    @inlinable public mutating func readUInt32() throws(FormatError) -> UInt32 {
        try require(4)
        let v = buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: v)
    }

    /// Reads a 64-bit little-endian integer.
    @inlinable public mutating func readUInt64() throws(FormatError) -> UInt64 {
        try require(8)
        let v = buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: v)
    }

    /// Reads a 64-bit little-endian two's-complement integer.
    @inlinable public mutating func readInt64() throws(FormatError) -> Int64 {
        Int64(bitPattern: try readUInt64())
    }

    /// Reads an IEEE-754 double.
    @inlinable public mutating func readFloat64() throws(FormatError) -> Double {
        Double(bitPattern: try readUInt64())
    }

    /// Reads an unsigned LEB128 varint of at most 10 bytes.
    @inlinable public mutating func readVarint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else {
                throw FormatError.truncated(section, at: base + start, needed: position - start + 1,
                                            available: position - start)
            }
            let b = buffer[position]
            position += 1
            if shift == 63 && b > 1 {
                throw FormatError.invalid(section, at: base + start, "varint overflows 64 bits")
            }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a varint that must fit in `0...limit`, for lengths and counts.
    @inlinable public mutating func readLength(limit: Int, _ what: String) throws(FormatError) -> Int {
        let at = base + position
        let v = try readVarint()
        if v > UInt64(limit) {
            throw FormatError.invalid(section, at: at, "\(what) \(v) exceeds limit \(limit)")
        }
        return Int(v)
    }

    /// Reads a zigzag varint.
    @inlinable public mutating func readZigzag() throws(FormatError) -> Int64 {
        zigzagDecode(try readVarint())
    }

    /// Returns the next `n` bytes without copying and advances past them.
    @inlinable public mutating func readSpan(_ n: Int) throws(FormatError) -> UnsafeRawBufferPointer {
        try require(n)
        let s = UnsafeRawBufferPointer(rebasing: buffer[position..<position + n])
        position += n
        return s
    }

    /// Reads `n` bytes into a new array.
    @inlinable public mutating func readBytes(_ n: Int) throws(FormatError) -> [UInt8] {
        Array(try readSpan(n))
    }

    /// Reads a varint-length-prefixed byte string (length bounded by `limit`).
    @inlinable public mutating func readLengthPrefixed(limit: Int) throws(FormatError) -> UnsafeRawBufferPointer {
        let n = try readLength(limit: limit, "byte string length")
        return try readSpan(n)
    }

    /// Reads a varint-length-prefixed UTF-8 string (invalid UTF-8 is repaired, never trusted).
    @inlinable public mutating func readString(limit: Int) throws(FormatError) -> String {
        let span = try readLengthPrefixed(limit: limit)
        return String(decoding: span, as: UTF8.self)
    }

    /// Skips `n` bytes.
    @inlinable public mutating func skip(_ n: Int) throws(FormatError) {
        try require(n)
        position += n
    }

    /// Throws unless the reader has consumed exactly all its bytes.
    public func expectEnd() throws(FormatError) {
        if remaining != 0 {
            throw FormatError.invalid(section, at: base + position, "\(remaining) trailing bytes")
        }
    }

    /// Builds an `invalid` error at the current position.
    public func invalid(_ detail: String) -> FormatError {
        FormatError.invalid(section, at: base + position, detail)
    }
}

/// Runs `body` over the bytes of `array`, preserving the typed error (`withUnsafeBytes` only rethrows `any Error`).
@inlinable public func withBytes<T, E: Error>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
    let result: Result<T, E> = array.withUnsafeBytes { p in
        do throws(E) { return .success(try body(p)) } catch { return .failure(error) }
    }
    return try result.get()
}
