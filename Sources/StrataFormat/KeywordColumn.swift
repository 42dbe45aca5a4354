/// A decoded low-cardinality string column kept encoded: distinct values plus one code per
/// row. Predicates and group-bys work on the codes and test each distinct value once.
///
/// Invariant: every code is < `dictionary.count`. The dictionary holds no duplicates; it is in
/// ascending byte order when it came from a dictionary-mode chunk, in first-use order otherwise.
public struct KeywordColumn: Sendable, Equatable {
    public var dictionary: [[UInt8]]
    public var codes: [UInt32]

    public init(dictionary: [[UInt8]], codes: [UInt32]) {
        self.dictionary = dictionary
        self.codes = codes
    }

    /// Builds the column from per-row values.
    public init<S: Sequence>(values: S) where S.Element == [UInt8] {
        var ids = [[UInt8]: UInt32]()
        dictionary = []
        codes = []
        for v in values {
            if let id = ids[v] { codes.append(id); continue }
            let id = UInt32(dictionary.count)
            ids[v] = id
            dictionary.append(v)
            codes.append(id)
        }
    }

    public var count: Int { codes.count }

    /// The value of row `i`.
    @inline(__always) public subscript(i: Int) -> [UInt8] { dictionary[Int(codes[i])] }
}

extension StringColumn {
    /// Decodes a column without materialising a value per row: dictionary-mode chunks keep
    /// their dictionary and codes; plain and hex chunks are dictionary-encoded on the fly.
    public static func decodeKeyword(from r: inout ByteReader, maxLength: Int, limit: Int) throws(FormatError) -> KeywordColumn {
        let start = r
        if try r.readUInt8() == 0 { return try readDictionaryMode(from: &r, maxLength: maxLength, limit: limit) }
        r = start
        return KeywordColumn(values: try decode(from: &r, maxLength: maxLength, limit: limit))
    }

    /// The body of a dictionary-mode column (after its mode byte): sorted distinct values, then
    /// the codes, each checked against the dictionary.
    static func readDictionaryMode(from r: inout ByteReader, maxLength: Int, limit: Int) throws(FormatError) -> KeywordColumn {
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
        let raw = try IntColumn.decode(from: &r, limit: limit)
        var codes = [UInt32]()
        codes.reserveCapacity(raw.count)
        let n64 = Int64(dict.count)
        for c in raw {
            guard c >= 0 && c < n64 else {
                throw FormatError.invalid(r.section, at: codesAt, "dictionary code \(c) out of range 0..<\(dict.count)")
            }
            codes.append(UInt32(c))
        }
        return KeywordColumn(dictionary: dict, codes: codes)
    }
}

/// A decoded string column that builds a value only when it is asked for: a page of hits needs a
/// handful of rows, not an array per row. Validation is the same as `StringColumn.decode`.
public enum StringColumnView: Sendable {
    case dictionary(KeywordColumn)
    /// Value i is `bytes[starts[i] ..< starts[i + 1]]`.
    case plain(starts: [Int], bytes: [UInt8])
    /// Value i is the lowercase hex of `bytes[i * width ..< (i + 1) * width]`.
    case hex(width: Int, bytes: [UInt8])

    public var count: Int {
        switch self {
        case .dictionary(let k): k.count
        case .plain(let starts, _): starts.count - 1
        case .hex(let width, let bytes): width == 0 ? 0 : bytes.count / width
        }
    }

    /// Whether value i is exactly `bytes` (no value is built).
    public func equals(_ i: Int, _ bytes: [UInt8]) -> Bool {
        switch self {
        case .dictionary(let k): return k[i] == bytes
        case .plain(let starts, let all):
            let s = starts[i], e = starts[i + 1]
            guard e - s == bytes.count else { return false }
            return all.withUnsafeBufferPointer { p in bytes.withUnsafeBufferPointer { q in
                UnsafeBufferPointer(rebasing: p[s..<e]).elementsEqual(q)
            } }
        case .hex(let width, let all):
            guard bytes.count == width * 2 else { return false }
            var k = 0
            for b in all[(i * width)..<((i + 1) * width)] {
                if StringColumn.hexDigits[Int(b >> 4)] != bytes[k] || StringColumn.hexDigits[Int(b & 15)] != bytes[k + 1] { return false }
                k += 2
            }
            return true
        }
    }

    /// Value i as a String (no intermediate array for plain values).
    public func string(_ i: Int) -> String {
        switch self {
        case .plain(let starts, let bytes): return String(decoding: bytes[starts[i]..<starts[i + 1]], as: UTF8.self)
        default: return String(decoding: self[i], as: UTF8.self)
        }
    }

    public subscript(i: Int) -> [UInt8] {
        switch self {
        case .dictionary(let k): return k[i]
        case .plain(let starts, let bytes): return Array(bytes[starts[i]..<starts[i + 1]])
        case .hex(let width, let bytes):
            var v = [UInt8]()
            v.reserveCapacity(width * 2)
            for b in bytes[(i * width)..<((i + 1) * width)] {
                v.append(StringColumn.hexDigits[Int(b >> 4)]); v.append(StringColumn.hexDigits[Int(b & 15)])
            }
            return v
        }
    }
}

extension StringColumn {
    /// Decodes a column into a `StringColumnView` (no per-value allocation).
    public static func decodeView(from r: inout ByteReader, maxLength: Int, limit: Int) throws(FormatError) -> StringColumnView {
        let at = r.absoluteOffset
        switch try r.readUInt8() {
        case 0:
            return .dictionary(try readDictionaryMode(from: &r, maxLength: maxLength, limit: limit))
        case 1:
            let lensAt = r.absoluteOffset
            let lens = try IntColumn.decode(from: &r, limit: limit)
            var starts = [Int]()
            starts.reserveCapacity(lens.count + 1)
            var total = 0
            starts.append(0)
            for l in lens {
                guard l >= 0 && l <= maxLength else {
                    throw FormatError.invalid(r.section, at: lensAt, "string length \(l) out of range")
                }
                total += Int(l)
                starts.append(total)
            }
            let span = try r.readSpan(total)
            return .plain(starts: starts, bytes: Array(span))
        case 2:
            let count = try r.readLength(limit: limit, "hex value count")
            let lenAt = r.absoluteOffset
            let length = try r.readLength(limit: maxLength, "hex value length")
            guard length >= 8, length % 2 == 0 else { throw FormatError.invalid(r.section, at: lenAt, "hex value length \(length)") }
            let span = try r.readSpan(count * (length / 2))
            return .hex(width: length / 2, bytes: Array(span))
        case let m:
            throw FormatError.invalid(r.section, at: at, "unknown string column mode \(m)")
        }
    }
}
