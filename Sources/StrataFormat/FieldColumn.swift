/// Encoding of one dynamic field's values across the rows of a block.
/// See `format-spec/column-encodings.md#field`.
///
/// Layout: `PresenceBitmap`, `u8 typeMode` (1 int, 2 float, 3 bool, 4 string, 5 json when
/// every present value has that type; 0 = mixed, followed by an `IntColumn` of one type tag
/// per present row), then for each type tag that occurs, in ascending order, the values of
/// that type in row order: int → `IntColumn`; float → `u8 scale` then either an `IntColumn`
/// of `v × 10^scale` (scale 0…9, exact) or, for scale 255, raw f64 LE; bool → bit-packed,
/// 1 bit a value; string/json → `StringColumn`.
public enum FieldColumn {
    /// Appends the encoding of `values` (one optional value per row).
    public static func encode(_ values: [FieldValue?], into w: inout ByteWriter) {
        var presence = PresenceBitmap(rows: values.count)
        var tags = [Int64]()
        var ints = [Int64](), floats = [Double](), bools = [UInt64](), strings = [String](), jsons = [String]()
        for (i, v) in values.enumerated() {
            guard let v else { continue }
            presence.set(i)
            tags.append(Int64(v.typeTag))
            switch v {
            case .int(let x): ints.append(x)
            case .float(let x): floats.append(x)
            case .bool(let x): bools.append(x ? 1 : 0)
            case .string(let s): strings.append(s)
            case .json(let s): jsons.append(s)
            }
        }
        presence.encode(into: &w)
        let distinct = Set(tags)
        if distinct.count == 1 {
            w.writeUInt8(UInt8(tags[0]))
        } else {
            w.writeUInt8(0)
            if !tags.isEmpty { IntColumn.encode(tags, into: &w) }
        }
        if !ints.isEmpty { IntColumn.encode(ints, into: &w) }
        if !floats.isEmpty { encodeFloats(floats, into: &w) }
        if !bools.isEmpty { BitPacking.pack(bools, width: 1, into: &w) }
        if !strings.isEmpty { StringColumn.encode(strings, into: &w) }
        if !jsons.isEmpty { StringColumn.encode(jsons, into: &w) }
    }

    static let powers: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]

    static func encodeFloats(_ v: [Double], into w: inout ByteWriter) {
        // Find the smallest decimal scale at which every value is an exact integer.
        scales: for scale in 0...9 {
            let p = powers[scale]
            var ints = [Int64]()
            ints.reserveCapacity(v.count)
            for x in v {
                let y = (x * p).rounded()
                guard abs(y) < 9.0e15, y / p == x, !(x == 0 && x.sign == .minus) else { continue scales }
                ints.append(Int64(y))
            }
            w.writeUInt8(UInt8(scale))
            IntColumn.encode(ints, into: &w)
            return
        }
        w.writeUInt8(255)
        for x in v { w.writeFloat64(x) }
    }

    static func decodeFloats(count: Int, from r: inout ByteReader) throws(FormatError) -> [Double] {
        let at = r.absoluteOffset
        let scale = try r.readUInt8()
        if scale == 255 {
            try r.require(count * 8)
            var out = [Double]()
            out.reserveCapacity(count)
            for _ in 0..<count { out.append(try r.readFloat64()) }
            return out
        }
        guard scale <= 9 else { throw FormatError.invalid(r.section, at: at, "float scale \(scale)") }
        let ints = try IntColumn.decode(from: &r, limit: count)
        guard ints.count == count else { throw FormatError.invalid(r.section, at: at, "float count \(ints.count), expected \(count)") }
        let p = powers[Int(scale)]
        return ints.map { Double($0) / p }
    }

    /// Decodes a column for `rows` rows. With `keep`, only the kept rows get their values (the
    /// others read as absent), which spares building a String per row for a page of hits; the
    /// whole chunk is still validated.
    public static func decode(rows: Int, from r: inout ByteReader, keep: Set<Int>? = nil) throws(FormatError) -> [FieldValue?] {
        let view = try decodeView(rows: rows, from: &r)
        var out = [FieldValue?](repeating: nil, count: rows)
        if let keep {
            for i in keep where i >= 0 && i < rows { out[i] = view.value(i) }
        } else {
            for i in 0..<rows { out[i] = view.value(i) }
        }
        return out
    }

    /// Decodes a column for `rows` rows into a `FieldColumnView` (values built on demand).
    public static func decodeView(rows: Int, from r: inout ByteReader) throws(FormatError) -> FieldColumnView {
        let presence = try PresenceBitmap.decode(rows: rows, from: &r)
        let present = presence.presentCount
        let modeAt = r.absoluteOffset
        let mode = try r.readUInt8()
        var tags: [Int64]
        switch mode {
        case 0:
            tags = present == 0 ? [] : try IntColumn.decode(from: &r, limit: present)
            guard tags.count == present else { throw FormatError.invalid(r.section, at: modeAt, "type tag count \(tags.count), expected \(present)") }
        case 1...5:
            tags = [Int64](repeating: Int64(mode), count: present)
        default:
            throw FormatError.invalid(r.section, at: modeAt, "unknown field type \(mode)")
        }
        var counts = [Int](repeating: 0, count: 6)
        for t in tags {
            guard t >= 1 && t <= 5 else { throw FormatError.invalid(r.section, at: modeAt, "unknown field type tag \(t)") }
            counts[Int(t)] += 1
        }
        func check(_ n: Int, _ what: String) throws(FormatError) {
            if n != counts[what == "int" ? 1 : what == "string" ? 4 : 5] {
                throw FormatError.invalid(r.section, at: r.absoluteOffset, "\(what) value count \(n) disagrees with type tags")
            }
        }
        var v = FieldColumnView(rows: rows)
        if counts[1] > 0 { v.ints = try IntColumn.decode(from: &r, limit: counts[1]); try check(v.ints.count, "int") }
        if counts[2] > 0 { v.floats = try decodeFloats(count: counts[2], from: &r) }
        if counts[3] > 0 { try BitPacking.unpack(count: counts[3], width: 1, from: &r, into: &v.bools) }
        if counts[4] > 0 {
            v.strings = try StringColumn.decodeView(from: &r, maxLength: Limits.maxFieldValueBytes, limit: counts[4])
            try check(v.strings.count, "string")
        }
        if counts[5] > 0 {
            v.jsons = try StringColumn.decodeView(from: &r, maxLength: Limits.maxFieldValueBytes, limit: counts[5])
            try check(v.jsons.count, "json")
        }
        var cursor = [Int32](repeating: 0, count: 6)
        var k = 0
        for i in 0..<rows where presence.contains(i) {
            let t = Int(tags[k]); k += 1
            v.tags[i] = UInt8(t)
            v.slots[i] = cursor[t]
            cursor[t] += 1
        }
        return v
    }
}

/// A decoded field column whose values are built only when asked for.
///
/// Invariants: `tags[i]` is 0 when row i lacks the field, else its type tag (1 int, 2 float,
/// 3 bool, 4 string, 5 json); `slots[i]` indexes the array of that type.
public struct FieldColumnView: Sendable {
    public var tags: [UInt8]
    public var slots: [Int32]
    public var ints: [Int64] = []
    public var floats: [Double] = []
    public var bools: [UInt64] = []
    public var strings = StringColumnView.plain(starts: [0], bytes: [])
    public var jsons = StringColumnView.plain(starts: [0], bytes: [])

    init(rows: Int) {
        tags = [UInt8](repeating: 0, count: rows)
        slots = [Int32](repeating: 0, count: rows)
    }

    public var rowCount: Int { tags.count }

    public func value(_ i: Int) -> FieldValue? {
        let j = Int(slots[i])
        switch tags[i] {
        case 0: return nil
        case 1: return .int(ints[j])
        case 2: return .float(floats[j])
        case 3: return .bool(bools[j] == 1)
        case 4: return .string(strings.string(j))
        default: return .json(jsons.string(j))
        }
    }
}
