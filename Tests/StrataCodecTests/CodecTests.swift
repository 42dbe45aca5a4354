import Testing
@testable import StrataCodec

@Suite struct ByteCodecTests {
    @Test func varintsRoundTripAtEveryBoundary() throws {
        var values: [UInt64] = [0, 1, 127, 128, 255, 16383, 16384, UInt64.max, UInt64.max - 1]
        for s in 0..<64 { values.append(1 << UInt64(s)); values.append((1 << UInt64(s)) - 1) }
        var w = ByteWriter()
        for v in values { w.writeVarint(v) }
        let decoded = try w.bytes.withUnsafeBytes { (p) throws -> [UInt64] in
            var r = ByteReader(p, section: "test")
            var out = [UInt64]()
            for _ in values { out.append(try r.readVarint()) }
            #expect(r.isAtEnd)
            return out
        }
        #expect(decoded == values)
    }

    @Test func zigzagMapsSmallMagnitudesToSmallCodes() {
        #expect(zigzagEncode(0) == 0)
        #expect(zigzagEncode(-1) == 1)
        #expect(zigzagEncode(1) == 2)
        for v: Int64 in [Int64.min, Int64.max, -12345, 0, 987654321] { #expect(zigzagDecode(zigzagEncode(v)) == v) }
    }

    @Test func overlongVarintIsRejected() {
        let bytes = [UInt8](repeating: 0xFF, count: 11)
        bytes.withUnsafeBytes { p in
            var r = ByteReader(p, section: "test")
            #expect(throws: FormatError.self) { try r.readVarint() }
        }
    }

    @Test func truncatedReadsThrowWithOffset() {
        let bytes: [UInt8] = [1, 2, 3]
        bytes.withUnsafeBytes { p in
            var r = ByteReader(p, base: 100, section: "thing")
            do throws(FormatError) {
                _ = try r.readUInt32()
                Issue.record("expected a throw")
            } catch {
                #expect(error.kind == .truncated)
                #expect(error.offset == 100)
                #expect(error.description.contains("thing @0x64"))
            }
        }
    }

    @Test(arguments: [0, 1, 3, 7, 8, 13, 31, 32, 33, 63, 64])
    func bitPackingRoundTrips(width: Int) throws {
        var rng = SystemRandomNumberGenerator()
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        for count in [0, 1, 2, 7, 64, 1000] {
            let values = (0..<count).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
            var w = ByteWriter()
            BitPacking.pack(values, width: width, into: &w)
            #expect(w.count == BitPacking.byteCount(count: count, width: width))
            let out = try w.bytes.withUnsafeBytes { (p) throws -> [UInt64] in
                var r = ByteReader(p, section: "bits")
                var out = [UInt64]()
                try BitPacking.unpack(count: count, width: width, from: &r, into: &out)
                #expect(r.isAtEnd)
                return out
            }
            #expect(out == values)
        }
    }

    @Test(arguments: Codec.allCases)
    func compressionRoundTrips(codec: Codec) throws {
        let inputs: [[UInt8]] = [[], [42], Array("hello hello hello hello hello".utf8), (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }]
        for input in inputs {
            let packed = Compressor.compress(input, codec: codec)
            let back = try packed.withUnsafeBytes { try Compressor.decompress($0, codec: codec, rawLength: input.count, section: "c", offset: 0) }
            #expect(back == input)
        }
    }

    @Test(arguments: [Codec.lz4, Codec.zstd])
    func damagedCompressedPayloadThrows(codec: Codec) {
        let input = [UInt8](Array("the quick brown fox jumps over the lazy dog ".utf8).repeated(50))
        var packed = Compressor.compress(input, codec: codec)
        packed[packed.count / 2] ^= 0xFF
        packed.removeLast(3)
        _ = packed.withUnsafeBytes { p in
            #expect(throws: FormatError.self) {
                let out = try Compressor.decompress(p, codec: codec, rawLength: input.count, section: "c", offset: 0)
                // A decoder may produce the right size from damaged input; it must then differ or the checksum layer catches it.
                if out == input { throw FormatError(.decompression, section: "c", offset: 0, detail: "unchanged") }
            }
        }
    }

    @Test func checksumDetectsAnyFlippedBit() throws {
        var w = ByteWriter()
        w.writeBytes(Array("payload bytes".utf8))
        w.writeChecksum(of: 0..<w.count)
        try w.bytes.withUnsafeBytes { try verifyChecksum($0, covered: 0..<13, base: 0, section: "s") }
        for i in 0..<w.count {
            var b = w.bytes
            b[i] ^= 0x01
            _ = b.withUnsafeBytes { p in
                #expect(throws: FormatError.self) { try verifyChecksum(p, covered: 0..<13, base: 0, section: "s") }
            }
        }
    }
}

extension Array {
    func repeated(_ n: Int) -> [Element] { (0..<n).flatMap { _ in self } }
}
