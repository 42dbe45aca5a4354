/// Which rows of a block have a value (the null bitmap of a column).
///
/// Layout: `u8 kind` — 0 = every row present, 1 = no row present, 2 = explicit bitmap of
/// ⌈rows/8⌉ bytes follows, bit *i* (LSB first) set when row *i* has a value. Bits past
/// `rows` must be zero.
public struct PresenceBitmap: Sendable, Equatable {
    /// Number of rows covered.
    public let rows: Int
    /// Bit words; bit *i* of the stream is row *i*.
    public private(set) var words: [UInt64]

    /// A bitmap with every row absent.
    public init(rows: Int) {
        self.rows = rows
        words = [UInt64](repeating: 0, count: (rows + 63) / 64)
    }

    /// Marks row `i` present.
    public mutating func set(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }

    /// Whether row `i` is present.
    @inlinable public func contains(_ i: Int) -> Bool { words[i >> 6] >> UInt64(i & 63) & 1 == 1 }

    /// Number of present rows.
    public var presentCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Appends the encoding.
    public func encode(into w: inout ByteWriter) {
        let present = presentCount
        if present == rows { w.writeUInt8(0); return }
        if present == 0 { w.writeUInt8(1); return }
        w.writeUInt8(2)
        let nbytes = (rows + 7) / 8
        for i in 0..<nbytes { w.writeUInt8(UInt8(truncatingIfNeeded: words[i >> 3] >> UInt64((i & 7) * 8))) }
    }

    /// Decodes a bitmap for `rows` rows.
    public static func decode(rows: Int, from r: inout ByteReader) throws(FormatError) -> PresenceBitmap {
        var bm = PresenceBitmap(rows: rows)
        let at = r.absoluteOffset
        switch try r.readUInt8() {
        case 0:
            for i in 0..<bm.words.count { bm.words[i] = ~0 }
            if rows & 63 != 0 { bm.words[bm.words.count - 1] = (1 << UInt64(rows & 63)) - 1 }
        case 1:
            break
        case 2:
            let nbytes = (rows + 7) / 8
            let span = try r.readSpan(nbytes)
            for i in 0..<nbytes { bm.words[i >> 3] |= UInt64(span[i]) << UInt64((i & 7) * 8) }
            if rows & 7 != 0, span[nbytes - 1] >> UInt8(rows & 7) != 0 {
                throw FormatError.invalid(r.section, at: r.absoluteOffset - 1, "presence bits set past row count")
            }
        case let k:
            throw FormatError.invalid(r.section, at: at, "unknown presence kind \(k)")
        }
        return bm
    }
}
