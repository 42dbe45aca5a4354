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
