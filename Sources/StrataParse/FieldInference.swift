import StrataFormat

/// Types a captured value from its bytes: an integer (optional sign, ≤ 18 digits) → `.int`,
/// a decimal → `.float`, `true`/`false` → `.bool`, anything else → `.string`.
///
/// Invariant: total over any bytes; never produces a non-finite float.
public enum FieldInference {
    /// The typed value of `v`.
    public static func value(_ v: UnsafeRawBufferPointer) -> FieldValue {
        if let i = integer(v) { return .int(i) }
        if let d = decimal(v) { return .float(d) }
        if v.count == 4, v[0] == UInt8(ascii: "t"), v[1] == UInt8(ascii: "r"), v[2] == UInt8(ascii: "u"), v[3] == UInt8(ascii: "e") { return .bool(true) }
        if v.count == 5, v[0] == UInt8(ascii: "f"), v[1] == UInt8(ascii: "a"), v[2] == UInt8(ascii: "l"), v[3] == UInt8(ascii: "s"), v[4] == UInt8(ascii: "e") { return .bool(false) }
        return .string(String(decoding: v, as: UTF8.self))
    }

    /// `v` as a decimal integer, or nil (no leading `+`, no leading zeros beyond a lone `0`,
    /// at most 18 digits so it always fits).
    public static func integer(_ v: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        var negative = false
        if v.count > 1, v[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        let digits = v.count - i
        guard digits >= 1, digits <= 18 else { return nil }
        if digits > 1 && v[i] == 0x30 { return nil }
        var r: Int64 = 0
        while i < v.count {
            let c = v[i] &- 0x30
            guard c <= 9 else { return nil }
            r = r * 10 + Int64(c)
            i += 1
        }
        return negative ? -r : r
    }

    /// `v` as a finite decimal with a fraction or exponent (`1.5`, `-0.25`, `2e3`), or nil.
    public static func decimal(_ v: UnsafeRawBufferPointer) -> Double? {
        guard let f = v.first, f == UInt8(ascii: "-") || (f >= 0x30 && f <= 0x39), v.count <= 32 else { return nil }
        var sawPointOrExp = false
        for c in v {
            switch c {
            case 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "+"): continue
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): sawPointOrExp = true
            default: return nil
            }
        }
        guard sawPointOrExp, let d = Double(String(decoding: v, as: UTF8.self)), d.isFinite else { return nil }
        return d
    }
}
