import Testing
import StrataFormat
import StrataTestSupport

@Suite struct BloomFilterTests {
    /// Keys inserted are always found; the measured false-positive rate of absent keys stays
    /// near what the configured bits per key promise.
    @Test(arguments: [(6, 0.12), (10, 0.025), (16, 0.004)])
    func falsePositiveRateMatchesConfiguration(bitsPerKey: Int, maxRate: Double) {
        var rng = SeededRandom(seed: UInt64(bitsPerKey))
        let n = 20_000
        let keys = (0..<n).map { _ in rng.next() }
        var f = BloomFilter(keyCount: n, bitsPerKey: bitsPerKey)
        for k in keys { f.insert(k) }
        #expect(keys.allSatisfy { f.mayContain($0) }, "no false negatives")
        #expect(f.sizeInBytes >= n * bitsPerKey / 8)
        let probes = 200_000
        var hits = 0
        for _ in 0..<probes where f.mayContain(rng.next()) { hits += 1 }
        let rate = Double(hits) / Double(probes)
        #expect(rate < maxRate, "measured false-positive rate \(rate) at \(bitsPerKey) bits/key")
        #expect(rate > 0, "a filter this full must give some false positives")
        print("bloom: \(bitsPerKey) bits/key → measured false-positive rate \(rate)")
    }

    @Test func roundTripsAndRejectsTruncation() throws {
        var f = BloomFilter(keyCount: 100, bitsPerKey: 10)
        for k in 0..<100 { f.insert(BloomKey.token(Array("token\(k)".utf8))) }
        var w = ByteWriter()
        f.encode(into: &w)
        let back = try w.bytes.withUnsafeBytes { p in
            var r = ByteReader(p, section: "bloom")
            return try BloomFilter.decode(from: &r)
        }
        #expect(back == f)
        #expect((0..<100).allSatisfy { back.mayContain(BloomKey.token(Array("token\($0)".utf8))) })
        let cut = Array(w.bytes.dropLast(3))
        #expect(throws: FormatError.self) {
            try cut.withUnsafeBytes { p in
                var r = ByteReader(p, section: "bloom")
                _ = try BloomFilter.decode(from: &r)
                try r.expectEnd()
            }
        }
    }

    @Test func disabledFilterAnswersMaybe() {
        let f = BloomFilter(keyCount: 1000, bitsPerKey: 0)
        #expect(f.blockCount == 0)
        #expect(f.mayContain(42))
    }

    /// The same bytes under different kinds are different keys.
    @Test func keyKindsAreSeparate() {
        let v = Array("api".utf8)
        let all = [BloomKey.token(v), BloomKey.keyword(.service, v), BloomKey.keyword(.host, v),
                   BloomKey.keyword(.source, v), BloomKey.keyword(.tag, v),
                   BloomKey.field(seed: BloomKey.fieldSeed("service"), text: v)]
        #expect(Set(all).count == all.count)
    }

    @Test func hashSetDeduplicates() {
        var s = HashSet64(capacity: 4)
        var rng = SeededRandom(seed: 9)
        let keys = (0..<5000).map { _ in rng.next() % 3000 }
        for k in keys { s.insert(k) }
        // 0 is stored as 1 (documented): count the keys the same way.
        #expect(s.count == Set(keys.map { $0 == 0 ? 1 : $0 }).count)
        var seen = Set<UInt64>()
        s.forEach { seen.insert($0) }
        #expect(seen == Set(keys.map { $0 == 0 ? 1 : $0 }))
    }
}

extension BloomFilterTests {
    /// The allocation-free token hashing gives the keys of the `Tokenizer`'s tokens, long ones too.
    @Test func tokenKeysMatchTheTokenizer() {
        let texts = ["Error: connection REFUSED to 10.0.0.1:5432", "", "---", "ünïcödé 日本語 x_y",
                     String(repeating: "a", count: 300) + " tail " + String(repeating: "B", count: 257)]
        for t in texts {
            var got = [UInt64]()
            var s = t
            s.withUTF8 { BloomKey.forEachTokenKey(UnsafeRawBufferPointer($0)) { got.append($0) } }
            #expect(got == Tokenizer.tokens(t).map { BloomKey.token($0) }, "\(t.prefix(40))")
        }
    }
}
