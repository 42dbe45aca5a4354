import Foundation
import Testing
import StrataEngine
import StrataFormat
import StrataIO
import StrataSegment
import StrataTestSupport
import StrataWAL
@testable import SegtoolCommands

/// `segtool compact` as a process: killed with SIGKILL at every step of a compaction, the
/// data directory must come back with either the old or the new segments of each partition,
/// never both or neither, and every entry exactly once.
@Suite struct CompactCommandTests {
    static let hour: Int64 = 3_600_000_000_000
    static let base: Int64 = 1_764_374_400_000_000_000

    func fragmented() throws -> (TemporaryDirectory, [LogEntry]) {
        let dir = TemporaryDirectory()
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path, wal: WALOptions(fsync: .interval(milliseconds: 1000)),
                                                       segment: SegmentWriterOptions(rowsPerBlock: 128, bloomMinRows: 0)))
        var rng = SeededRandom(seed: 77)
        for _ in 0..<4 {
            var batch = [LogEntry]()
            for h in 0..<2 { batch += randomEntries(count: 400, rng: &rng, baseNanos: Self.base + Int64(h) * Self.hour) }
            try engine.append(batch)
            try engine.flush()
        }
        try engine.close()
        return (dir, try entries(dir))
    }

    func entries(_ dir: TemporaryDirectory) throws -> [LogEntry] {
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path), readOnly: true)
        let snap = engine.snapshot()
        var all = [LogEntry]()
        for s in snap.segments { all += try snap.reader(for: s).allEntries() }
        return all.sorted { ($0.timestampNanos, $0.sequence) < ($1.timestampNanos, $1.sequence) }
    }

    func manifest(_ dir: TemporaryDirectory) throws -> Manifest { try DataDirectoryWalker.readManifest(dir.path + "/MANIFEST") }

    /// Runs `segtool ARGS`; returns the termination reason, status and output.
    func segtool(_ args: [String], environment: [String: String] = [:]) throws -> (Process.TerminationReason, Int32, String) {
        try runBinary("segtool", args, environment: environment)
    }

    @Test(arguments: CompactionStep.allCases)
    func aKillAtAnyStepLeavesTheOldOrTheNewSegments(step: CompactionStep) throws {
        let (dir, before) = try fragmented()
        defer { dir.remove() }
        let old = try manifest(dir).segments
        let (reason, status, output) = try segtool(["compact", "--all", dir.path], environment: ["STRATA_TEST_KILL_AT_COMPACTION_STEP": step.rawValue])
        #expect(reason == .uncaughtSignal && status == SIGKILL, "segtool should die at \(step.rawValue): \(reason) \(status)\n\(output)")

        // Reopening removes what the crash left unlisted; each partition is all-old or merged.
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path))
        try engine.close()
        let now = try manifest(dir).segments
        for start in Set(old.map(\.partitionStartNanos)) {
            let o = old.filter { $0.partitionStartNanos == start }.map(\.id)
            let n = now.filter { $0.partitionStartNanos == start }
            #expect(n.map(\.id) == o || (n.count == 1 && n[0].level == 1 && !o.contains(n[0].id)),
                    "partition \(start) after a kill at \(step.rawValue): \(n.map(\.id)), was \(o)")
        }
        #expect(try entries(dir) == before)
        let findings = Verifier.verify(path: dir.path) { _ in }
        #expect(findings.isEmpty, "\(findings)")

        // The interrupted work completes on the next run.
        let (_, again, log) = try segtool(["compact", "--all", dir.path])
        #expect(again == 0, "\(log)")
        #expect(try manifest(dir).segments.count == 2)
        #expect(try entries(dir) == before)
    }

    func archiveEngine(_ dir: TemporaryDirectory, readOnly: Bool = false) throws -> Engine {
        var o = EngineOptions(dataDirectory: dir.path)
        o.archive = ArchiveOptions(store: try LocalDirectoryStore(root: dir.path + "-archive"), afterNanos: Self.hour)
        return try Engine(options: o, readOnly: readOnly)
    }

    func entriesWithArchive(_ dir: TemporaryDirectory) throws -> [LogEntry] {
        let engine = try archiveEngine(dir, readOnly: true)
        let snap = engine.snapshot()
        var all = [LogEntry]()
        for s in snap.segments { all += try snap.reader(for: s).allEntries() }
        return all.sorted { ($0.timestampNanos, $0.sequence) < ($1.timestampNanos, $1.sequence) }
    }

    @Test(arguments: ArchiveStep.allCases)
    func aKillWhileArchivingLeavesEachPartitionInOneTier(step: ArchiveStep) throws {
        let (dir, before) = try fragmented()
        defer { dir.remove(); try? FileManager.default.removeItem(atPath: dir.path + "-archive") }
        let archiveDir = dir.path + "-archive"
        let (reason, status, output) = try segtool(["archive", dir.path, "--archive-dir", archiveDir, "--after", "1h"],
                                                   environment: ["STRATA_TEST_KILL_AT_ARCHIVE_STEP": step.rawValue])
        #expect(reason == .uncaughtSignal && status == SIGKILL, "segtool should die at \(step.rawValue): \(output)")
        // Recovery (a read-write open) settles the crash; every entry is visible exactly once.
        try archiveEngine(dir).close()
        #expect(try entriesWithArchive(dir) == before)
        let engine = try archiveEngine(dir, readOnly: true)
        let hot = Set(engine.currentManifest.segments.map(\.partitionStartNanos))
        let cold = Set(engine.archiveSegments.map(\.partitionStartNanos))
        #expect(hot.isDisjoint(with: cold), "a partition in both tiers after a kill at \(step.rawValue)")
        #expect(hot.union(cold).count == 2)
        #expect(Verifier.verify(path: dir.path) { _ in }.isEmpty)
        #expect(Verifier.verify(path: archiveDir) { _ in }.isEmpty)
        // The next run finishes the job.
        let (_, again, log) = try segtool(["archive", dir.path, "--archive-dir", archiveDir, "--after", "1h"])
        #expect(again == 0, "\(log)")
        let done = try archiveEngine(dir, readOnly: true)
        #expect(done.currentManifest.segments.isEmpty && done.archiveSegments.count == 2)
        #expect(try entriesWithArchive(dir) == before)
        let (_, q, answer) = try runBinary("strata", ["query", "--data-dir", dir.path, "--archive-dir", archiveDir, "--limit", "1", "* | stats count()"])
        #expect(q == 0 && answer.contains("\(before.count)"), "\(answer)")
    }

    @Test func dryRunPrintsThePlanAndChangesNothing() throws {
        let (dir, _) = try fragmented()
        defer { dir.remove() }
        let m = try manifest(dir)
        let (_, status, output) = try segtool(["compact", "--dry-run", "--all", dir.path])
        #expect(status == 0)
        #expect(output.contains("plan: partition") && output.contains("merge 4 segments"), "\(output)")
        #expect(try manifest(dir) == m)
        let (_, bad, message) = try segtool(["compact", "--settle", "soon", dir.path])
        #expect(bad != 0 && message.contains("--settle"), "\(message)")
    }
}
