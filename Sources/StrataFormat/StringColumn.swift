/// Encoding of a sequence of byte strings: dictionary (sorted distinct values + bit-packed
/// codes) or plain (lengths + concatenated bytes), whichever is smaller.
/// See `format-spec/column-encodings.md#string`.
///
/// Layout: `u8 mode`; mode 0 (dictionary): `varint dictCount`, dictCount × (`varint len`, bytes)
/// in strictly ascending byte order, then an `IntColumn` of codes (aligned layout); mode 1 (plain):
/// an `IntColumn` of lengths (aligned layout), then the bytes of every value back to back;
/// mode 2 (hex): every value is lowercase hexadecimal of one even length *L* ≥ 8 (trace and span
/// ids): `varint count`, `varint L`, then each value's L/2 bytes.
public enum StringColumn {
    /// Appends the encoding of `values` (each value a byte array).
    public static func encode(_ values: [[UInt8]], into w: inout ByteWriter) {
        if let length = hexLength(values) {
            writeHex(values, length: length, into: &w)
            return
        }
        encodeDictionaryOrPlain(values, key: { ByteString($0) }, bytes: { $0 }, into: &w)
    }

    /// Appends the encoding of `values` given as Strings; the bytes written are the same as for
    /// their UTF-8 arrays, but small strings need no allocation per row.
    public static func encode(_ values: [String], into w: inout ByteWriter) {
        _ = encode(values, into: &w, distinct: nil)
    }

    /// As `encode`, also reporting each distinct value (in no particular order) when the column
    /// is dictionary-encoded; returns false (reporting nothing) otherwise.
    public static func encode(_ values: [String], into w: inout ByteWriter, distinct: (([UInt8]) -> Void)?) -> Bool {
        // Only build byte arrays when the first value already looks like a hex id.
        if let first = values.first, first.utf8.count >= 8, first.utf8.count % 2 == 0,
           first.utf8.allSatisfy({ $0 &- 0x30 < 10 || $0 &- 0x61 < 6 }) {
            let arrays = values.map { Array($0.utf8) }
            if let length = hexLength(arrays) {
                writeHex(arrays, length: length, into: &w)
                return false
            }
        }
        return encodeDictionaryOrPlain(values, key: { UTF8Key($0) }, bytes: { Array($0.utf8) }, into: &w, onDistinct: distinct)
    }

    static func writeHex(_ values: [[UInt8]], length: Int, into w: inout ByteWriter) {
        w.writeUInt8(2)
        w.writeVarint(UInt64(values.count))
        w.writeVarint(UInt64(length))
        for v in values {
            for k in stride(from: 0, to: length, by: 2) { w.writeUInt8(nibble(v[k]) << 4 | nibble(v[k + 1])) }
        }
    }

    /// Dictionary mode when at most half the values (plus 16) are distinct, else plain.
    /// One hash lookup per value; codes are assigned in first-use order, then renumbered so the
    /// dictionary is in ascending byte order.
    @discardableResult
    static func encodeDictionaryOrPlain<V, K: Hashable>(_ values: [V], key: (V) -> K, bytes: (V) -> [UInt8],
                                                       into w: inout ByteWriter, onDistinct: (([UInt8]) -> Void)? = nil) -> Bool {
        let maxDistinct = values.count / 2 + 16
        var ids = [K: Int]()
        var distinct = [[UInt8]]()
        var codes = [Int64]()
        codes.reserveCapacity(values.count)
        var dictionary = true
        for v in values {
            let k = key(v)
            if let id = ids[k] {
                codes.append(Int64(id))
            } else {
                guard distinct.count < maxDistinct else { dictionary = false; break }
                ids[k] = distinct.count
                codes.append(Int64(distinct.count))
                distinct.append(bytes(v))
            }
        }
        if dictionary {
            let order = distinct.indices.sorted { distinct[$0].lexicographicallyPrecedes(distinct[$1]) }
            var rank = [Int64](repeating: 0, count: distinct.count)
            for (r, i) in order.enumerated() { rank[i] = Int64(r) }
            w.writeUInt8(0)
            w.writeVarint(UInt64(distinct.count))
            for i in order { w.writeLengthPrefixed(distinct[i]) }
            IntColumn.encode(codes.map { rank[Int($0)] }, layout: .codes, into: &w)
            if let onDistinct { for d in distinct { onDistinct(d) } }
            return true
        } else {
            let all = values.map(bytes)
            w.writeUInt8(1)
            IntColumn.encode(all.map { Int64($0.count) }, layout: .aligned, into: &w)
            for v in all { w.writeBytes(v) }
            return false
        }
    }

    /// The common length of `values` if all are lowercase hex of one even length ≥ 8 and they
    /// are not better served by a dictionary (fewer than half repeat).
    static func hexLength(_ values: [[UInt8]]) -> Int? {
        guard let first = values.first, first.count >= 8, first.count % 2 == 0, values.count >= 4 else { return nil }
        let n = first.count
        for v in values {
            guard v.count == n else { return nil }
            for c in v where !(c &- 0x30 < 10 || c &- 0x61 < 6) { return nil }
        }
        return Set(values.prefix(64)).count * 2 > min(values.count, 64) ? n : nil
    }

    @inline(__always) static func nibble(_ c: UInt8) -> UInt8 { c &- 0x30 < 10 ? c &- 0x30 : c &- 0x61 &+ 10 }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Decodes a column of at most `limit` values, each at most `maxLength` bytes.
    public static func decode(from r: inout ByteReader, maxLength: Int, limit: Int = Limits.maxRowsPerBlock * 64) throws(FormatError) -> [[UInt8]] {
        let view = try decodeView(from: &r, maxLength: maxLength, limit: limit)
        switch view {
        case .dictionary(let k): return k.codes.map { k.dictionary[Int($0)] }
        default: return (0..<view.count).map { view[$0] }
        }
    }
}
