import Testing
import StrataEngine
import StrataFormat
import StrataIO
import StrataTestSupport
@testable import SegtoolCommands

@Suite struct SegtoolTests {
    func makeDataDir() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path))
        var rng = SeededRandom(seed: 4)
        try engine.append(randomEntries(count: 500, rng: &rng))
        try engine.close()
        return dir
    }

    @Test func verifyIsCleanOnAFreshDataDirectory() throws {
        let dir = try makeDataDir()
        var lines = [String]()
        let findings = Verifier.verify(path: dir.path) { lines.append($0) }
        #expect(findings.isEmpty, "\(findings)")
        #expect(lines.contains { $0.hasPrefix("ok ") && $0.contains(".seg") })
    }

    @Test func verifyNamesFileAndOffsetOfAFlippedByte() throws {
        let dir = try makeDataDir()
        let seg = dir.path + "/" + (try Engine(options: EngineOptions(dataDirectory: dir.path), readOnly: true)).currentManifest.segments[0].path
        var bytes = try FileSystem.readFile(seg)
        bytes[bytes.count / 2] ^= 0x01
        try FileSystem.writeAtomically(bytes, to: seg)
        let findings = Verifier.verify(path: dir.path) { _ in }
        #expect(findings.contains { $0.isFault && $0.message.contains(FileSystem.baseName(seg)) && $0.message.contains("@0x") })
    }

    @Test func verifyWarnsOnATornWALTailAndFailsOnADamagedRecord() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path))
        try engine.append([LogEntry(timestampNanos: 1, message: "a")])
        let wal = try FileSystem.listDirectory(dir.path + "/wal").first!
        let path = dir.path + "/wal/" + wal
        let good = try FileSystem.readFile(path)
        try FileSystem.writeAtomically(Array(good.dropLast(3)), to: path)
        let torn = Verifier.verify(path: path) { _ in }
        #expect(torn.count == 1 && !torn[0].isFault && torn[0].message.contains("torn tail"), "a torn tail is a warning: \(torn)")
        var flipped = good
        flipped[flipped.count - 2] ^= 0x40
        try FileSystem.writeAtomically(flipped, to: path)
        let damaged = Verifier.verify(path: path) { _ in }
        #expect(damaged.contains { $0.isFault && $0.message.contains("checksum") }, "a damaged record is a fault: \(damaged)")
    }

    @Test func inspectReportsColumnsAndRatios() throws {
        let dir = try makeDataDir()
        let m = try Engine(options: EngineOptions(dataDirectory: dir.path), readOnly: true).currentManifest
        let report = Inspector.report(try StrataSegment.SegmentReader(path: dir.path + "/" + m.segments[0].path))
        for needle in ["rows             500", "_msg.tpl", "_ts", "status", "block index", "total"] {
            #expect(report.contains(needle), "inspect output lacks \(needle)")
        }
    }
}

import StrataSegment
