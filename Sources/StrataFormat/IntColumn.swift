/// Encoding of a sequence of 64-bit integers: frame-of-reference or delta, divided by the
/// greatest common divisor, then bit-packed. See `format-spec/column-encodings.md#int`.
///
/// Layout: `varint count`, `u8 mode` (0 = FOR, 1 = delta), [delta: `zigzag first`],
/// `zigzag base`, `varint gcd` (≥ 1), `u8 width`, packed values. For FOR the packed value *i*
/// is `(v[i] − base) / gcd`; for delta it is `(v[i] − v[i−1] − base) / gcd` for i ≥ 1. All
/// arithmetic wraps modulo 2⁶⁴, so any Int64 sequence round-trips.
///
/// Timestamps in milliseconds stored as nanoseconds have a gcd of 10⁶, so their deltas
/// pack into a handful of bits.
///
/// Two byte-aligned modes serve columns that a block compressor compresses afterwards (bit
/// packing hides repetition from zstd): mode 2 (delta varint): `zigzag first`, then for i ≥ 1
/// `zigzag(v[i] − v[i−1])` as varints; mode 3 (aligned FOR): `zigzag base`, `varint gcd`,
/// `u8 bytes` (1, 2, 4 or 8), then each `(v[i] − base) / gcd` little-endian in that many bytes.
public enum IntColumn {
    /// How a column's values are laid out.
    public enum Layout: Sendable {
        /// Bit-packed (modes 0/1): densest without a compressor; for high-entropy columns.
        case packed
        /// Byte-aligned (modes 2/3): for columns zstd compresses afterwards.
        case aligned
        /// Byte-aligned codes read on every query (template and dictionary codes): from
        /// `fixedWidthMinCount` values on always mode 3, whose decoding has no data-dependent
        /// branch (delta varints of random codes mix one- and two-byte values, and that mix
        /// mispredicts); fewer values as `aligned`.
        case codes
    }

    /// See `Layout.codes`.
    public static let fixedWidthMinCount = 256

    /// Appends `values` in the smallest mode of `layout`.
    public static func encode(_ values: [Int64], layout: Layout, into w: inout ByteWriter) {
        guard layout != .packed, !values.isEmpty else { return encode(values, into: &w) }
        let p = plan(values[...])
        let bytes = p.width <= 8 ? 1 : p.width <= 16 ? 2 : p.width <= 32 ? 4 : 8
        var varintBytes = 0
        var prev = values[0]
        if layout == .codes && values.count >= fixedWidthMinCount {
            varintBytes = Int.max
        } else {
            for v in values.dropFirst() {
                varintBytes += varintSize(zigzagEncode(v &- prev))
                prev = v
                if varintBytes > values.count * bytes { break }
            }
        }
        w.writeVarint(UInt64(values.count))
        if varintBytes <= values.count * bytes {
            w.writeUInt8(2)
            w.writeZigzag(values[0])
            prev = values[0]
            for v in values.dropFirst() { w.writeZigzag(v &- prev); prev = v }
        } else {
            w.writeUInt8(3)
            w.writeZigzag(p.base)
            w.writeVarint(p.gcd)
            w.writeUInt8(UInt8(bytes))
            for v in values {
                let x = (UInt64(bitPattern: v) &- UInt64(bitPattern: p.base)) / p.gcd
                for k in 0..<bytes { w.writeUInt8(UInt8(truncatingIfNeeded: x >> UInt64(8 * k))) }
            }
        }
    }

    static func varintSize(_ v: UInt64) -> Int { v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7 }

    /// Appends the smaller of the FOR and delta encodings of `values` (bit-packed layout).
    public static func encode(_ values: [Int64], into w: inout ByteWriter) {
        w.writeVarint(UInt64(values.count))
        guard !values.isEmpty else {
            w.writeUInt8(0); w.writeZigzag(0); w.writeVarint(1); w.writeUInt8(0)
            return
        }
        let forPlan = plan(values[...])
        var deltas = [Int64]()
        var deltaPlan: Plan? = nil
        if values.count > 1 {
            deltas.reserveCapacity(values.count - 1)
            for i in 1..<values.count { deltas.append(values[i] &- values[i - 1]) }
            deltaPlan = plan(deltas[...])
        }
        if let dp = deltaPlan, dp.width < forPlan.width {
            w.writeUInt8(1)
            w.writeZigzag(values[0])
            write(deltas, dp, into: &w)
        } else {
            w.writeUInt8(0)
            write(values, forPlan, into: &w)
        }
    }

    struct Plan { var base: Int64; var gcd: UInt64; var width: Int }

    static func plan(_ v: ArraySlice<Int64>) -> Plan {
        guard let mn = v.min() else { return Plan(base: 0, gcd: 1, width: 0) }
        var g: UInt64 = 0
        var mx: UInt64 = 0
        for x in v {
            let d = UInt64(bitPattern: x) &- UInt64(bitPattern: mn)
            if d > mx { mx = d }
            if g != 1 { g = gcd(g, d) }
        }
        if g == 0 { g = 1 }
        return Plan(base: mn, gcd: g, width: BitPacking.width(for: mx / g))
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a, b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    static func write(_ v: [Int64], _ p: Plan, into w: inout ByteWriter) {
        w.writeZigzag(p.base)
        w.writeVarint(p.gcd)
        w.writeUInt8(UInt8(p.width))
        var packed = [UInt64]()
        packed.reserveCapacity(v.count)
        for x in v { packed.append((UInt64(bitPattern: x) &- UInt64(bitPattern: p.base)) / p.gcd) }
        BitPacking.pack(packed, width: p.width, into: &w)
    }

    /// Decodes a column of at most `limit` values.
    public static func decode(from r: inout ByteReader, limit: Int = Limits.maxRowsPerBlock * 64) throws(FormatError) -> [Int64] {
        let count = try r.readLength(limit: limit, "int column count")
        let modeAt = r.absoluteOffset
        let mode = try r.readUInt8()
        guard mode <= 3 else { throw FormatError.invalid(r.section, at: modeAt, "unknown int encoding mode \(mode)") }
        if mode >= 2 { return try decodeAligned(mode: mode, count: count, at: modeAt, from: &r) }
        var first: Int64 = 0
        if mode == 1 { first = try r.readZigzag() }
        let base = try r.readZigzag()
        let gcdAt = r.absoluteOffset
        let g = try r.readVarint()
        guard g >= 1 else { throw FormatError.invalid(r.section, at: gcdAt, "gcd 0") }
        let width = Int(try r.readUInt8())
        let n = mode == 1 ? max(count - 1, 0) : count
        if mode == 1 && count == 0 { throw FormatError.invalid(r.section, at: modeAt, "delta mode with no values") }
        var packed = [UInt64]()
        try BitPacking.unpack(count: n, width: width, from: &r, into: &packed)
        var out = [Int64]()
        out.reserveCapacity(count)
        let ub = UInt64(bitPattern: base)
        if mode == 0 {
            for p in packed { out.append(Int64(bitPattern: p &* g &+ ub)) }
        } else {
            var prev = first
            out.append(prev)
            for p in packed {
                prev = prev &+ Int64(bitPattern: p &* g &+ ub)
                out.append(prev)
            }
        }
        return out
    }

    /// Mode 2 without per-value calls: nil (reader untouched) on any malformed varint, so the
    /// checked loop can report it precisely.
    @inline(__always) static func decodeDeltaVarints(count: Int, from r: inout ByteReader) -> [Int64]? {
        let p = r.buffer
        var pos = r.position
        let end = p.count
        var out = [Int64](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { o -> Bool in
            var prev: Int64 = 0
            for idx in 0..<count {
                // One- and two-byte varints (most deltas of codes and small counters) first.
                if pos + 1 < end {
                    let b0 = p[pos]
                    if b0 < 0x80 {
                        pos += 1
                        let z = Int64(bitPattern: (UInt64(b0) >> 1) ^ (0 &- (UInt64(b0) & 1)))
                        prev = idx == 0 ? z : prev &+ z
                        o[idx] = prev
                        continue
                    }
                    let b1 = p[pos + 1]
                    if b1 < 0x80 {
                        pos += 2
                        let v = UInt64(b0 & 0x7f) | UInt64(b1) << 7
                        let z = Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
                        prev = idx == 0 ? z : prev &+ z
                        o[idx] = prev
                        continue
                    }
                }
                var result: UInt64 = 0
                var shift: UInt64 = 0
                while true {
                    guard pos < end else { return false }
                    let b = p[pos]
                    pos += 1
                    if shift == 63 && b > 1 { return false }
                    result |= UInt64(b & 0x7f) << shift
                    if b & 0x80 == 0 { break }
                    shift += 7
                }
                let z = Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
                prev = idx == 0 ? z : prev &+ z
                o[idx] = prev
            }
            return true
        }
        guard ok else { return nil }
        r.position = pos
        return out
    }

    /// Mode 3 after its mode byte: `zigzag base`, `varint gcd` (≥ 1), `u8 bytes` (1, 2, 4 or 8),
    /// and the span of `count × bytes` value bytes.
    static func readFixedWidth(count: Int, from r: inout ByteReader) throws(FormatError)
        -> (base: UInt64, gcd: UInt64, bytes: Int, span: UnsafeRawBufferPointer) {
        let base = UInt64(bitPattern: try r.readZigzag())
        let gcdAt = r.absoluteOffset
        let g = try r.readVarint()
        guard g >= 1 else { throw FormatError.invalid(r.section, at: gcdAt, "gcd 0") }
        let widthAt = r.absoluteOffset
        let bytes = Int(try r.readUInt8())
        guard [1, 2, 4, 8].contains(bytes) else { throw FormatError.invalid(r.section, at: widthAt, "aligned width \(bytes) bytes") }
        return (base, g, bytes, try r.readSpan(count * bytes))
    }

    /// Decodes a column of codes that must all be in `0..<bound` (template or dictionary codes)
    /// straight into `UInt32`; fixed-width columns (mode 3) without an intermediate array.
    /// Throws `invalid` for a code out of range.
    public static func decodeCodes(from r: inout ByteReader, limit: Int, below bound: Int) throws(FormatError) -> [UInt32] {
        let start = r.position
        let count = try r.readLength(limit: limit, "value count")
        let modeAt = r.absoluteOffset
        let mode = try r.readUInt8()
        if mode == 3 && count > 0 && count <= r.remaining {
            let (base, g, bytes, span) = try readFixedWidth(count: count, from: &r)
            let limitCode = UInt64(bound)
            var bad = false
            let out = [UInt32](unsafeUninitializedCapacity: count) { o, n in
                n = count
                if base == 0 && g == 1 && bytes <= 2 {
                    // The usual case (codes from 0, no common factor): a plain widening copy.
                    var top: UInt64 = 0
                    if bytes == 1 {
                        for i in 0..<count { let x = span[i]; o[i] = UInt32(x); top = max(top, UInt64(x)) }
                    } else {
                        for i in 0..<count {
                            let x = UInt16(littleEndian: span.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                            o[i] = UInt32(x)
                            top = max(top, UInt64(x))
                        }
                    }
                    if top >= limitCode { bad = true }
                    return
                }
                @inline(__always) func put(_ i: Int, _ x: UInt64) {
                    let v = x &* g &+ base
                    if v >= limitCode { bad = true }
                    o[i] = UInt32(truncatingIfNeeded: v)
                }
                switch bytes {
                case 1: for i in 0..<count { put(i, UInt64(span[i])) }
                case 2: for i in 0..<count { put(i, UInt64(UInt16(littleEndian: span.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                case 4: for i in 0..<count { put(i, UInt64(UInt32(littleEndian: span.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
                default: for i in 0..<count { put(i, UInt64(littleEndian: span.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
                }
            }
            if bad { throw FormatError.invalid(r.section, at: modeAt, "code out of range (at most \(bound - 1))") }
            return out
        }
        r.position = start
        let raw = try decode(from: &r, limit: limit)
        var out = [UInt32]()
        out.reserveCapacity(raw.count)
        for c in raw {
            guard c >= 0 && c < Int64(bound) else { throw FormatError.invalid(r.section, at: modeAt, "code \(c) out of range (at most \(bound - 1))") }
            out.append(UInt32(truncatingIfNeeded: c))
        }
        return out
    }

    static func decodeAligned(mode: UInt8, count: Int, at modeAt: Int, from r: inout ByteReader) throws(FormatError) -> [Int64] {
        guard count > 0 else { throw FormatError.invalid(r.section, at: modeAt, "aligned mode with no values") }
        // Every value takes at least one byte: refuse counts the bytes cannot hold before allocating.
        guard count <= r.remaining + 1 else { throw FormatError.truncated(r.section, at: modeAt, needed: count, available: r.remaining) }
        var out = [Int64]()
        out.reserveCapacity(count)
        if mode == 2 {
            if let fast = decodeDeltaVarints(count: count, from: &r) { return fast }
            var prev = try r.readZigzag()
            out.append(prev)
            for _ in 1..<count {
                prev = prev &+ (try r.readZigzag())
                out.append(prev)
            }
            return out
        }
        let (base, g, bytes, span) = try readFixedWidth(count: count, from: &r)
        // One loop per width (template codes are mostly 1 or 2 bytes): no per-byte inner loop.
        return [Int64](unsafeUninitializedCapacity: count) { o, n in
            switch bytes {
            case 1:
                for i in 0..<count { o[i] = Int64(bitPattern: UInt64(span[i]) &* g &+ base) }
            case 2:
                for i in 0..<count {
                    o[i] = Int64(bitPattern: UInt64(UInt16(littleEndian: span.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) &* g &+ base)
                }
            case 4:
                for i in 0..<count {
                    o[i] = Int64(bitPattern: UInt64(UInt32(littleEndian: span.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) &* g &+ base)
                }
            default:
                for i in 0..<count {
                    o[i] = Int64(bitPattern: UInt64(littleEndian: span.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) &* g &+ base)
                }
            }
            n = count
        }
    }
}
