import StrataFormat
import StrataIO
import StrataSegment
import StrataWAL
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The engine's side of maintenance (compaction, retention, archive): manifest changes under
/// the engine lock, publication, partition claims, segment ids, and deletion of retired files
/// once no snapshot can still open them.
extension Engine {
    /// Applies `change` to the current manifest and publishes the result (nothing is written
    /// if it throws); `change` returns the segments it dropped.
    func withLockedManifest(_ change: (inout Manifest) throws(EngineError) -> [SegmentRecord]) throws(EngineError) -> [SegmentRecord] {
        lock.lock()
        defer { lock.unlock() }
        var next = manifest
        let removed = try change(&next)
        if next == manifest { return [] }
        do throws(IOError) { try publishLocked(next, removed: removed) } catch { throw .io(error) }
        return removed
    }

    /// Counters of compaction and retention so far.
    public var maintenanceStats: MaintenanceStats { lock.withLock { maintenance } }

    func recordCompaction(_ r: CompactionResult) {
        lock.withLock {
            maintenance.compactions += 1
            maintenance.compactedInputSegments += UInt64(r.task.inputs.count)
            maintenance.compactionBytesRead += r.task.bytes
            maintenance.compactionBytesWritten += r.output.sizeInBytes
            maintenance.compactionNanos += r.nanos
        }
    }

    func recordRetention(_ dropped: [SegmentRecord]) {
        guard !dropped.isEmpty else { return }
        lock.withLock {
            maintenance.retentionDroppedPartitions += UInt64(Set(dropped.map(\.partitionStartNanos)).count)
            maintenance.retentionDroppedSegments += UInt64(dropped.count)
            maintenance.retentionDroppedRows += dropped.reduce(0) { $0 + $1.rowCount }
            maintenance.retentionDroppedBytes += dropped.reduce(0) { $0 + $1.sizeInBytes }
        }
    }

    func recordArchive(_ r: ArchiveResult) {
        lock.withLock {
            maintenance.archivedPartitions += 1
            maintenance.archiveBytesRead += r.inputs.reduce(0) { $0 + $1.sizeInBytes }
            maintenance.archiveBytesWritten += r.output.sizeInBytes
        }
    }

    func recordServiceRetention(rows: UInt64, bytes: UInt64) {
        lock.withLock {
            maintenance.retentionDroppedRows += rows
            maintenance.retentionDroppedBytes += bytes
        }
    }

    /// Whether an earlier failure stopped writes (see `failure`).
    var isFailed: Bool { lock.withLock { failure != nil } }

    func noteMaintenanceError(_ message: String) { lock.withLock { maintenance.lastCompactionError = message } }

    /// True if this call marked a pass pending (false: one is already queued or running).
    func markCompactionPending() -> Bool {
        lock.withLock {
            if compactionPending { return false }
            compactionPending = true
            return true
        }
    }

    func clearCompactionPending() { lock.withLock { compactionPending = false } }

    /// Segments a snapshot of everything would list now (both tiers).
    public var searchableSegmentCount: Int { lock.withLock { Self.visible(hot: manifest.segments, archive: archive.segments).count } }

    /// The archive tier's segments now.
    public var archiveSegments: [SegmentRecord] { lock.withLock { archive.segments } }

    /// Applies `change` to the archive manifest, stores it (generation bumped), and retires
    /// the objects of the records `change` returns. Caller must not hold the engine lock.
    func withLockedArchive(_ change: (inout Manifest) throws(EngineError) -> [SegmentRecord]) throws(EngineError) -> [SegmentRecord] {
        guard let a = options.archive else { throw .failed("no archive is configured") }
        lock.lock()
        defer { lock.unlock() }
        var next = archive
        let removed = try change(&next)
        if next == archive { return [] }
        next.generation = archive.generation &+ 1
        next.nextSegmentID = max(next.nextSegmentID, (next.segments.map(\.id).max() ?? 0) &+ 1)
        // MAN-8 holds for the archive too: every record's sequences are at or below these.
        next.flushedSequence = max(next.flushedSequence, next.segments.map(\.maxSequence).max() ?? 0)
        next.nextSequence = max(next.nextSequence, next.flushedSequence &+ 1)
        do throws(IOError) { try a.store.put("MANIFEST", bytes: next.encode()) } catch {
            if failure == nil { failure = .failed("archive manifest write: \(error)") }
            throw .io(error)
        }
        archive = next
        for r in removed { readers[r.id] = nil }
        // Archive objects are retired against the hot generation: snapshots pin that one.
        if !removed.isEmpty { retired.append((manifest.generation &+ 1, [], removed.map(\.path))) }
        deleteRetiredLocked()
        return removed
    }

    /// What a snapshot reads: hot segments, except those an archive segment of their partition
    /// already covers (a crash between the archive's and the hot manifest's publication, or
    /// a restore in progress), and every archive segment. Flushes publish sequences in
    /// increasing order, so a hot segment whose sequences are all at or below an archive
    /// segment's maximum in its partition was among that archive segment's inputs.
    static func visible(hot: [SegmentRecord], archive: [SegmentRecord]) -> [SegmentRecord] {
        guard !archive.isEmpty else { return hot }
        var covered = [Int64: UInt64]()
        for a in archive { covered[a.partitionStartNanos] = max(covered[a.partitionStartNanos] ?? 0, a.maxSequence) }
        return hot.filter { s in covered[s.partitionStartNanos].map { s.maxSequence > $0 } ?? true } + archive
    }

    /// Claims `partition` for one maintenance job; false if another job holds it.
    func claimPartition(_ partition: Int64) -> Bool { lock.withLock { busyPartitions.insert(partition).inserted } }

    func releasePartition(_ partition: Int64) { _ = lock.withLock { busyPartitions.remove(partition) } }

    /// The partitions maintenance jobs hold now.
    var partitionsInUse: Set<Int64> { lock.withLock { busyPartitions } }

    /// A fresh segment id (engine lock not held).
    func allocateSegmentID() -> UInt64 {
        lock.withLock {
            lastAllocatedID = max(lastAllocatedID, manifest.nextSegmentID &- 1, archive.nextSegmentID &- 1) &+ 1
            return lastAllocatedID
        }
    }

    /// Deletes segment files (and `.tmp` leftovers) the manifest does not list: the output of
    /// a flush or compaction that crashed before publishing, or inputs a compaction had
    /// replaced when it crashed. The manifest alone says what is live.
    func removeUnlistedSegmentFiles() {
        let live = Set(manifest.segments.map(\.path))
        let root = options.dataDirectory + "/partitions"
        for dir in (try? FileSystem.listDirectory(root)) ?? [] {
            var removed = false
            for name in (try? FileSystem.listDirectory(root + "/" + dir)) ?? [] where name.hasSuffix(".seg") || name.hasSuffix(".seg.tmp") {
                if !live.contains("partitions/" + dir + "/" + name) {
                    try? FileSystem.removeFile(root + "/" + dir + "/" + name)
                    removed = true
                }
            }
            if removed { try? FileSystem.syncDirectory(root + "/" + dir) }
            // A partition emptied by retention or archiving goes with its last file.
            if ((try? FileSystem.listDirectory(root + "/" + dir)) ?? ["?"]).isEmpty { _ = rmdir(root + "/" + dir) }
        }
        try? FileSystem.syncDirectory(root)
    }

    /// Publishes `next` (generation bumped here) as the manifest, dropping `removed` segments:
    /// their readers leave the cache and their files are deleted once no snapshot that may
    /// read them remains. Caller holds the engine lock.
    func publishLocked(_ next: Manifest, removed: [SegmentRecord]) throws(IOError) {
        var next = next
        next.generation = manifest.generation &+ 1
        do throws(IOError) { try FileSystem.writeAtomically(next.encode(), to: manifestPath) } catch {
            // The rename may have happened: the file on disk may list `next`. Nothing it may
            // list can be deleted now, and no later publication may build on a guess; the
            // next open reads whichever manifest is on disk.
            if failure == nil { failure = .failed("manifest write: \(error)") }
            throw error
        }
        manifest = next
        for r in removed { readers[r.id] = nil }
        if !removed.isEmpty { retired.append((next.generation, removed.map { options.dataDirectory + "/" + $0.path }, [])) }
        deleteRetiredLocked()
    }

    /// Deletes retired files no live snapshot may open. Caller holds the engine lock.
    private func deleteRetiredLocked() {
        guard !retired.isEmpty else { return }
        let oldestPinned = pins.keys.min() ?? .max
        var dirs = Set<String>()
        retired.removeAll { item in
            guard oldestPinned >= item.generation else { return false }
            for path in item.paths {
                try? FileSystem.removeFile(path)
                dirs.insert(FileSystem.parent(of: path))
            }
            for key in item.keys { try? options.archive?.store.delete(key) }
            return true
        }
        // Emptied partition directories stay until the next open: a flush may be about to
        // write into one.
        for d in dirs { try? FileSystem.syncDirectory(d) }
    }

    /// Keeps the files of generation `g`'s segments until `unpin(g)`.
    func pin(_ g: UInt64) { pins[g, default: 0] += 1 }

    func unpin(_ g: UInt64) {
        lock.withLock {
            if pins[g, default: 0] <= 1 { pins[g] = nil } else { pins[g]! -= 1 }
            deleteRetiredLocked()
        }
    }

    /// File name of segment `id`: 20 zero-padded digits and `.seg`.
    public static func segmentFileName(_ id: UInt64) -> String {
        let d = String(id)
        return String(repeating: "0", count: max(0, 20 - d.count)) + d + ".seg"
    }
}
