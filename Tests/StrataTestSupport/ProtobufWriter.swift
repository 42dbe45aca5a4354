/// A protobuf writer for the tests, written independently of the decoder from the wire format.
public struct PB {
    public init() {}
    public var bytes: [UInt8] = []
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    public mutating func tag(_ f: Int, _ w: Int) { varint(UInt64(f << 3 | w)) }
    public mutating func msg(_ f: Int, _ m: PB) { tag(f, 2); varint(UInt64(m.bytes.count)); bytes += m.bytes }
    public mutating func str(_ f: Int, _ s: String) { tag(f, 2); varint(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    public mutating func raw(_ f: Int, _ b: [UInt8]) { tag(f, 2); varint(UInt64(b.count)); bytes += b }
    public mutating func fixed64(_ f: Int, _ v: UInt64) { tag(f, 1); for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
    public mutating func int(_ f: Int, _ v: Int64) { tag(f, 0); varint(UInt64(bitPattern: v)) }
    public static func kv(_ k: String, _ value: PB) -> PB { var p = PB(); p.str(1, k); p.msg(2, value); return p }
    public static func s(_ v: String) -> PB { var p = PB(); p.str(1, v); return p }
    public static func i(_ v: Int64) -> PB { var p = PB(); p.int(3, v); return p }
}


/// Snappy with literals only (a valid block of the uncompressed size), for protocol tests.
public func snappyLiterals(_ data: [UInt8]) -> [UInt8] {
    var out = [UInt8]()
    var n = data.count
    while n >= 0x80 { out.append(UInt8(n & 0x7F) | 0x80); n >>= 7 }
    out.append(UInt8(n))
    var i = 0
    while i < data.count {
        let chunk = min(60, data.count - i)
        out.append(UInt8(chunk - 1) << 2)
        out += data[i..<(i + chunk)]
        i += chunk
    }
    return out
}
