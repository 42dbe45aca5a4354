import Testing
import StrataEngine
import StrataFormat
import StrataIO
import StrataSegment
import StrataTestSupport
import StrataWAL

@Suite struct CompactionTests {
    static let hour: Int64 = 3_600_000_000_000
    static let base: Int64 = 1_764_374_400_000_000_000

    /// A directory whose partitions each hold several flushed segments with overlapping times.
    func fragmented(_ dir: TemporaryDirectory, flushes: Int = 6, perFlush: Int = 150, hours: Int = 3) throws -> (Engine, [LogEntry]) {
        let engine = try Engine(options: EngineOptions(dataDirectory: dir.path, wal: WALOptions(fsync: .interval(milliseconds: 1000)),
                                                       segment: SegmentWriterOptions(rowsPerBlock: 64, bloomMinRows: 0)))
        var rng = SeededRandom(seed: 21)
        for _ in 0..<flushes {
            var batch = [LogEntry]()
            for h in 0..<hours {
                batch += randomEntries(count: perFlush, rng: &rng, baseNanos: Self.base + Int64(h) * Self.hour)
            }
            try engine.append(batch)
            try engine.flush()
        }
        return (engine, try everything(engine))
    }

    /// Every stored entry, in (timestamp, sequence) order, read straight from the segments.
    func everything(_ engine: Engine) throws -> [LogEntry] {
        let snap = engine.snapshot()
        var all = [LogEntry]()
        for s in snap.segments { all += try snap.reader(for: s).allEntries() }
        return all.sorted { ($0.timestampNanos, $0.sequence) < ($1.timestampNanos, $1.sequence) }
    }

    func segmentFiles(_ dir: TemporaryDirectory) -> Set<String> {
        var out = Set<String>()
        for d in (try? FileSystem.listDirectory(dir.path + "/partitions")) ?? [] {
            for f in (try? FileSystem.listDirectory(dir.path + "/partitions/" + d)) ?? [] { out.insert("partitions/\(d)/\(f)") }
        }
        return out
    }

    static var mergeAll: CompactionPolicy {
        var p = CompactionPolicy(minSegments: 2)
        p.settleNanos = -(1 << 62)
        return p
    }

    @Test func aFullMergeKeepsEveryEntryAndIdAndDeletesTheInputs() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (engine, before) = try fragmented(dir)
        let inputs = engine.currentManifest.segments
        #expect(inputs.count == 18)
        let results = try engine.compactOnce(Self.mergeAll)
        #expect(results.count == 3)
        let after = engine.currentManifest.segments
        #expect(after.count == 3)
        #expect(after.allSatisfy { $0.level == 1 && $0.rowCount == 900 })
        #expect(try everything(engine) == before)
        // Only the outputs remain on disk; ids are fresh and the manifest can allocate past them.
        #expect(segmentFiles(dir) == Set(after.map(\.path)))
        #expect(Set(after.map(\.id)).isDisjoint(with: inputs.map(\.id)))
        #expect(engine.currentManifest.nextSegmentID > after.map(\.id).max()!)
        #expect(engine.maintenanceStats.compactions == 3)
        #expect(engine.maintenanceStats.compactedInputSegments == 18)
        // A second pass has nothing left to do; a reopened engine sees the same entries.
        #expect(engine.compactionPlan(Self.mergeAll).isEmpty)
        try engine.close()
        let reopened = try Engine(options: EngineOptions(dataDirectory: dir.path), readOnly: true)
        #expect(try everything(reopened) == before)
    }

    @Test func aSnapshotTakenBeforeACompactionStillReadsItsSegments() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (engine, before) = try fragmented(dir, flushes: 3, hours: 1)
        var snap: Engine.Snapshot? = engine.snapshot()
        let old = snap!.segments
        try engine.compactOnce(Self.mergeAll)
        // The inputs are no longer live, but their files stay while the snapshot lives.
        #expect(engine.currentManifest.segments.count == 1)
        #expect(Set(old.map(\.path)).isSubset(of: segmentFiles(dir)))
        var read = [LogEntry]()
        for s in old { read += try snap!.reader(for: s).allEntries() }
        #expect(read.count == before.count)
        snap = nil
        #expect(segmentFiles(dir) == Set(engine.currentManifest.segments.map(\.path)))
        try engine.close()
    }

    @Test func activePartitionsMergeOneSizeTierOnceItIsFull() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (engine, before) = try fragmented(dir, flushes: 3, hours: 1)
        let active = CompactionPolicy(minSegments: 4, settleNanos: Int64.max / 4)
        #expect(engine.compactionPlan(active).isEmpty, "three segments are below the tier size")
        var rng = SeededRandom(seed: 3)
        try engine.append(randomEntries(count: 150, rng: &rng, baseNanos: Self.base))
        try engine.flush()
        let plan = engine.compactionPlan(active)
        #expect(plan.count == 1 && plan[0].inputs.count == 4)
        try engine.compactOnce(active)
        #expect(engine.currentManifest.segments.count == 1)
        #expect(try everything(engine).count == before.count + 150)
        try engine.close()
    }

    @Test func backgroundCompactionRunsAfterFlushes() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var options = EngineOptions(dataDirectory: dir.path, wal: WALOptions(fsync: .interval(milliseconds: 1000)))
        options.compaction = CompactionPolicy(minSegments: 4, settleNanos: Int64.max / 4)
        let engine = try Engine(options: options)
        var rng = SeededRandom(seed: 5)
        var written = 0
        for _ in 0..<4 {
            try engine.append(randomEntries(count: 200, rng: &rng, baseNanos: Self.base))
            written += 200
            try engine.flush()
        }
        engine.waitForMaintenance()
        #expect(engine.currentManifest.segments.count == 1)
        #expect(engine.maintenanceStats.compactions == 1)
        #expect(try everything(engine).count == written)
        try engine.close()
    }

    @Test func retentionDropsOldPartitionsThenTheOldestBeyondTheDiskLimit() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (engine, before) = try fragmented(dir, flushes: 2, hours: 4)
        let now = Self.base + 4 * Self.hour
        // Older than 2 h at `now`: partitions 0 and 1 (each ends at or before now − 2 h).
        let byAge = try engine.enforceRetention(RetentionPolicy(maxAgeNanos: 2 * Self.hour), nowNanos: now)
        #expect(Set(byAge.map(\.partitionStartNanos)) == [Self.base, Self.base + Self.hour])
        #expect(try everything(engine) == before.filter { $0.timestampNanos >= Self.base + 2 * Self.hour })
        // A disk limit of one byte drops all but the newest partition.
        let bySize = try engine.enforceRetention(RetentionPolicy(maxAgeNanos: nil, maxDiskBytes: 1), nowNanos: now)
        #expect(Set(bySize.map(\.partitionStartNanos)) == [Self.base + 2 * Self.hour])
        #expect(Set(engine.currentManifest.segments.map(\.partitionStartNanos)) == [Self.base + 3 * Self.hour])
        #expect(segmentFiles(dir) == Set(engine.currentManifest.segments.map(\.path)))
        let stats = engine.maintenanceStats
        #expect(stats.retentionDroppedPartitions == 3)
        #expect(stats.retentionDroppedRows == UInt64(before.count - 300))
        try engine.close()
    }

    @Test func aServiceRetentionRewritesOnlyTheSegmentsHoldingThatService() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (engine, before) = try fragmented(dir, flushes: 2, hours: 3)
        let now = Self.base + 3 * Self.hour
        // "auth" is kept 90 minutes: only partition 0 ended that long before `now`.
        try engine.enforceRetention(RetentionPolicy(maxAgeNanos: nil, byService: ["auth": 90 * 60_000_000_000]), nowNanos: now)
        let expected = before.filter { !($0.service == "auth" && $0.timestampNanos < Self.base + Self.hour) }
        #expect(expected.count < before.count)
        #expect(try everything(engine) == expected, "every other entry unchanged, with its id")
        #expect(segmentFiles(dir) == Set(engine.currentManifest.segments.map(\.path)))
        #expect(engine.maintenanceStats.retentionDroppedRows == UInt64(before.count - expected.count))
        // A second pass finds nothing more to drop and rewrites nothing.
        let ids = engine.currentManifest.segments.map(\.id)
        try engine.enforceRetention(RetentionPolicy(maxAgeNanos: nil, byService: ["auth": 90 * 60_000_000_000]), nowNanos: now)
        #expect(engine.currentManifest.segments.map(\.id) == ids)
        try engine.close()
    }

    @Test func unlistedSegmentFilesAreRemovedAtOpen() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (engine, before) = try fragmented(dir, flushes: 2, hours: 1)
        try engine.close()
        let live = engine.currentManifest.segments
        // What a crash mid-compaction leaves: an unpublished output and a temporary file.
        let partition = FileSystem.parent(of: dir.path + "/" + live[0].path)
        try FileSystem.writeAtomically(try FileSystem.readFile(dir.path + "/" + live[0].path), to: partition + "/00000000000000000099.seg")
        try FileSystem.writeAtomically([1, 2, 3], to: partition + "/00000000000000000100.seg.tmp")
        let reopened = try Engine(options: EngineOptions(dataDirectory: dir.path))
        #expect(segmentFiles(dir) == Set(live.map(\.path)))
        #expect(try everything(reopened) == before)
        try reopened.close()
    }
}
