import StrataFormat
import StrataIO
import StrataSegment
#if canImport(Glibc)
import Glibc
#endif

/// The cold tier: partitions older than `afterNanos` are rewritten denser (zstd `segment`
/// level, full blocks, smaller Bloom filters) into an `ObjectStore` and leave the data
/// directory. They stay searchable: queries fetch archive segments into a local cache.
public struct ArchiveOptions: Sendable {
    public var store: any ObjectStore
    public var afterNanos: Int64
    public var cacheBytes: Int
    /// Where fetched archive segments are kept (nil: `archive-cache/` in the data directory).
    public var cacheDirectory: String?
    public var segment: SegmentWriterOptions
    /// Called at each step of archiving a partition (crash tests kill the process there).
    public var stepHook: (@Sendable (ArchiveStep) -> Void)?

    public init(store: any ObjectStore, afterNanos: Int64 = 7 * 86_400 * 1_000_000_000, cacheBytes: Int = 1 << 30,
                segment: SegmentWriterOptions = SegmentWriterOptions(zstdLevel: 19, bloomBitsPerKey: 10)) {
        self.store = store
        self.afterNanos = afterNanos
        self.cacheBytes = cacheBytes
        self.segment = segment
    }
}

/// The points of archiving a partition at which a crash leaves a distinct state.
public enum ArchiveStep: String, CaseIterable, Sendable {
    /// The archive segment written locally (staging), nothing in the store.
    case written
    /// The segment stored as an object, not yet in the archive manifest.
    case uploaded
    /// The archive manifest lists it; the hot manifest still lists the inputs.
    case archivePublished = "archive-published"
    /// The hot manifest no longer lists the inputs.
    case hotPublished = "hot-published"
}

/// What archiving one partition did.
public struct ArchiveResult: Sendable {
    public var partitionStartNanos: Int64
    public var inputs: [SegmentRecord]
    public var output: SegmentRecord
    public var nanos: UInt64
}

extension Engine {
    /// Partitions whose hot segments are due for the archive at `nowNanos`.
    public func archivePlan(nowNanos: Int64 = wallClockNanos()) -> [Int64] {
        guard let a = options.archive else { return [] }
        let m = currentManifest
        let busy = partitionsInUse
        let visible = Set(snapshot(segmentsOnly: true).segments.filter { $0.tier == .hot }.map(\.id))
        let due = m.segments.filter {
            visible.contains($0.id) && !busy.contains($0.partitionStartNanos) && $0.partitionStartNanos &+ m.partitionDurationNanos <= nowNanos &- a.afterNanos
        }
        return Set(due.map(\.partitionStartNanos)).sorted()
    }

    /// Moves every due partition to the archive (one at a time); returns what was done.
    @discardableResult
    public func archiveOnce(nowNanos: Int64 = wallClockNanos()) throws(EngineError) -> [ArchiveResult] {
        var done = [ArchiveResult]()
        for start in archivePlan(nowNanos: nowNanos) {
            if stopCompaction.load(ordering: .relaxed) { break }
            if partitionsInUse.contains(start) { continue }   // next pass
            let r = try archivePartition(start)
            recordArchive(r)
            done.append(r)
        }
        return done
    }

    /// Rewrites partition `start` (its hot segments, merged with what the archive already
    /// holds of it) into one archive segment, then drops the hot segments.
    ///
    /// Order: write locally, store the object, publish the archive manifest, publish the hot
    /// manifest. A crash before the archive manifest leaves an unlisted object (removed by
    /// `collectArchiveGarbage`); after it, the hot inputs are covered by the archive segment
    /// (see `Engine.visible`) and dropped at the next pass. Entries keep their ids.
    public func archivePartition(_ start: Int64) throws(EngineError) -> ArchiveResult {
        guard let a = options.archive, !readOnly else { throw readOnly ? .readOnly : .failed("no archive is configured") }
        guard claimPartition(start) else { throw .failed("partition \(Timestamp.format(start)) is being compacted, archived or rewritten") }
        defer { releasePartition(start) }
        let t0 = monotonicNanos()
        let step = a.stepHook ?? { _ in }
        let snap = snapshot(segmentsOnly: true)
        let inputs = snap.segments.filter { $0.partitionStartNanos == start }
        let hotInputs = inputs.filter { $0.tier == .hot }
        guard !hotInputs.isEmpty else { throw .failed("partition \(Timestamp.format(start)) has no hot segments to archive") }
        var readers = [SegmentReader]()
        for s in inputs {
            do throws(SegmentError) { readers.append(try snap.reader(for: s)) } catch {
                switch error {
                case .io(let e): throw .io(e)
                case .format(let e): throw .format(e)
                }
            }
        }
        let id = allocateSegmentID()
        let key = "partitions/" + Timestamp.compactLabel(start) + "/" + Self.segmentFileName(id)
        let staging = options.dataDirectory + "/archive-staging"
        let local = staging + "/" + Self.segmentFileName(id)
        let shape = SegmentMergeIterator.shape(of: readers)
        var rows = StoppableRows(base: SegmentMergeIterator(readers)) { [self] in stopCompaction.load(ordering: .relaxed) }
        let size: Int
        do throws(IOError) {
            try FileSystem.createDirectory(staging)
            size = try SegmentWriter(options: a.segment).write(sorted: &rows, shape: shape, partitionStartNanos: start, to: local)
        } catch {
            if let e = rows.base.error { throw .format(e) }
            if rows.stopped { throw .closed }
            throw .io(error)
        }
        step(.written)
        do throws(IOError) {
            try a.store.put(key, from: local)
            try FileSystem.removeFile(local)
        } catch {
            try? FileSystem.removeFile(local)
            throw .io(error)
        }
        step(.uploaded)
        var output = SegmentRecord(id: id, path: key, partitionStartNanos: start,
                                   minTimestampNanos: shape.minTimestampNanos, maxTimestampNanos: shape.maxTimestampNanos,
                                   minSequence: inputs.map(\.minSequence).min()!, maxSequence: inputs.map(\.maxSequence).max()!,
                                   rowCount: UInt64(shape.rowCount), sizeInBytes: UInt64(size), level: (inputs.map(\.level).max() ?? 0) &+ 1)
        output.tier = .archive
        let replaced = Set(inputs.filter { $0.tier == .archive }.map(\.id))
        _ = try withLockedArchive { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
            let old = m.segments.filter { replaced.contains($0.id) }
            guard old.count == replaced.count else { throw EngineError.failed("archive segments of \(Timestamp.format(start)) changed meanwhile") }
            m.segments.removeAll { replaced.contains($0.id) }
            m.segments.append(output)
            return old
        }
        step(.archivePublished)
        try dropCoveredHotSegments()
        step(.hotPublished)
        return ArchiveResult(partitionStartNanos: start, inputs: inputs, output: output, nanos: monotonicNanos() - t0)
    }

    /// Removes from the hot manifest the segments an archive segment covers (left behind by
    /// a crash after an archive publication, or by `archivePartition` itself).
    func dropCoveredHotSegments() throws(EngineError) {
        let archived = archiveSegments
        _ = try withLockedManifest { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
            let keep = Set(Self.visible(hot: m.segments, archive: archived).map(\.id))
            let dropped = m.segments.filter { !keep.contains($0.id) }
            m.segments.removeAll { !keep.contains($0.id) }
            return dropped
        }
    }

    /// Brings partition `start` back from the archive into the data directory (the archive
    /// keeps nothing of it afterwards). Safe to repeat after a crash: segments already copied
    /// are recognised by their sequence range and row count.
    @discardableResult
    public func restoreArchivedPartition(_ start: Int64) throws(EngineError) -> [SegmentRecord] {
        guard options.archive != nil, !readOnly else { throw readOnly ? .readOnly : .failed("no archive is configured") }
        guard claimPartition(start) else { throw .failed("partition \(Timestamp.format(start)) is being compacted, archived or rewritten") }
        defer { releasePartition(start) }
        let archived = archiveSegments.filter { $0.partitionStartNanos == start }
        guard !archived.isEmpty else { throw .failed("the archive holds no partition \(Timestamp.format(start))") }
        let hot = currentManifest.segments.filter { $0.partitionStartNanos == start }
        var added = [SegmentRecord]()
        let dirName = "partitions/" + Timestamp.compactLabel(start)
        for a in archived where !hot.contains(where: { $0.minSequence == a.minSequence && $0.maxSequence == a.maxSequence && $0.rowCount == a.rowCount }) {
            let id = allocateSegmentID()
            let name = dirName + "/" + Self.segmentFileName(id)
            do throws(IOError) {
                try FileSystem.createDirectory(options.dataDirectory + "/" + dirName)
                try archiveCache().copy(a, to: options.dataDirectory + "/" + name + ".tmp")
                try FileSystem.rename(options.dataDirectory + "/" + name + ".tmp", options.dataDirectory + "/" + name)
                try FileSystem.syncDirectory(options.dataDirectory + "/" + dirName)
                try FileSystem.syncDirectory(options.dataDirectory + "/partitions")
            } catch { throw .io(error) }
            var r = a
            r.id = id
            r.path = name
            r.tier = .hot
            added.append(r)
        }
        let publish = added
        _ = try withLockedManifest { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
            m.segments += publish
            m.nextSegmentID = max(m.nextSegmentID, (publish.map(\.id).max() ?? 0) &+ 1)
            return []
        }
        let ids = Set(archived.map(\.id))
        _ = try withLockedArchive { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
            let gone = m.segments.filter { ids.contains($0.id) }
            m.segments.removeAll { ids.contains($0.id) }
            return gone
        }
        return added
    }

    /// Deletes objects under `partitions/` that the archive manifest does not list (what a
    /// crash between storing an object and publishing it leaves). Only the engine that owns
    /// the archive may run this.
    @discardableResult
    public func collectArchiveGarbage() throws(EngineError) -> [String] {
        guard let a = options.archive, !readOnly else { return [] }
        let listed = Set(archiveSegments.map(\.path))
        var removed = [String]()
        do throws(IOError) {
            for key in try a.store.list(prefix: "partitions/") where !listed.contains(key) {
                try a.store.delete(key)
                removed.append(key)
            }
        } catch { throw .io(error) }
        return removed
    }
}
