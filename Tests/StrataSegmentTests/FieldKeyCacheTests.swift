import Testing
import StrataCodec
@testable import StrataSegment

/// The writer's key cache must answer exactly as a dictionary keyed by bytes would, whatever
/// order rows list their keys in.
@Suite struct FieldKeyCacheTests {
    @Test func canonicallyEquivalentKeysStayDistinct() {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)                       // Swift's String equality merges them…
        #expect(!UTF8Key.sameBytes(composed, decomposed))     // …the bytes differ
        var cache = FieldKeyCache(columns: [UTF8Key(composed): 7, UTF8Key(decomposed): 8])
        #expect(cache.column(of: composed, at: 0) == 7)
        #expect(cache.column(of: decomposed, at: 0) == 8)     // same position, the fast path must not merge
        #expect(cache.column(of: composed, at: 0) == 7)
    }

    @Test func answersLikeADictionaryForShuffledRowsAndManyKeys() {
        // 40 keys (more than the linear list holds), rows listing random subsets in random order.
        let keys = (0..<40).map { "key_\($0)_" + String(repeating: "x", count: $0 % 11) }
        var map = [UTF8Key: Int]()
        for (i, k) in keys.enumerated() { map[UTF8Key(k)] = i * 3 + 1 }
        var cache = FieldKeyCache(columns: map)
        var computed = FieldKeyCache<Int>(values: { $0.utf8.count * 1000 + Int($0.utf8.last!) })
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let row = keys.shuffled(using: &rng).prefix(Int.random(in: 0...12, using: &rng))
            for (position, k) in row.enumerated() {
                #expect(cache.column(of: k, at: position) == map[UTF8Key(k)]!)
                #expect(computed.value(of: k, at: position) == k.utf8.count * 1000 + Int(k.utf8.last!))
            }
        }
    }

    @Test func sameBytesComparesEveryByte() {
        let a = String(repeating: "a", count: 37)
        for i in 0..<37 {
            var bytes = Array(a.utf8)
            bytes[i] = UInt8(ascii: "b")
            #expect(!UTF8Key.sameBytes(a, String(decoding: bytes, as: UTF8.self)))
        }
        #expect(UTF8Key.sameBytes(a, String(repeating: "a", count: 37)))
        #expect(!UTF8Key.sameBytes(a, String(repeating: "a", count: 36)))
        #expect(UTF8Key.sameBytes("", ""))
    }
}
