import CXXHash

/// xxhash64 (seed 0) of `bytes`: the checksum on every Strata section.
@inlinable public func xxhash64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    XXH64(bytes.baseAddress, bytes.count, 0)
}

/// xxhash64 (seed 0) of an array's bytes.
@inlinable public func xxhash64(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { xxhash64($0) }
}

/// 64-bit XXH3 of `bytes` with `seed`: used for bloom filters and hash tables, never stored as a checksum.
@inlinable public func xxh3(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
    XXH3_64bits_withSeed(bytes.baseAddress, bytes.count, seed)
}

/// Verifies that the 8 bytes after `covered` hold the xxhash64 of `covered`.
///
/// - Parameters:
///   - buffer: the whole region; `covered` and the 8 checksum bytes must lie inside it.
///   - covered: the range the checksum covers.
///   - base: absolute offset of `buffer[0]`, for error messages.
/// - Throws: `FormatError` (`truncated` or `checksumMismatch`).
public func verifyChecksum(_ buffer: UnsafeRawBufferPointer, covered: Range<Int>, base: Int,
                           section: String) throws(FormatError) {
    guard covered.lowerBound >= 0, covered.upperBound + 8 <= buffer.count else {
        throw FormatError.truncated(section, at: base + covered.lowerBound,
                                    needed: covered.count + 8, available: max(0, buffer.count - covered.lowerBound))
    }
    let stored = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: covered.upperBound, as: UInt64.self))
    let computed = xxhash64(UnsafeRawBufferPointer(rebasing: buffer[covered]))
    if stored != computed {
        throw FormatError.checksum(section, at: base + covered.lowerBound, stored: stored, computed: computed)
    }
}
