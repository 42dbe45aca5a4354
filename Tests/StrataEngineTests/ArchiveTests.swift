import Foundation
import Dispatch
import Testing
import StrataEngine
import StrataFormat
import StrataIO
import StrataQuery
import StrataSegment
import StrataTestSupport
import StrataWAL

@Suite struct ArchiveTests {
    static let hour: Int64 = 3_600_000_000_000
    static let base: Int64 = 1_764_374_400_000_000_000

    func options(_ dir: TemporaryDirectory, afterHours: Int64 = 2) throws -> EngineOptions {
        var o = EngineOptions(dataDirectory: dir.path + "/data", wal: WALOptions(fsync: .interval(milliseconds: 1000)),
                              segment: SegmentWriterOptions(rowsPerBlock: 64, bloomMinRows: 0))
        o.archive = ArchiveOptions(store: try LocalDirectoryStore(root: dir.path + "/archive"), afterNanos: afterHours * Self.hour,
                                   cacheBytes: 1 << 20, segment: SegmentWriterOptions(rowsPerBlock: 256, zstdLevel: 19, bloomBitsPerKey: 10, bloomMinRows: 0))
        return o
    }

    /// Four hourly partitions, two flushes each.
    func load(_ engine: Engine) throws {
        var rng = SeededRandom(seed: 31)
        for _ in 0..<2 {
            var batch = [LogEntry]()
            for h in 0..<4 { batch += randomEntries(count: 120, rng: &rng, baseNanos: Self.base + Int64(h) * Self.hour) }
            try engine.append(batch)
            try engine.flush()
        }
    }

    func everything(_ engine: Engine) throws -> [LogEntry] {
        let snap = engine.snapshot()
        var all = [LogEntry]()
        for s in snap.segments { all += try snap.reader(for: s).allEntries() }
        return all.sorted { ($0.timestampNanos, $0.sequence) < ($1.timestampNanos, $1.sequence) }
    }

    func answers(_ engine: Engine) throws -> [String] {
        let ex = QueryExecutor(engine: engine)
        return try ["* | stats count() by service", "error OR timeout", "status:>=500 | stats count(), max(duration_ms) by host",
                    "user:login | stats count() by bucket(10m)", "_exists_:ratio"].map { q in
            let r = try ex.search(SearchRequest(query: q, limit: 10_000))
            return "\(r.total) \(r.rows) \(r.hits.map(\.id))"
        }
    }

    @Test func archivedPartitionsLeaveTheDataDirectoryAndStaySearchable() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let engine = try Engine(options: try options(dir))
        try load(engine)
        let before = try everything(engine)
        let answersBefore = try answers(engine)
        let now = Self.base + 4 * Self.hour
        // Partitions 0 and 1 end at least 2 h before `now`.
        #expect(engine.archivePlan(nowNanos: now) == [Self.base, Self.base + Self.hour])
        let done = try engine.archiveOnce(nowNanos: now)
        #expect(done.count == 2 && done.allSatisfy { $0.inputs.count == 2 })
        #expect(Set(engine.currentManifest.segments.map(\.partitionStartNanos)) == [Self.base + 2 * Self.hour, Self.base + 3 * Self.hour])
        #expect(engine.archiveSegments.count == 2)
        #expect(try everything(engine) == before)
        #expect(try answers(engine) == answersBefore)
        // The archive store holds exactly the listed objects; reopening finds them.
        #expect(try LocalDirectoryStore(root: dir.path + "/archive").list(prefix: "partitions/") == engine.archiveSegments.map(\.path).sorted())
        try engine.close()
        let reopened = try Engine(options: try options(dir))
        #expect(try everything(reopened) == before)
        #expect(try answers(reopened) == answersBefore)

        // Late entries for an archived hour stay hot and visible; the next pass merges them in.
        var rng = SeededRandom(seed: 8)
        let late = randomEntries(count: 30, rng: &rng, baseNanos: Self.base)
        try reopened.append(late)
        try reopened.flush()
        #expect(try everything(reopened).count == before.count + 30)
        try reopened.archiveOnce(nowNanos: now)
        #expect(reopened.archiveSegments.count == 2)
        #expect(reopened.archiveSegments.first { $0.partitionStartNanos == Self.base }?.rowCount == 270)
        #expect(try everything(reopened).count == before.count + 30)

        // Restore brings a partition back whole; retention drops archived partitions too.
        let back = try reopened.restoreArchivedPartition(Self.base + Self.hour)
        #expect(back.count == 1)
        #expect(reopened.archiveSegments.map(\.partitionStartNanos) == [Self.base])
        #expect(try everything(reopened).count == before.count + 30)
        let dropped = try reopened.enforceRetention(RetentionPolicy(maxAgeNanos: 3 * Self.hour), nowNanos: now + Self.hour)
        #expect(Set(dropped.map(\.partitionStartNanos)) == [Self.base, Self.base + Self.hour])
        #expect(reopened.archiveSegments.isEmpty)
        #expect(try LocalDirectoryStore(root: dir.path + "/archive").list(prefix: "partitions/").isEmpty)
        try reopened.close()
    }

    /// A compaction and an archive pass of the same partition at once: one of them waits for
    /// the next pass; no entry is ever listed twice.
    @Test func compactionAndArchivingOfOnePartitionDoNotOverlap() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let engine = try Engine(options: try options(dir))
        try load(engine)
        let before = try everything(engine)
        var policy = CompactionPolicy(minSegments: 2)
        policy.settleNanos = -(1 << 62)
        let merge = policy
        let now = Self.base + 6 * Self.hour
        final class Outcome: @unchecked Sendable { var errors = [String](); let lock = NSLock() }
        let outcome = Outcome()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do {
                if i == 0 { try engine.compactOnce(merge) } else { try engine.archiveOnce(nowNanos: now) }
            } catch {
                outcome.lock.withLock { outcome.errors.append("\(error)") }
            }
        }
        #expect(outcome.errors.allSatisfy { $0.contains("being compacted, archived or rewritten") }, "\(outcome.errors)")
        let after = try everything(engine)
        #expect(after == before, "every entry exactly once")
        // What one skipped, the next pass does.
        try engine.archiveOnce(nowNanos: now)
        #expect(engine.currentManifest.segments.isEmpty)
        #expect(try everything(engine) == before)
        try engine.close()
    }

    /// A data directory restored from an older backup, with the archive it used: new entries
    /// get sequences above every archived one, so they are not taken for archived ones.
    @Test func sequencesStayAboveTheArchiveAfterARestore() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let engine = try Engine(options: try options(dir))
        try load(engine)
        try engine.archiveOnce(nowNanos: Self.base + 6 * Self.hour)
        let archivedMax = engine.archiveSegments.map(\.maxSequence).max()!
        try engine.close()
        // An empty data directory (say, restored from a backup taken before any ingest).
        try FileManager.default.removeItem(atPath: dir.path + "/data")
        let fresh = try Engine(options: try options(dir))
        var rng = SeededRandom(seed: 12)
        let ids = try fresh.append(randomEntries(count: 5, rng: &rng, baseNanos: Self.base))
        #expect(ids.allSatisfy { $0.sequence > archivedMax })
        try fresh.flush()
        try fresh.close()
        let reopened = try Engine(options: try options(dir))
        #expect(Set(try everything(reopened).map(\.id)).isSuperset(of: ids), "the late entries survive a reopen")
        try reopened.close()
    }

    @Test func theCacheKeepsWithinItsLimitAndRefetches() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var o = try options(dir)
        o.archive!.cacheBytes = 1   // every fetch evicts the others
        let engine = try Engine(options: o)
        try load(engine)
        let before = try everything(engine)
        try engine.archiveOnce(nowNanos: Self.base + 6 * Self.hour)
        #expect(engine.currentManifest.segments.isEmpty && engine.archiveSegments.count == 4)
        try engine.close()
        for _ in 0..<2 {
            let again = try Engine(options: o, readOnly: true)
            #expect(try everything(again) == before)
            let cached = try FileSystem.listDirectory(dir.path + "/data/archive-cache")
            #expect(cached.count == 1, "\(cached)")
        }
    }
}
