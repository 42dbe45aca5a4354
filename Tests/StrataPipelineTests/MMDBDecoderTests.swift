import Testing
@testable import StrataPipeline

@Suite struct MMDBDecoderTests {
    /// Opens a one-record database whose data section is `data` and decodes the record.
    private func decodeRecord(_ data: [UInt8], recordSize: Int = 24) throws -> MMDBValue? {
        let db = try GeoIPDatabase(bytes: MMDBWriter.singleRecord(data: data, recordSize: recordSize).bytes, path: "raw.mmdb")
        return try db.lookup("10.0.0.1")
    }

    @Test func everyDataTypeDecodes() throws {
        let long29 = String(repeating: "a", count: 29)
        let long300 = String(repeating: "b", count: 300)
        let long70k = String(repeating: "c", count: 70_000)
        let value: WValue = .map([
            ("string", .string("héllo")), ("empty", .string("")), ("s29", .string(long29)),
            ("s300", .string(long300)), ("s70k", .string(long70k)),
            ("double", .double(-1.25)), ("float", .float(3.5)), ("bytes", .bytes([0, 1, 255])),
            ("u16", .uint16(65535)), ("u32", .uint32(4_000_000_000)), ("u64", .uint64(.max)),
            ("u128", .uint128(high: 0x0102, low: 0xFFFF_FFFF_FFFF_FFFF)), ("u128small", .uint128(high: 0, low: 7)),
            ("zero", .uint32(0)), ("i32neg", .int32(-5)), ("i32pos", .int32(300)), ("i32min", .int32(.min)),
            ("true", .bool(true)), ("false", .bool(false)),
            ("array", .array([.uint16(1), .string("two"), .array([])])), ("emptyMap", .map([])),
            ("nested", .map([("inner", .map([("deep", .double(0))]))])),
        ])
        let decoded = try decodeRecord(MMDBWriter.encoded(value))
        let expected: MMDBValue = .map([
            "string": .string("héllo"), "empty": .string(""), "s29": .string(long29), "s300": .string(long300),
            "s70k": .string(long70k), "double": .double(-1.25), "float": .float(3.5), "bytes": .bytes([0, 1, 255]),
            "u16": .uint(65535), "u32": .uint(4_000_000_000), "u64": .uint(.max),
            "u128": .uint128(high: 0x0102, low: 0xFFFF_FFFF_FFFF_FFFF), "u128small": .uint128(high: 0, low: 7),
            "zero": .uint(0), "i32neg": .int(-5), "i32pos": .int(300), "i32min": .int(.min),
            "true": .bool(true), "false": .bool(false),
            "array": .array([.uint(1), .string("two"), .array([])]), "emptyMap": .map([:]),
            "nested": .map(["inner": .map(["deep": .double(0)])]),
        ])
        #expect(decoded == expected)
    }

    @Test func sizeEncodingBoundariesDecode() throws {
        for n in [0, 1, 28, 29, 284, 285, 286, 65_820, 65_821, 65_822] {
            let s = String(repeating: "z", count: n)
            #expect(try decodeRecord(MMDBWriter.encoded(.string(s))) == .string(s), "length \(n)")
        }
    }

    @Test func pointersOfEverySizeResolve() throws {
        // A record array of four pointers (sizes 0...3) into data placed past each size's bias.
        let pad = 600_000
        var data = MMDBWriter.control(type: 11, size: 4)
        let headerLength = data.count + 2 + 3 + 4 + 5
        let small = headerLength, mid = 3000, big = 530_000, far = pad
        data += MMDBWriter.pointer(small, size: 0) + MMDBWriter.pointer(mid, size: 1)
        data += MMDBWriter.pointer(big, size: 2) + MMDBWriter.pointer(far, size: 3)
        #expect(data.count == headerLength)
        func place(_ s: String, at offset: Int) {
            if data.count < offset { data += [UInt8](repeating: 0, count: offset - data.count) }
            data += MMDBWriter.encoded(.string(s))
        }
        place("size0", at: small)
        place("size1", at: mid)
        place("size2", at: big)
        place("size3", at: far)
        #expect(try decodeRecord(data) == .array([.string("size0"), .string("size1"), .string("size2"), .string("size3")]))
    }

    @Test func pointerMapKeysResolve() throws {
        // map { "k": "v", <pointer to "k">: "w" }: the second key repeats the first via a pointer.
        let data = MMDBWriter.control(type: 7, size: 2) + MMDBWriter.encoded(.string("k")) + MMDBWriter.encoded(.string("v"))
            + MMDBWriter.pointer(1) + MMDBWriter.encoded(.string("w"))
        #expect(try decodeRecord(data) == .map(["k": .string("w")]))
    }

    @Test(arguments: [24, 28, 32])
    func everyRecordSizeReachesTheData(recordSize: Int) throws {
        #expect(try decodeRecord(MMDBWriter.encoded(.string("ok")), recordSize: recordSize) == .string("ok"))
    }

    @Test func dataCacheContainerIsNotAValue() throws {
        let data = MMDBWriter.control(type: 12, size: 0)
        #expect(throws: GeoIPError.invalidType(path: "raw.mmdb", offset: 6 + 16, typeNumber: 12,
                                               expected: "a value (not a data cache container or end marker)")) {
            try decodeRecord(data)
        }
    }

    @Test func extendedTypeZeroIsRejected() throws {
        let start = 6 + 16
        #expect(throws: GeoIPError.invalidType(path: "raw.mmdb", offset: start, typeNumber: 7, expected: "an extended type 8...15")) {
            try decodeRecord([0x00, 0x00])
        }
        #expect(throws: GeoIPError.invalidType(path: "raw.mmdb", offset: start, typeNumber: 16, expected: "an extended type 8...15")) {
            try decodeRecord([0x00, 0x09])
        }
    }

    @Test func invalidUTF8IsRejected() throws {
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            #expect(throws: GeoIPError.invalidUTF8(path: "raw.mmdb", offset: 22)) {
                try decodeRecord(MMDBWriter.control(type: 2, size: bad.count) + bad)
            }
        }
        #expect(try decodeRecord(MMDBWriter.control(type: 2, size: 4) + [0xF0, 0x9F, 0x98, 0x80]) == .string("😀"))
    }

    @Test func numbersWithImpossibleSizesAreRejected() throws {
        let cases: [([UInt8], Int, String)] = [
            (MMDBWriter.control(type: 3, size: 4) + [0, 0, 0, 0], 4, "8 bytes for a double"),
            (MMDBWriter.control(type: 15, size: 8) + [UInt8](repeating: 0, count: 8), 8, "4 bytes for a float"),
            (MMDBWriter.control(type: 5, size: 3) + [1, 2, 3], 3, "at most 2 bytes for an unsigned integer"),
            (MMDBWriter.control(type: 8, size: 5) + [1, 2, 3, 4, 5], 5, "at most 4 bytes for a signed 32-bit integer"),
            (MMDBWriter.control(type: 10, size: 17) + [UInt8](repeating: 1, count: 17), 17, "at most 16 bytes for a 128-bit integer"),
            (MMDBWriter.control(type: 14, size: 2), 2, "0 or 1 for a boolean"),
        ]
        for (data, size, expected) in cases {
            #expect(throws: GeoIPError.invalidSize(path: "raw.mmdb", offset: 22, size: size, expected: expected)) {
                try decodeRecord(data)
            }
        }
    }
}
