/// A MessagePack value (https://github.com/msgpack/msgpack/blob/master/spec.md), decoded with
/// bounds checks on every length, a nesting limit and a cap on declared collection sizes (a
/// count can never ask for more elements than bytes remain).
enum MessagePack: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePack])
    case map([(MessagePack, MessagePack)])
    case ext(type: Int8, data: [UInt8])

    static func == (a: MessagePack, b: MessagePack) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.uint(let x), .uint(let y)): x == y
        case (.float(let x), .float(let y)): x == y || (x.isNaN && y.isNaN)
        case (.string(let x), .string(let y)): x == y
        case (.binary(let x), .binary(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.map(let x), .map(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.ext(let t, let d), .ext(let u, let e)): t == u && d == e
        default: false
        }
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }

    /// Bytes of a str or bin value.
    var bytes: [UInt8]? {
        switch self {
        case .string(let s): Array(s.utf8)
        case .binary(let b): b
        default: nil
        }
    }

    /// Integers of either sign as Int64 (nil if out of range).
    var int64: Int64? {
        switch self {
        case .int(let v): v
        case .uint(let v): v <= UInt64(Int64.max) ? Int64(v) : nil
        default: nil
        }
    }

    subscript(key: String) -> MessagePack? {
        guard case .map(let m) = self else { return nil }
        return m.first { $0.0.string == key }?.1
    }

    /// Why bytes are not a (complete) MessagePack value.
    enum Failure: Error, Equatable {
        /// The value is cut short: more bytes may complete it (streams wait for them).
        case needMore
        case invalid(String, at: Int)
    }

    /// Decodes one value starting at `pos`, advancing it past the value.
    static func decode(_ b: UnsafeRawBufferPointer, at pos: inout Int, depth: Int = 0) throws(Failure) -> MessagePack {
        guard depth < 64 else { throw .invalid("nesting deeper than 64", at: pos) }
        func need(_ n: Int) throws(Failure) { if pos + n > b.count { throw .needMore } }
        func be(_ n: Int) throws(Failure) -> UInt64 {
            try need(n)
            var v: UInt64 = 0
            for k in 0..<n { v = v << 8 | UInt64(b[pos + k]) }
            pos += n
            return v
        }
        func raw(_ n: Int) throws(Failure) -> [UInt8] {
            try need(n)
            let r = Array(b[pos..<(pos + n)])
            pos += n
            return r
        }
        func str(_ n: Int) throws(Failure) -> MessagePack { .string(String(decoding: try raw(n), as: UTF8.self)) }
        func array(_ n: Int) throws(Failure) -> MessagePack {
            guard n <= b.count - pos else { throw .needMore }   // each element takes at least one byte
            var items = [MessagePack]()
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try decode(b, at: &pos, depth: depth + 1)) }
            return .array(items)
        }
        func map(_ n: Int) throws(Failure) -> MessagePack {
            guard n <= (b.count - pos) / 2 else { throw .needMore }
            var items = [(MessagePack, MessagePack)]()
            items.reserveCapacity(n)
            for _ in 0..<n {
                let k = try decode(b, at: &pos, depth: depth + 1)
                items.append((k, try decode(b, at: &pos, depth: depth + 1)))
            }
            return .map(items)
        }
        try need(1)
        let t = b[pos]
        let at = pos
        pos += 1
        switch t {
        case 0x00...0x7F: return .int(Int64(t))
        case 0x80...0x8F: return try map(Int(t & 0x0F))
        case 0x90...0x9F: return try array(Int(t & 0x0F))
        case 0xA0...0xBF: return try str(Int(t & 0x1F))
        case 0xC0: return .null
        case 0xC2: return .bool(false)
        case 0xC3: return .bool(true)
        case 0xC4: return .binary(try raw(Int(try be(1))))
        case 0xC5: return .binary(try raw(Int(try be(2))))
        case 0xC6: return .binary(try raw(Int(try be(4))))
        case 0xC7, 0xC8, 0xC9:
            let n = Int(try be(t == 0xC7 ? 1 : t == 0xC8 ? 2 : 4))
            let type = Int8(bitPattern: UInt8(try be(1)))
            return .ext(type: type, data: try raw(n))
        case 0xCA: return .float(Double(Float(bitPattern: UInt32(try be(4)))))
        case 0xCB: return .float(Double(bitPattern: try be(8)))
        case 0xCC: return .uint(try be(1))
        case 0xCD: return .uint(try be(2))
        case 0xCE: return .uint(try be(4))
        case 0xCF: return .uint(try be(8))
        case 0xD0: return .int(Int64(Int8(truncatingIfNeeded: try be(1))))
        case 0xD1: return .int(Int64(Int16(truncatingIfNeeded: try be(2))))
        case 0xD2: return .int(Int64(Int32(truncatingIfNeeded: try be(4))))
        case 0xD3: return .int(Int64(bitPattern: try be(8)))
        case 0xD4, 0xD5, 0xD6, 0xD7, 0xD8:
            let n = 1 << Int(t - 0xD4)
            let type = Int8(bitPattern: UInt8(try be(1)))
            return .ext(type: type, data: try raw(n))
        case 0xD9: return try str(Int(try be(1)))
        case 0xDA: return try str(Int(try be(2)))
        case 0xDB: return try str(Int(try be(4)))
        case 0xDC: return try array(Int(try be(2)))
        case 0xDD: return try array(Int(try be(4)))
        case 0xDE: return try map(Int(try be(2)))
        case 0xDF: return try map(Int(try be(4)))
        case 0xE0...0xFF: return .int(Int64(Int8(bitPattern: t)))
        default: throw .invalid("reserved byte 0x\(String(t, radix: 16))", at: at)
        }
    }

    /// Encodes a map of string keys to string values (the forward protocol's `{"ack": id}`).
    static func encodeStringMap(_ pairs: [(String, String)]) -> [UInt8] {
        precondition(pairs.count < 16 && pairs.allSatisfy { $0.0.utf8.count < 65_536 && $0.1.utf8.count < 65_536 }, "BUG: fixmap of short strings only")
        var out: [UInt8] = [0x80 | UInt8(pairs.count)]
        func s(_ v: String) {
            let u = Array(v.utf8)
            if u.count < 32 { out.append(0xA0 | UInt8(u.count)) } else if u.count < 256 { out += [0xD9, UInt8(u.count)] } else { out += [0xDA, UInt8(u.count >> 8), UInt8(u.count & 0xFF)] }
            out += u
        }
        for (k, v) in pairs { s(k); s(v) }
        return out
    }
}
