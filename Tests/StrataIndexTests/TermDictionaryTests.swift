import Testing
import StrataFormat
import StrataIndex
import StrataTestSupport

@Suite struct TermDictionaryTests {
    /// A seeded dictionary of `n` random terms (shared prefixes, empty term, UTF-8) and postings.
    static func sample(_ n: Int, seed: UInt64) -> [(term: [UInt8], posting: RoaringBitmap)] {
        var rng = SeededRandom(seed: seed)
        let stems = ["api", "api-gateway", "auth", "web-", "web-1", "db", "é", "日本", ""]
        var terms = Set<[UInt8]>()
        while terms.count < n {
            let stem = stems.randomElement(using: &rng)!
            let tail = Int.random(in: 0..<4, using: &rng) == 0 ? "" : String(Int.random(in: 0..<5000, using: &rng))
            terms.insert(Array((stem + tail).utf8))
        }
        return terms.sorted { $0.lexicographicallyPrecedes($1) }.map { t in
            let blocks = (0..<Int.random(in: 1...6, using: &rng)).map { _ in UInt32.random(in: 0..<70_000, using: &rng) }
            return (t, RoaringBitmap(blocks))
        }
    }

    @Test(arguments: [0, 1, 15, 16, 17, 200, 3000])
    func lookupFindsEveryTermAndNothingElse(count: Int) throws {
        let entries = Self.sample(count, seed: UInt64(count) + 1)
        let d = try TermDictionary(bytes: TermDictionary.encode(entries), section: "test")
        #expect(d.count == count)
        for e in entries { #expect(try d.lookup(e.term) == e.posting) }
        for absent in ["zzz", "ap", "api-gateway-x", "\u{10FFFF}"] where !entries.contains(where: { $0.term == Array(absent.utf8) }) {
            #expect(try d.lookup(Array(absent.utf8)) == nil)
        }
        #expect(try d.allEntries().map(\.term) == entries.map(\.term))
    }

    /// Prefix enumeration returns exactly the brute-force answer, in order, for every prefix of
    /// every term and some that match nothing.
    @Test func prefixEnumerationMatchesBruteForce() throws {
        let entries = Self.sample(500, seed: 7)
        let d = try TermDictionary(bytes: TermDictionary.encode(entries), section: "test")
        var prefixes = Set<[UInt8]>([[], Array("zz".utf8), Array("a".utf8), [0xFF]])
        for e in entries.prefix(80) { for k in 0...e.term.count { prefixes.insert(Array(e.term[0..<k])) } }
        for p in prefixes {
            var got = [[UInt8]]()
            try d.forEach(prefix: p) { e in got.append(e.term); return true }
            #expect(got == entries.map(\.term).filter { $0.starts(with: p) }, "prefix \(p)")
        }
    }

    @Test func unionOfMatchingTermsIsTheUnionOfTheirPostings() throws {
        let entries = Self.sample(400, seed: 11)
        let d = try TermDictionary(bytes: TermDictionary.encode(entries), section: "test")
        let test: ([UInt8]) -> Bool = { $0.count % 3 == 0 }
        var expected = RoaringBitmap()
        for e in entries where e.term.starts(with: Array("web".utf8)) && test(e.term) { expected = expected.union(e.posting) }
        #expect(try d.union(prefix: Array("web".utf8), where: test) == expected)
    }

    /// Every truncation and many byte flips are rejected with a FormatError or read back as a
    /// consistent dictionary — never a crash (the fuzz target explores further).
    @Test func damageIsRejectedNotMisread() throws {
        let bytes = TermDictionary.encode(Self.sample(40, seed: 3))
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            let prefix = Array(bytes[0..<cut])
            #expect(throws: FormatError.self) {
                let d = try TermDictionary(bytes: prefix, section: "cut")
                _ = try d.allEntries()
            }
        }
        var rng = SeededRandom(seed: 5)
        for _ in 0..<300 {
            var b = bytes
            b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            if let d = try? TermDictionary(bytes: b, section: "flip") { _ = try? d.allEntries() }
        }
    }
}

extension TermDictionaryTests {
    /// Inputs found by FuzzTermDictionary.
    @Test(arguments: [
        [0x01, 0x01, 0x01, 0x30, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00] + [UInt8](repeating: 0x3F, count: 11),
    ] as [[UInt8]])
    func fuzzFindingsAreRejected(bytes: [UInt8]) {
        #expect(throws: FormatError.self) {
            let d = try TermDictionary(bytes: bytes, section: "fuzz")
            _ = try d.allEntries()
        }
    }
}

extension TermDictionaryTests {
    /// Blocks whose terms are each sorted but overlap the next block, and an empty dictionary
    /// followed by junk, are refused.
    @Test func orderAcrossBlocksAndEmptyDictionariesAreChecked() throws {
        // Two blocks: 16 terms "b00".."b15", then "b16" rewritten in place to "b10": the second
        // block's first term still sorts after the first block's first term, but not after its last.
        var entries = (0..<17).map { (term: Array("b\($0 < 10 ? "0" : "")\($0)".utf8), posting: RoaringBitmap([0])) }
        entries[16].posting = RoaringBitmap([1])
        var bytes = TermDictionary.encode(entries)
        let b16 = Array("b16".utf8)
        for i in 0..<(bytes.count - 2) where Array(bytes[i..<(i + 3)]) == b16 { bytes[i + 2] = UInt8(ascii: "0") }
        let overlapping = bytes
        #expect(throws: FormatError.self) { _ = try TermDictionary(bytes: overlapping, section: "t").allEntries() }
        let empty = TermDictionary.encode([]) + [1, 2, 3]
        #expect(throws: FormatError.self) { _ = try TermDictionary(bytes: empty, section: "t") }
    }
}
