import StrataFormat
import StrataIO
import StrataSegment
import StrataWAL
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reading: snapshots (live segments plus unflushed entries, pinned until dropped), segment
/// readers shared between queries, and lookups by id.
extension Engine {
    /// A consistent view for a query: the live segments and the unflushed entries.
    public struct Snapshot: @unchecked Sendable {
        public var segments: [SegmentRecord]
        public var memtableEntries: [LogEntry]
        let engine: Engine
        /// Keeps the listed segments' files until the last copy of the snapshot is gone.
        let pin: SnapshotPin

        /// Opens (or reuses) the reader of a listed segment.
        public func reader(for record: SegmentRecord) throws(SegmentError) -> SegmentReader {
            try engine.reader(for: record)
        }
    }

    /// Takes a snapshot. Memtable entries are copied; segments are opened lazily.
    /// `segmentsOnly`: no memtable copy (maintenance needs only the pinned segments).
    public func snapshot(fromNanos: Int64 = .min, toNanos: Int64 = .max, segmentsOnly: Bool = false) -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        let segs = Self.visible(hot: manifest.segments, archive: archive.segments)
            .filter { $0.maxTimestampNanos >= fromNanos && $0.minTimestampNanos <= toNanos }
        var mem = [LogEntry]()
        for table in flushing + [memtable] where !segmentsOnly {
            for (start, entries) in table.partitions where start <= toNanos && start &+ manifest.partitionDurationNanos > fromNanos {
                for e in entries where e.timestampNanos >= fromNanos && e.timestampNanos <= toNanos { mem.append(e) }
            }
        }
        pin(manifest.generation)
        return Snapshot(segments: segs, memtableEntries: mem, engine: self, pin: SnapshotPin(engine: self, generation: manifest.generation))
    }

    func reader(for record: SegmentRecord) throws(SegmentError) -> SegmentReader {
        lock.lock()
        if let r = readers[record.id] { lock.unlock(); return r }
        lock.unlock()
        let r: SegmentReader
        if record.tier == .archive {
            let cache: ArchiveCache
            do throws(IOError) { cache = try archiveCache() } catch { throw .io(error) }
            r = try cache.open(record)
        } else {
            r = try SegmentReader(path: options.dataDirectory + "/" + record.path)
        }
        lock.withLock {
            // A segment compacted or archived away meanwhile is read by its snapshot, not cached.
            let live = record.tier == .archive ? archive.segments : manifest.segments
            if live.contains(where: { $0.id == record.id }) { readers[record.id] = r }
        }
        return r
    }

    /// The manifest currently in force.
    public var currentManifest: Manifest { lock.withLock { manifest } }

    /// What is stored now, read under one lock so the parts agree: the manifest, and the
    /// entries not yet in segments (count, time range, partitions).
    public struct Census: Sendable {
        public var manifest: Manifest
        public var unflushed: Int
        public var unflushedMinNanos: Int64?
        public var unflushedMaxNanos: Int64?
        public var unflushedPartitions: Set<Int64>
    }

    public var census: Census {
        lock.withLock {
            let tables = flushing + [memtable]
            let live = tables.filter { !$0.isEmpty }
            return Census(manifest: manifest, unflushed: tables.reduce(0) { $0 + $1.count },
                          unflushedMinNanos: live.map(\.minTimestampNanos).min(),
                          unflushedMaxNanos: live.map(\.maxTimestampNanos).max(),
                          unflushedPartitions: Set(tables.flatMap { $0.partitions.keys }))
        }
    }

    /// Number of entries not yet in segments.
    public var unflushedCount: Int { lock.withLock { memtable.count + flushing.reduce(0) { $0 + $1.count } } }

    /// Finds one entry by id (memtable first, then segments whose range covers it).
    public func entry(id: LogID) throws(EngineError) -> LogEntry? {
        let snap = snapshot(fromNanos: id.timestampNanos, toNanos: id.timestampNanos)
        if let e = snap.memtableEntries.first(where: { $0.sequence == id.sequence && $0.timestampNanos == id.timestampNanos }) { return e }
        for s in snap.segments where s.minSequence <= id.sequence && id.sequence <= s.maxSequence {
            let r: SegmentReader
            do throws(SegmentError) { r = try reader(for: s) } catch {
                switch error {
                case .io(let e): throw .io(e)
                case .format(let e): throw .format(e)
                }
            }
            do throws(FormatError) {
                if let e = try r.entry(id: id) { return e }
            } catch { throw .format(error) }
        }
        return nil
    }
}

/// Holds a manifest generation's segment files for a snapshot (see `Engine.pin`).
final class SnapshotPin: @unchecked Sendable {
    let engine: Engine
    let generation: UInt64
    init(engine: Engine, generation: UInt64) {
        self.engine = engine
        self.generation = generation
    }
    deinit { engine.unpin(generation) }
}
