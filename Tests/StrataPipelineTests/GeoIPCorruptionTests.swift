import Testing
@testable import StrataPipeline

@Suite struct GeoIPCorruptionTests {
    /// The error opening `bytes` throws, or nil when it opens.
    private func openError(_ bytes: [UInt8], path: String = "test.mmdb") -> GeoIPError? {
        do {
            _ = try GeoIPDatabase(bytes: bytes, path: path)
            return nil
        } catch {
            return error
        }
    }

    /// The error looking up `ip` throws, or nil when it returns.
    private func lookupError(_ built: MMDBWriter.Built, _ ip: String = "10.0.0.1") throws -> GeoIPError? {
        let db = try GeoIPDatabase(bytes: built.bytes, path: "raw.mmdb")
        do {
            _ = try db.lookup(ip)
            return nil
        } catch {
            return error
        }
    }

    private func writerWith(_ key: String, _ value: WValue?) -> MMDBWriter {
        var w = GeoIPFixtures.writer(recordSize: 28, ipVersion: 6)
        w.metadataOverrides[key] = .some(value)
        return w
    }

    @Test func truncatedFileIsRejected() {
        let built = GeoIPFixtures.writer(recordSize: 28, ipVersion: 6).build()
        #expect(openError(Array(built.bytes[..<built.dataStart])) == .metadataNotFound(path: "test.mmdb"))
        #expect(openError(Array(built.bytes[..<(built.markerStart + 5)])) == .metadataNotFound(path: "test.mmdb"))
        #expect(openError([]) == .metadataNotFound(path: "test.mmdb"))
        guard case .truncated(let path, _, let needed, _) = openError(Array(built.bytes.dropLast(3))) else {
            Issue.record("expected .truncated")
            return
        }
        #expect(path == "test.mmdb" && needed == 3)
    }

    @Test func missingMetadataMarkerIsRejected() {
        var built = GeoIPFixtures.writer(recordSize: 24, ipVersion: 4).build()
        built.bytes[built.markerStart + 3] = UInt8(ascii: "m")
        #expect(openError(built.bytes) == .metadataNotFound(path: "test.mmdb"))
    }

    @Test func badRecordSizeIsRejected() {
        #expect(openError(writerWith("record_size", .uint16(20)).build().bytes)
            == .unsupportedRecordSize(path: "test.mmdb", recordSize: 20))
    }

    @Test func badMetadataValuesAreRejected() {
        #expect(openError(writerWith("binary_format_major_version", .uint16(3)).build().bytes)
            == .unsupportedFormatVersion(path: "test.mmdb", major: 3))
        #expect(openError(writerWith("node_count", nil).build().bytes)
            == .invalidMetadata(path: "test.mmdb", key: "node_count", expected: "an unsigned integer (key is missing)"))
        #expect(openError(writerWith("node_count", .string("7")).build().bytes)
            == .invalidMetadata(path: "test.mmdb", key: "node_count", expected: "an unsigned integer"))
        #expect(openError(writerWith("ip_version", .uint16(5)).build().bytes)
            == .invalidMetadata(path: "test.mmdb", key: "ip_version", expected: "4 or 6"))
        #expect(openError(writerWith("languages", .string("en")).build().bytes)
            == .invalidMetadata(path: "test.mmdb", key: "languages", expected: "an array of strings"))
    }

    @Test func nodeCountBeyondTheFileIsRejected() {
        let built = writerWith("node_count", .uint32(100_000)).build()
        #expect(openError(built.bytes) == .searchTreeExceedsFile(path: "test.mmdb", treeEnd: 100_000 * 7 + 16, limit: built.markerStart))
    }

    @Test func recordPointingIntoTheSeparatorIsRejected() throws {
        let built = MMDBWriter.raw(records: [[1 + 5, 1]], recordSize: 24, data: MMDBWriter.encoded(.string("x")))
        #expect(try lookupError(built, "1.2.3.4") == .invalidTreeRecord(
            path: "raw.mmdb", offset: 0, value: 6, expected: "a node number below 1, 1 (no data) or at least 17"))
        #expect(try lookupError(built, "200.0.0.1") == nil)
    }

    @Test func treeDeeperThanTheAddressIsRejected() throws {
        let n = 40
        let records = (0..<n).map { i in [i + 1 < n ? i + 1 : n, n] }
        let built = MMDBWriter.raw(records: records, recordSize: 32, data: [])
        let error = try lookupError(built, "0.0.0.0")
        guard case .invalidTreeRecord(_, _, let value, let expected) = error else {
            Issue.record("expected .invalidTreeRecord, got \(String(describing: error))")
            return
        }
        #expect(value == 32 && expected == "a data record within 32 levels of the tree")
    }

    @Test func nodeCycleInTheTreeEnds() throws {
        let built = MMDBWriter.raw(records: [[0, 0]], recordSize: 28, data: [])
        guard case .invalidTreeRecord = try lookupError(built, "9.9.9.9") else {
            Issue.record("expected .invalidTreeRecord")
            return
        }
    }

    @Test func treeRecordBeyondTheDataSectionIsRejected() throws {
        let data = MMDBWriter.encoded(.string("short"))
        let built = MMDBWriter.raw(records: [[1 + 16 + 10_000, 1]], recordSize: 24, data: data)
        #expect(try lookupError(built, "1.2.3.4") == .offsetOutOfRange(
            path: "raw.mmdb", offset: 0, target: 22 + 10_000, sectionStart: 22, sectionEnd: 22 + data.count))
    }

    @Test func dataPointerBeyondTheSectionIsRejected() throws {
        let data = MMDBWriter.control(type: 7, size: 1) + MMDBWriter.encoded(.string("a")) + MMDBWriter.pointer(50_000)
        #expect(try lookupError(MMDBWriter.singleRecord(data: data)) == .offsetOutOfRange(
            path: "raw.mmdb", offset: 25, target: 22 + 50_000, sectionStart: 22, sectionEnd: 22 + data.count))
    }

    @Test func pointerCycleIsRejected() throws {
        // map { "a": pointer to the map itself }
        let data = MMDBWriter.control(type: 7, size: 1) + MMDBWriter.encoded(.string("a")) + MMDBWriter.pointer(0)
        #expect(try lookupError(MMDBWriter.singleRecord(data: data)) == .depthLimitExceeded(path: "raw.mmdb", offset: 22, limit: 64))
        let db = try GeoIPDatabase(bytes: MMDBWriter.singleRecord(data: data).bytes, path: "raw.mmdb")
        // A path walk is bounded by the path's length: the cycle ends without finding "b", but
        // decoding the (cyclic) map the path leads to throws.
        #expect(try db.lookup("1.1.1.1", path: ["a", "a", "a", "a", "b"]) == nil)
        #expect(throws: GeoIPError.self) { try db.lookup("1.1.1.1", path: ["a", "a", "a"]) }
    }

    @Test func pointerToItselfIsRejected() throws {
        #expect(try lookupError(MMDBWriter.singleRecord(data: MMDBWriter.pointer(0)))
            == .pointerToPointer(path: "raw.mmdb", offset: 22, target: 22))
    }

    @Test func mapWithHugeDeclaredSizeIsRejected() throws {
        let data = MMDBWriter.control(type: 7, size: 16_000_000) + MMDBWriter.encoded(.string("k")) + MMDBWriter.encoded(.string("v"))
        guard case .invalidSize(let path, let offset, let size, let expected) = try lookupError(MMDBWriter.singleRecord(data: data)) else {
            Issue.record("expected .invalidSize")
            return
        }
        #expect(path == "raw.mmdb" && offset == 22 && size == 16_000_000)
        #expect(expected == "at most 2 entries for the 4 bytes left")
        let array = MMDBWriter.control(type: 11, size: 16_843_036)
        guard case .invalidSize = try lookupError(MMDBWriter.singleRecord(data: array)) else {
            Issue.record("expected .invalidSize for the array")
            return
        }
    }

    @Test func stringLongerThanTheSectionIsRejected() throws {
        let data = MMDBWriter.control(type: 2, size: 10) + Array("abc".utf8)
        #expect(try lookupError(MMDBWriter.singleRecord(data: data))
            == .truncated(path: "raw.mmdb", offset: 22, needed: 7, expected: "a string"))
    }

    @Test func nonStringMapKeyIsRejected() throws {
        let data = MMDBWriter.control(type: 7, size: 1) + MMDBWriter.encoded(.uint32(9)) + MMDBWriter.encoded(.bool(true))
        #expect(try lookupError(MMDBWriter.singleRecord(data: data))
            == .invalidType(path: "raw.mmdb", offset: 23, typeNumber: 6, expected: "a UTF-8 string map key"))
    }

    @Test func pointerFanOutIsBoundedByTheValueLimit() throws {
        // Level k is an array of two pointers to level k-1: 2^25 leaves if fully expanded.
        var data = MMDBWriter.pointer(0, size: 3)
        var previous = data.count
        data += MMDBWriter.encoded(.string("leaf"))
        for _ in 0..<25 {
            let here = data.count
            data += MMDBWriter.control(type: 11, size: 2) + MMDBWriter.pointer(previous) + MMDBWriter.pointer(previous)
            previous = here
        }
        data.replaceSubrange(0..<5, with: MMDBWriter.pointer(previous, size: 3))
        guard case .valueLimitExceeded(_, _, let limit) = try lookupError(MMDBWriter.singleRecord(data: data)) else {
            Issue.record("expected .valueLimitExceeded")
            return
        }
        #expect(limit == MMDBDecoder.maxValues)
    }

    @Test func errorDescriptionsNameTheFileAndTheOffset() {
        let e = GeoIPError.offsetOutOfRange(path: "/var/geo/City.mmdb", offset: 25, target: 50_022, sectionStart: 22, sectionEnd: 30)
        #expect(e.description == "/var/geo/City.mmdb: byte 25: reference to byte 50022 is outside its section 22..<30")
        #expect(e.path == "/var/geo/City.mmdb")
        #expect(GeoIPError.metadataNotFound(path: "x").description.contains("x: no MaxMind DB metadata marker"))
    }
}
