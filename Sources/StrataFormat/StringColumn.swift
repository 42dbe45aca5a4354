/// Encoding of a sequence of byte strings: dictionary (sorted distinct values + bit-packed
/// codes) or plain (lengths + concatenated bytes), whichever is smaller.
/// See `format-spec/column-encodings.md#string`.
///
/// Layout: `u8 mode`; mode 0 (dictionary): `varint dictCount`, dictCount × (`varint len`, bytes)
/// in strictly ascending byte order, then an `IntColumn` of codes (aligned layout); mode 1 (plain):
/// an `IntColumn` of lengths (aligned layout), then the bytes of every value back to back.
public enum StringColumn {
    /// Appends the encoding of `values` (each value a byte array).
    public static func encode(_ values: [[UInt8]], into w: inout ByteWriter) {
        var dict = [[UInt8]: Int]()
        for v in values where dict[v] == nil {
            dict[v] = 0
            if dict.count > values.count / 2 + 16 { break }
        }
        if dict.count <= values.count / 2 + 16 {
            let sorted = dict.keys.sorted { $0.lexicographicallyPrecedes($1) }
            for (i, k) in sorted.enumerated() { dict[k] = i }
            w.writeUInt8(0)
            w.writeVarint(UInt64(sorted.count))
            for s in sorted { w.writeLengthPrefixed(s) }
            IntColumn.encode(values.map { Int64(dict[$0]!) }, layout: .aligned, into: &w)
        } else {
            w.writeUInt8(1)
            IntColumn.encode(values.map { Int64($0.count) }, layout: .aligned, into: &w)
            for v in values { w.writeBytes(v) }
        }
    }

    /// Decodes a column of at most `limit` values, each at most `maxLength` bytes.
    public static func decode(from r: inout ByteReader, maxLength: Int, limit: Int = Limits.maxRowsPerBlock * 64) throws(FormatError) -> [[UInt8]] {
        let at = r.absoluteOffset
        switch try r.readUInt8() {
        case 0:
            let n = try r.readLength(limit: min(limit, r.remaining), "dictionary size")
            var dict = [[UInt8]]()
            dict.reserveCapacity(n)
            for i in 0..<n {
                let sAt = r.absoluteOffset
                let s = Array(try r.readLengthPrefixed(limit: maxLength))
                if i > 0 && !dict[i - 1].lexicographicallyPrecedes(s) {
                    throw FormatError.invalid(r.section, at: sAt, "dictionary entries not strictly ascending")
                }
                dict.append(s)
            }
            let codesAt = r.absoluteOffset
            let codes = try IntColumn.decode(from: &r, limit: limit)
            var out = [[UInt8]]()
            out.reserveCapacity(codes.count)
            for c in codes {
                guard c >= 0 && c < dict.count else {
                    throw FormatError.invalid(r.section, at: codesAt, "dictionary code \(c) out of range 0..<\(dict.count)")
                }
                out.append(dict[Int(c)])
            }
            return out
        case 1:
            let lensAt = r.absoluteOffset
            let lens = try IntColumn.decode(from: &r, limit: limit)
            var out = [[UInt8]]()
            out.reserveCapacity(lens.count)
            for l in lens {
                guard l >= 0 && l <= maxLength else {
                    throw FormatError.invalid(r.section, at: lensAt, "string length \(l) out of range")
                }
                out.append(Array(try r.readSpan(Int(l))))
            }
            return out
        case let m:
            throw FormatError.invalid(r.section, at: at, "unknown string column mode \(m)")
        }
    }
}
