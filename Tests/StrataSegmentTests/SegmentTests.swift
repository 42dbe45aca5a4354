import Testing
import StrataFormat
import StrataIO
import StrataTestSupport
@testable import StrataSegment

@Suite struct SegmentTests {
    func write(_ entries: [LogEntry], _ dir: TemporaryDirectory, rowsPerBlock: Int = 64) throws -> String {
        let path = dir.path + "/s.seg"
        _ = try SegmentWriter(options: SegmentWriterOptions(rowsPerBlock: rowsPerBlock)).write(entries, partitionStartNanos: 0, to: path)
        return path
    }

    @Test func roundTripPreservesEveryEntryInTimeOrder() throws {
        var rng = SeededRandom(seed: 5)
        let entries = randomEntries(count: 700, rng: &rng)
        let dir = TemporaryDirectory()
        let path = try write(entries, dir)
        let r = try SegmentReader(path: path)
        #expect(r.header.rowCount == 700)
        #expect(r.index.blocks.count == 11)
        let back = try r.allEntries()
        let expected = entries.sorted { ($0.timestampNanos, $0.sequence) < ($1.timestampNanos, $1.sequence) }
            .map { e -> LogEntry in var e = e; e.fields.sort { $0.key < $1.key }; return e }
        #expect(back.count == expected.count)
        for (a, b) in zip(back, expected) { #expect(a == b) }
        let report = try SegmentVerifier.verify(path: path)
        #expect(report.rows == 700)
    }

    @Test func singleRowAndHugeMessageSegments() throws {
        let dir = TemporaryDirectory()
        let big = String(repeating: "x1 ", count: 400_000)
        let entries = [LogEntry(timestampNanos: 5, sequence: 1, level: .error, message: big, fields: [Field("k", .int(1))])]
        let path = try write(entries, dir)
        #expect(try SegmentReader(path: path).allEntries() == entries)
    }

    @Test func lookupByIdFindsEveryRow() throws {
        var rng = SeededRandom(seed: 8)
        let entries = randomEntries(count: 300, rng: &rng)
        let dir = TemporaryDirectory()
        let r = try SegmentReader(path: try write(entries, dir))
        for e in entries.prefix(40) {
            #expect(try r.entry(id: e.id)?.message == e.message)
        }
        #expect(try r.entry(id: LogID(timestampNanos: 1, sequence: 999_999)) == nil)
    }

    @Test func everyFlippedByteIsDetectedAndNeverCrashes() throws {
        var rng = SeededRandom(seed: 21)
        let entries = randomEntries(count: 40, rng: &rng)
        let dir = TemporaryDirectory()
        let path = try write(entries, dir, rowsPerBlock: 16)
        let good = try FileSystem.readFile(path)
        let damagedPath = dir.path + "/damaged.seg"
        var undetected = [Int]()
        for i in 0..<good.count {
            var bytes = good
            bytes[i] ^= 0x20
            try FileSystem.writeAtomically(bytes, to: damagedPath)
            do {
                let r = try SegmentReader(path: damagedPath)
                _ = try SegmentVerifier.verify(r)
                undetected.append(i)
            } catch let e as SegmentError {
                #expect(e.description.contains("damaged.seg"), "error must name the file: \(e)")
            } catch let e as FormatError {
                #expect(e.description.contains("damaged.seg"), "error must name the file: \(e)")
            }
        }
        #expect(undetected.isEmpty, "flips at \(undetected.prefix(10)) went unnoticed")
    }

    @Test func truncatedSegmentsAreRejected() throws {
        var rng = SeededRandom(seed: 2)
        let dir = TemporaryDirectory()
        let good = try FileSystem.readFile(try write(randomEntries(count: 20, rng: &rng), dir))
        for cut in stride(from: 0, to: good.count, by: 7) {
            try FileSystem.writeAtomically(Array(good[0..<cut]), to: dir.path + "/t.seg")
            #expect(throws: SegmentError.self) { _ = try SegmentReader(path: dir.path + "/t.seg") }
        }
    }

    @Test func newerFormatVersionIsRefusedNotMisread() throws {
        var rng = SeededRandom(seed: 2)
        let dir = TemporaryDirectory()
        var bytes = try FileSystem.readFile(try write(randomEntries(count: 5, rng: &rng), dir))
        bytes[8] = UInt8(FormatVersion.supported.upperBound + 1)
        var patch = ByteWriter()
        patch.writeBytes(bytes[0..<56])
        let sum = xxhash64(patch.bytes)
        for k in 0..<8 { bytes[56 + k] = UInt8(truncatingIfNeeded: sum >> UInt64(8 * k)) }
        try FileSystem.writeAtomically(bytes, to: dir.path + "/v.seg")
        do {
            _ = try SegmentReader(path: dir.path + "/v.seg")
            Issue.record("a segment of a newer version must be refused")
        } catch {
            guard case .format(let f) = error else { Issue.record("expected a format error"); return }
            #expect(f.kind == .unsupportedVersion)
        }
    }
}
