/// Fixed-width bit packing of unsigned integers, least significant bit first.
///
/// `count` values of `width` bits (0…64) occupy exactly `byteCount(count:width:)` bytes;
/// value *i* starts at bit `i * width` of the little-endian bit stream. Width 0 stores
/// nothing (every value is 0).
public enum BitPacking {
    /// Bytes needed to pack `count` values of `width` bits.
    @inlinable public static func byteCount(count: Int, width: Int) -> Int {
        (count * width + 7) / 8
    }

    /// Smallest width that can hold `maxValue`.
    @inlinable public static func width(for maxValue: UInt64) -> Int {
        maxValue == 0 ? 0 : 64 - maxValue.leadingZeroBitCount
    }

    /// Appends `values` packed at `width` bits to `writer`.
    public static func pack(_ values: UnsafeBufferPointer<UInt64>, width: Int, into writer: inout ByteWriter) {
        precondition(width >= 0 && width <= 64, "BUG: bit width \(width)")
        if width == 0 { return }
        var acc: UInt64 = 0
        var bits = 0
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        for v in values {
            let x = v & mask
            acc |= x << UInt64(bits)
            let total = bits + width
            if total >= 64 {
                writer.writeUInt64(acc)
                let used = 64 - bits
                acc = used == 64 ? 0 : x >> UInt64(used)
                bits = total - 64
            } else {
                bits = total
            }
        }
        var b = bits
        while b > 0 {
            writer.writeUInt8(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            b -= 8
        }
    }

    /// Appends `values` packed at `width` bits to `writer`.
    public static func pack(_ values: [UInt64], width: Int, into writer: inout ByteWriter) {
        values.withUnsafeBufferPointer { pack($0, width: width, into: &writer) }
    }

    /// Reads `count` values of `width` bits from `reader` into `out` (appending).
    ///
    /// - Complexity: O(count).
    public static func unpack(count: Int, width: Int, from reader: inout ByteReader,
                              into out: inout [UInt64]) throws(FormatError) {
        guard width >= 0 && width <= 64 else { throw reader.invalid("bit width \(width) > 64") }
        if width == 0 {
            out.append(contentsOf: repeatElement(0, count: count))
            return
        }
        let n = byteCount(count: count, width: width)
        let span = try reader.readSpan(n)
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        out.reserveCapacity(out.count + count)
        var bitPos = 0
        for _ in 0..<count {
            let byte = bitPos >> 3
            let shift = bitPos & 7
            // Load up to 9 bytes covering the value; bounds are exact for the last value.
            var word: UInt64 = 0
            let avail = min(8, n - byte)
            if avail == 8 {
                word = UInt64(littleEndian: span.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
            } else {
                for k in 0..<avail { word |= UInt64(span[byte + k]) << UInt64(8 * k) }
            }
            var v = word >> UInt64(shift)
            if shift + width > 64 {
                let extra = UInt64(span[byte + 8])
                v |= extra << UInt64(64 - shift)
            }
            out.append(v & mask)
            bitPos += width
        }
    }
}
