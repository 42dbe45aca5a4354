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

    /// Decodes a column for `rows` rows (absent rows are nil).
    public static func decode(rows: Int, from r: inout ByteReader) throws(FormatError) -> [FieldValue?] {
        let view = try decodeView(rows: rows, from: &r)
        var out = [FieldValue?](repeating: nil, count: rows)
        for i in 0..<rows { out[i] = view.value(i) }
        return out
    }

    /// The values of the rows in `wanted` that have one (rows out of range or without the
    /// field are left out). Spares a page of hits the per-row arrays of a whole block; the
    /// whole chunk is still validated.
    public static func decode(rows: Int, from r: inout ByteReader, only wanted: Set<Int>) throws(FormatError) -> [Int: FieldValue] {
        let parts = try decodeParts(rows: rows, from: &r)
        var out = [Int: FieldValue]()
        guard !wanted.isEmpty else { return out }
        // Each wanted row's rank among present rows, then its slot among values of its type.
        var byRank = [(rank: Int, row: Int)]()
        let words = parts.presence.words
        for row in wanted.sorted() where row >= 0 && row < rows && parts.presence.contains(row) {
            var rank = 0
            for w in 0..<(row >> 6) { rank += words[w].nonzeroBitCount }
            rank += (words[row >> 6] & ((1 << UInt64(row & 63)) &- 1)).nonzeroBitCount
            byRank.append((rank, row))
        }
        var cursor = [Int](repeating: 0, count: 6)
        var k = 0
        for (rank, row) in byRank {
            let t: Int
            let slot: Int
            if let tags = parts.tags {
                while k < rank { cursor[Int(tags[k])] += 1; k += 1 }
                t = Int(tags[rank])
                slot = cursor[t]
            } else {
                t = parts.mode
                slot = rank
            }
            out[row] = parts.value(tag: t, slot: slot)
        }
        return out
    }

    /// Decodes a column for `rows` rows into a `FieldColumnView` (values built on demand).
    public static func decodeView(rows: Int, from r: inout ByteReader) throws(FormatError) -> FieldColumnView {
        let parts = try decodeParts(rows: rows, from: &r)
        var v = FieldColumnView(rows: rows)
        v.ints = parts.ints
        v.floats = parts.floats
        v.bools = parts.bools
        v.strings = parts.strings
        v.jsons = parts.jsons
        if let tags = parts.tags {
            var cursor = [Int32](repeating: 0, count: 6)
            var k = 0
            for i in 0..<rows where parts.presence.contains(i) {
                let t = Int(tags[k]); k += 1
                v.tags[i] = UInt8(t)
                v.slots[i] = cursor[t]
                cursor[t] += 1
            }
        } else {
            // One type: a present row's slot is its rank among present rows.
            let t = UInt8(parts.mode)
            var slot: Int32 = 0
            v.tags.withUnsafeMutableBufferPointer { tp in
                v.slots.withUnsafeMutableBufferPointer { sp in
                    for (w, word) in parts.presence.words.enumerated() {
                        var bits = word
                        while bits != 0 {
                            let i = w << 6 | bits.trailingZeroBitCount
                            tp[i] = t
                            sp[i] = slot
                            slot += 1
                            bits &= bits &- 1
                        }
                    }
                }
            }
        }
        return v
    }

    /// A chunk's sections, validated: presence, the type tags (nil when every present value
    /// has type `mode`) and the values of each type in row order.
    struct Parts {
        var presence: PresenceBitmap
        var mode: Int
        var tags: [UInt8]?
        var ints: [Int64] = []
        var floats: [Double] = []
        var bools: [UInt64] = []
        var strings = StringColumnView.plain(starts: [0], bytes: [])
        var jsons = StringColumnView.plain(starts: [0], bytes: [])

        func value(tag: Int, slot j: Int) -> FieldValue {
            switch tag {
            case 1: return .int(ints[j])
            case 2: return .float(floats[j])
            case 3: return .bool(bools[j] == 1)
            case 4: return .string(strings.string(j))
            default: return .json(jsons.string(j))
            }
        }
    }

    static func decodeParts(rows: Int, from r: inout ByteReader) throws(FormatError) -> Parts {
        let presence = try PresenceBitmap.decode(rows: rows, from: &r)
        let present = presence.presentCount
        let modeAt = r.absoluteOffset
        let mode = try r.readUInt8()
        var counts = [Int](repeating: 0, count: 6)
        var parts = Parts(presence: presence, mode: Int(mode))
        switch mode {
        case 0:
            let tags = present == 0 ? [] : try IntColumn.decode(from: &r, limit: present)
            guard tags.count == present else { throw FormatError.invalid(r.section, at: modeAt, "type tag count \(tags.count), expected \(present)") }
            var small = [UInt8]()
            small.reserveCapacity(present)
            for t in tags {
                guard t >= 1 && t <= 5 else { throw FormatError.invalid(r.section, at: modeAt, "unknown field type tag \(t)") }
                counts[Int(t)] += 1
                small.append(UInt8(t))
            }
            parts.tags = small
        case 1...5:
            counts[Int(mode)] = present
        default:
            throw FormatError.invalid(r.section, at: modeAt, "unknown field type \(mode)")
        }
        func check(_ n: Int, _ what: String) throws(FormatError) {
            if n != counts[what == "int" ? 1 : what == "string" ? 4 : 5] {
                throw FormatError.invalid(r.section, at: r.absoluteOffset, "\(what) value count \(n) disagrees with type tags")
            }
        }
        if counts[1] > 0 { parts.ints = try IntColumn.decode(from: &r, limit: counts[1]); try check(parts.ints.count, "int") }
        if counts[2] > 0 { parts.floats = try decodeFloats(count: counts[2], from: &r) }
        if counts[3] > 0 { try BitPacking.unpack(count: counts[3], width: 1, from: &r, into: &parts.bools) }
        if counts[4] > 0 {
            parts.strings = try StringColumn.decodeView(from: &r, maxLength: Limits.maxFieldValueBytes, limit: counts[4])
            try check(parts.strings.count, "string")
        }
        if counts[5] > 0 {
            parts.jsons = try StringColumn.decodeView(from: &r, maxLength: Limits.maxFieldValueBytes, limit: counts[5])
            try check(parts.jsons.count, "json")
        }
        return parts
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
