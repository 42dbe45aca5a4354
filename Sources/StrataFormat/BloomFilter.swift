/// A split-block Bloom filter: 256-bit blocks of eight 32-bit words; a key sets one bit in
/// each word of one block, so a lookup touches one cache line. See
/// `format-spec/segment.md#bloom`.
///
/// Invariant: `words.count == blockCount * 8`. A filter with zero blocks contains nothing and
/// answers "maybe" for every key (it was written without keys or with filtering disabled).
public struct BloomFilter: Sendable, Equatable {
    /// Multipliers that pick the bit of each word (the constants of Parquet's split-block filter).
    static let salts: [UInt32] = [0x47b6_137b, 0x4497_4d91, 0x8824_ad5b, 0xa2b7_289d,
                                  0x7054_95c7, 0x2df1_424b, 0x9efc_4947, 0x5c6b_fb31]
    public private(set) var words: [UInt32]

    public var blockCount: Int { words.count / 8 }
    public var sizeInBytes: Int { words.count * 4 }

    /// An empty filter sized for `keyCount` distinct keys at `bitsPerKey` bits each
    /// (10 bits/key ≈ 1% false positives; 0 disables filtering).
    public init(keyCount: Int, bitsPerKey: Int) {
        let blocks = bitsPerKey <= 0 || keyCount == 0 ? 0 : max(1, (keyCount * bitsPerKey + 255) / 256)
        words = [UInt32](repeating: 0, count: blocks * 8)
    }

    @inline(__always) func block(_ h: UInt64) -> Int {
        Int(((h >> 32) &* UInt64(blockCount)) >> 32)
    }

    public mutating func insert(_ h: UInt64) {
        guard blockCount > 0 else { return }
        let base = block(h) * 8
        let k = UInt32(truncatingIfNeeded: h)
        for i in 0..<8 { words[base + i] |= 1 << ((k &* Self.salts[i]) >> 27) }
    }

    /// False only if the key was certainly not inserted.
    public func mayContain(_ h: UInt64) -> Bool {
        guard blockCount > 0 else { return true }
        let base = block(h) * 8
        let k = UInt32(truncatingIfNeeded: h)
        for i in 0..<8 where words[base + i] & (1 << ((k &* Self.salts[i]) >> 27)) == 0 { return false }
        return true
    }

    /// Raw chunk bytes: `varint blockCount`, then the words as u32 little-endian.
    public func encode(into w: inout ByteWriter) {
        w.writeVarint(UInt64(blockCount))
        for x in words { w.writeUInt32(x) }
    }

    public static func decode(from r: inout ByteReader) throws(FormatError) -> BloomFilter {
        let blocks = try r.readLength(limit: r.remaining / 32, "bloom block count")
        var f = BloomFilter(keyCount: 0, bitsPerKey: 0)
        f.words.reserveCapacity(blocks * 8)
        for _ in 0..<(blocks * 8) { f.words.append(try r.readUInt32()) }
        return f
    }
}

/// The keys a segment's Bloom filters hold, each a 64-bit hash of its bytes with a seed that
/// names its kind, so a message token and an equal host name are different keys.
public enum BloomKey {
    static let messageSeed: UInt64 = 0x6D   // 'm'
    static let variableSeed: UInt64 = 0x76  // 'v'
    static let fieldSeed: UInt64 = 0x66     // 'f'
    static let keywordSeeds: [UInt64] = [0x73, 0x68, 0x6F, 0x74]   // service, host, source, tag

    public enum Keyword: Int, Sendable { case service = 0, host, source, tag }

    /// A lower-cased message token (`Tokenizer`). In format v3, every token of the message; from
    /// v4 on, a token wholly in the static text of the message's template.
    @inline(__always) public static func token<C: Collection>(_ t: C) -> UInt64 where C.Element == UInt8 {
        hash(t, seed: messageSeed)
    }

    /// From format v4: a lower-cased token of a *variable region* of a message (one that is not
    /// wholly static text of its template; see `MessageStreams.forEachBloomKey`).
    @inline(__always) public static func variableToken<C: Collection>(_ t: C) -> UInt64 where C.Element == UInt8 {
        hash(t, seed: variableSeed)
    }

    /// Calls `body` with `token(t)` for each token `t` of `text` (the `Tokenizer` rules), lower-casing
    /// into a stack buffer: no allocation per token.
    public static func forEachTokenKey(_ text: UnsafeRawBufferPointer, _ body: (UInt64) -> Void) {
        forEachTokenKey(text, seed: messageSeed, body)
    }

    /// As above, each token hashed with `variableToken`'s seed.
    public static func forEachVariableTokenKey(_ text: UnsafeRawBufferPointer, _ body: (UInt64) -> Void) {
        forEachTokenKey(text, seed: variableSeed, body)
    }

    static func forEachTokenKey(_ text: UnsafeRawBufferPointer, seed: UInt64, _ body: (UInt64) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buf in
            var i = 0
            let n = text.count
            while i < n {
                while i < n, !Tokenizer.isTokenByte(text[i]) { i += 1 }
                if i >= n { return }
                let start = i
                var len = 0
                while i < n, Tokenizer.isTokenByte(text[i]) {
                    if len < 256 {
                        let c = text[i]
                        buf[len] = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
                    }
                    len += 1
                    i += 1
                }
                if len <= 256 {
                    body(xxh3(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buf)[0..<len]), seed: seed))
                } else {
                    var long = [UInt8]()
                    long.reserveCapacity(len)
                    for k in start..<i { let c = text[k]; long.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c) }
                    body(hash(long, seed: seed))
                }
            }
        }
    }

    /// A value of a keyword column (exact bytes).
    public static func keyword<C: Collection>(_ k: Keyword, _ v: C) -> UInt64 where C.Element == UInt8 {
        hash(v, seed: keywordSeeds[k.rawValue])
    }

    /// The seed for the values of field `key`.
    public static func fieldSeed(_ key: String) -> UInt64 { hash(Array(key.utf8), seed: fieldSeed) }

    /// A field value's text (`FieldValue.text`) under the seed of its key.
    public static func field<C: Collection>(seed: UInt64, text: C) -> UInt64 where C.Element == UInt8 {
        hash(text, seed: seed)
    }

    @inline(__always) static func hash<C: Collection>(_ bytes: C, seed: UInt64) -> UInt64 where C.Element == UInt8 {
        if let h = bytes.withContiguousStorageIfAvailable({ xxh3(UnsafeRawBufferPointer($0), seed: seed) }) { return h }
        let a = Array(bytes)
        return a.withUnsafeBytes { xxh3($0, seed: seed) }
    }
}
