import Testing
import StrataFormat
@testable import StrataAgent
#if canImport(Glibc)
import Glibc
#endif

/// A deterministic pseudo-random generator (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A segment file's bytes: header of segment 1, then one record per payload from sequence `first`.
func segmentBytes(_ payloads: [[UInt8]], first: UInt64 = 1) -> [UInt8] {
    var w = ByteWriter()
    AgentBufferFormat.SegmentHeader(segmentNumber: 1).encode(into: &w)
    for (i, p) in payloads.enumerated() {
        p.withUnsafeBytes { AgentBufferFormat.encodeRecord(sequence: first + UInt64(i), payload: $0, into: &w) }
    }
    return w.bytes
}

/// Scans `bytes` as a segment.
func scan(_ bytes: [UInt8]) -> AgentBufferFormat.SegmentScan {
    bytes.withUnsafeBytes { AgentBufferFormat.scanSegment($0) }
}

/// Recomputes the checksum of the record at `offset` (after a deliberate edit of its fields).
func resealRecord(_ bytes: inout [UInt8], at offset: Int) {
    let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
    let sum = xxhash64(Array(bytes[offset..<offset + 16]) + Array(bytes[(offset + 24)..<(offset + 24 + length)]))
    for i in 0..<8 { bytes[offset + 16 + i] = UInt8(truncatingIfNeeded: sum >> (8 * UInt64(i))) }
}

@Suite struct AgentBufferFormatTests {
    static let payloads: [[UInt8]] = [Array("first batch".utf8), [0x00, 0x01, 0x02, 0xfe, 0xff], [], payload(4, size: 300)]

    @Test func recordBytesFollowTheDocumentedLayout() {
        let bytes = segmentBytes([[0x61, 0x62, 0x63]], first: 5)
        #expect(Array(bytes[0..<8]) == Array("STRATABF".utf8))
        #expect(bytes[8] == 1 && bytes[9] == 0, "u16 version 1 at offset 8")
        #expect(bytes[16] == 1, "segment number")
        #expect(bytes.count == 32 + 24 + 3)
        let r = Array(bytes[32...])
        #expect(Array(r[0..<4]) == [3, 0, 0, 0] && r[4] == 1 && Array(r[5..<8]) == [0, 0, 0])
        #expect(Array(r[8..<16]) == [5, 0, 0, 0, 0, 0, 0, 0])
        let checksum = xxhash64(Array(r[0..<16]) + [0x61, 0x62, 0x63])
        #expect(r[16..<24].elementsEqual((0..<8).map { UInt8(truncatingIfNeeded: checksum >> (8 * UInt64($0))) }), "BUF-3: checksum over [0, 16) ‖ payload")
        let s = scan(bytes)
        #expect(s.stop == .endOfSegment && s.header == .init(segmentNumber: 1) && s.validBytes == bytes.count)
        #expect(s.records.map(\.sequence) == [5] && s.records.first?.payloadRange == 56..<59)
    }

    @Test func truncationAtEveryOffsetKeepsExactlyTheCompleteRecords() {
        let bytes = segmentBytes(Self.payloads)
        let ends = scan(bytes).records.map { $0.offset + $0.sizeInBytes }
        #expect(ends.count == Self.payloads.count)
        for cut in 0...bytes.count {
            let s = scan(Array(bytes[..<cut]))
            let complete = ends.filter { $0 <= cut }
            #expect(s.records.count == complete.count, "cut at \(cut)")
            if cut < 32 {
                #expect(s.validBytes == 0 && s.stop.error?.kind == .truncated, "cut at \(cut): torn header")
            } else {
                #expect(s.validBytes == (complete.last ?? 32), "cut at \(cut)")
                let atBoundary = cut == 32 || ends.contains(cut)
                #expect((s.stop == .endOfSegment) == atBoundary, "cut at \(cut)")
                if !atBoundary, case .tornTail(let e) = s.stop { #expect(e.kind == .truncated) } else if !atBoundary {
                    Issue.record("cut at \(cut): expected a torn tail, got \(s.stop)")
                }
            }
        }
    }

    @Test func flipOfAnyByteOfAMiddleRecordStopsTheScanAtThatRecord() {
        let bytes = segmentBytes(Self.payloads)
        let records = scan(bytes).records
        let middle = records[1]
        for i in middle.offset..<(middle.offset + middle.sizeInBytes) {
            var damaged = bytes
            damaged[i] ^= 0x20
            let s = scan(damaged)
            #expect(s.records == [records[0]], "flip at \(i)")
            #expect(s.validBytes == middle.offset, "flip at \(i)")
            switch s.stop {
            case .corruptRecord: break
            case .tornTail(let e) where i < middle.offset + 4 && e.kind == .truncated: break  // length now points past the end
            default: Issue.record("flip at \(i): unexpected \(s.stop)")
            }
        }
    }

    @Test(arguments: [1, 23, 24, 25, 4096])
    func zeroFilledTailIsATornTail(zeros: Int) {
        let bytes = segmentBytes(Self.payloads)
        let s = scan(bytes + [UInt8](repeating: 0, count: zeros))
        #expect(s.records.count == Self.payloads.count && s.validBytes == bytes.count)
        guard case .tornTail(let e) = s.stop else { Issue.record("expected tornTail, got \(s.stop)"); return }
        #expect(e.kind == .truncated && e.offset == bytes.count)
    }

    /// Header damage and the error it must give (BUF-1: size, magic, version, checksum, reserved).
    static let headerCases: [(String, @Sendable (inout [UInt8]) -> Void, FormatError.Kind)] = [
        ("bad magic", { $0[3] = 0x58 }, .badMagic),
        ("newer version, checked before the checksum", { $0[8] = 2 }, .unsupportedVersion),
        ("version 0", { $0[8] = 0 }, .unsupportedVersion),
        ("checksum mismatch", { $0[20] ^= 1 }, .checksumMismatch),
        ("reserved byte set", { b in
            b[12] = 1
            var w = ByteWriter()
            w.writeBytes(b[0..<24])
            w.writeChecksum(of: 0..<24)
            b.replaceSubrange(0..<32, with: w.bytes)
        }, .invalid),
    ]

    @Test(arguments: 0..<headerCases.count)
    func damagedHeaderStopsBeforeAnyRecord(index: Int) {
        let (name, damage, kind) = Self.headerCases[index]
        var bytes = segmentBytes(Self.payloads)
        damage(&bytes)
        let s = scan(bytes)
        guard case .badHeader(let e) = s.stop else { Issue.record("\(name): expected badHeader, got \(s.stop)"); return }
        #expect(e.kind == kind, "\(name)")
        #expect(s.records.isEmpty && s.validBytes == 0 && s.header == nil, "\(name)")
    }

    /// Record damage with a valid checksum (the checks after it, BUF-3 and BUF-4) and the offset reported.
    static let recordCases: [(String, @Sendable (inout [UInt8]) -> Void, FormatError.Kind, Int)] = [
        ("unknown record type", { $0[32 + 4] = 2; resealRecord(&$0, at: 32) }, .invalid, 32 + 4),
        ("reserved byte set", { $0[32 + 6] = 9; resealRecord(&$0, at: 32) }, .invalid, 32 + 5),
        ("sequence 0", { $0.replaceSubrange(40..<48, with: [UInt8](repeating: 0, count: 8)); resealRecord(&$0, at: 32) }, .invalid, 32 + 8),
        ("sequence gap", { $0[32 + 35 + 8] = 9; resealRecord(&$0, at: 32 + 35) }, .invalid, 32 + 35 + 8),
        ("length over the limit", { $0.replaceSubrange(32..<36, with: [0xff, 0xff, 0xff, 0x7f]) }, .invalid, 32),
    ]

    @Test(arguments: 0..<recordCases.count)
    func recordFailingACheckAfterItsChecksumIsCorruption(index: Int) {
        let (name, damage, kind, offset) = Self.recordCases[index]
        var bytes = segmentBytes(Self.payloads)
        damage(&bytes)
        guard case .corruptRecord(let e) = scan(bytes).stop else { Issue.record("\(name): got \(scan(bytes).stop)"); return }
        #expect(e.kind == kind && e.offset == offset, "\(name): \(e)")
    }

    @Test func headRoundTripsAndMustBeExactly32Bytes() throws {
        let head = AgentBufferFormat.Head(acknowledgedSequence: 0x0102_0304_0506_0708)
        let bytes = head.encode()
        #expect(bytes.count == 32 && Array(bytes[0..<8]) == Array("STRATABH".utf8))
        #expect(try withBytes(bytes) { p throws(FormatError) in try AgentBufferFormat.Head.decode(from: p) } == head)
        #expect(throws: FormatError.invalid("agent buffer HEAD", at: 32, "expected exactly 32 bytes, found 33")) {
            try withBytes(bytes + [0]) { p throws(FormatError) in try AgentBufferFormat.Head.decode(from: p) }
        }
        #expect(throws: FormatError.truncated("agent buffer HEAD", at: 0, needed: 32, available: 31)) {
            try withBytes(Array(bytes[..<31])) { p throws(FormatError) in try AgentBufferFormat.Head.decode(from: p) }
        }
    }

    @Test func randomDamageNeverTrapsAndKeepsTheScanInvariants() {
        var rng = SplitMix64(state: 42)
        let clean = segmentBytes(Self.payloads)
        for round in 0..<3000 {
            var bytes = clean
            switch round % 4 {
            case 0: for _ in 0...Int.random(in: 0...3, using: &rng) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
            case 1: bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng))
            case 2: bytes += (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default: bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let s = scan(bytes)
            var next = s.header == nil ? 0 : 32
            for (i, r) in s.records.enumerated() {
                #expect(r.offset == next, "round \(round): records back to back (BUF-2)")
                if i > 0 { #expect(r.sequence == s.records[i - 1].sequence + 1, "round \(round): BUF-4") }
                next = r.offset + r.sizeInBytes
            }
            #expect(s.validBytes == next && s.validBytes <= bytes.count, "round \(round)")
            #expect((s.stop == .endOfSegment) == (s.validBytes == bytes.count && s.header != nil), "round \(round)")
        }
    }

    // MARK: - Golden vectors

    /// `format-spec/vectors/agent-buffer/`, found from this file so the path works in any checkout.
    static let vectorDirectory: String = {
        let file = String(#filePath)
        return String(file[..<file.lastIndex(of: "/")!]) + "/../../format-spec/vectors/agent-buffer"
    }()
    static let vectorPayloads: [[UInt8]] = [Array("first batch".utf8), [0x00, 0x01, 0x02, 0xfe, 0xff], []]

    /// The vector files are exactly what `DiskBuffer` writes for three appends and an
    /// acknowledgement of the first; regenerate deliberately with `STRATA_WRITE_FIXTURES=1`.
    @Test func vectorsAreReproducedByteForByteAndRecover() throws {
        let dir = BufferTestDirectory()
        do {
            let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
            for p in Self.vectorPayloads { #expect(try b.append(p)) }
            try b.acknowledge(through: try b.peek(max: 1)[0].id)
            try b.close()
        }
        let produced = [("00000000000000000001.buf", try FileSystemTest.read(dir.segment(1))),
                        ("HEAD", try FileSystemTest.read(dir.path + "/HEAD"))]
        if getenv("STRATA_WRITE_FIXTURES").map({ String(cString: $0) }) == "1" {
            try BufferFile.createDirectory(Self.vectorDirectory)
            for (name, bytes) in produced { try FileSystemTest.write(bytes, to: Self.vectorDirectory + "/" + name) }
        }
        for (name, bytes) in produced {
            #expect(try FileSystemTest.read(Self.vectorDirectory + "/" + name) == bytes,
                    "\(name) differs from what DiskBuffer writes: the format changed without a version bump?")
        }
        let stored = try FileSystemTest.read(Self.vectorDirectory + "/00000000000000000001.buf")
        let s = scan(stored)
        #expect(s.stop == .endOfSegment && s.records.map(\.sequence) == [1, 2, 3])
        #expect(s.records.map { Array(stored[$0.payloadRange]) } == Self.vectorPayloads)

        let copy = BufferTestDirectory()
        try BufferFile.createDirectory(copy.path)
        for name in ["00000000000000000001.buf", "HEAD"] {
            try FileSystemTest.write(try FileSystemTest.read(Self.vectorDirectory + "/" + name), to: copy.path + "/" + name)
        }
        let b = try DiskBuffer(directory: copy.path, maxBytes: 1 << 20)
        #expect(b.recovery.isClean && b.recovery.acknowledgedSequence == 1)
        #expect(try b.peek(max: 10).map(\.payload) == Array(Self.vectorPayloads.dropFirst()))
    }
}
