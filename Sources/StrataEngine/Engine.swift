import StrataFormat
import StrataIO
import StrataSegment
import StrataWAL
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The storage engine of one data directory: WAL, memtable, flush to segments, manifest.
///
/// Layout of the directory: `MANIFEST` (the live segment list, replaced atomically), `LOCK`,
/// `wal/NNN.wal`, `partitions/<YYYYMMDDTHHMMSSZ>/NNN.seg`. Opening reads only the manifest
/// and the WAL; segments are mapped when first queried.
///
/// Durability: `append` returns after the batch is in the WAL under the fsync policy. A flush
/// writes and fsyncs segments, fsyncs their directories, publishes them in a new manifest, and
/// only then deletes the WAL files they cover. Thread-safe.
public final class Engine: @unchecked Sendable {
    public let options: EngineOptions
    public let readOnly: Bool
    private let lock = ConditionLock()
    /// Held by whoever is flushing (a caller of `flush`, or the background queue for its flush).
    /// A semaphore, not a mutex: the background queue releases what `append`'s thread acquired.
    private let flushLock = DispatchSemaphore(value: 1)
    private let flushQueue = DispatchQueue(label: "strata.engine.flush")
    /// Set by the first failed flush or WAL write; every later write throws it (see `EngineError.failed`).
    private var failure: EngineError?
    private var manifest: Manifest
    private var memtable: Memtable
    /// Memtables being flushed: still visible to queries until their segments are published.
    private var flushing: [Memtable] = []
    private var wal: WALWriter?
    private var dirLock: DirectoryLock?
    private var readers: [UInt64: SegmentReader] = [:]
    /// Highest segment id handed out (flushes and compactions allocate concurrently; the
    /// manifest's `nextSegmentID` only moves when one is published).
    private var lastAllocatedID: UInt64 = 0
    /// Snapshots alive, by the manifest generation they saw.
    private var pins: [UInt64: Int] = [:]
    /// Files of segments dropped from the manifest at a generation, deleted once no snapshot
    /// of an older generation remains (such a snapshot may still open them).
    private var retired: [(generation: UInt64, paths: [String], keys: [String])] = []
    /// The archive tier's manifest (segments tiered `.archive`; empty without an archive).
    private var archive: Manifest
    private var isClosed = false
    /// Set by `close`: a running compaction stops at its next block.
    let stopCompaction = Atomic<Bool>(false)
    let compactionQueue = DispatchQueue(label: "strata.engine.compaction")
    /// Partitions a compaction, archive, restore or rewrite is working on: one job per
    /// partition at a time, so no two jobs publish from the same inputs.
    private var busyPartitions = Set<Int64>()
    /// Whether a compaction pass is queued or running (passes do not pile up).
    private var compactionPending = false
    private var maintenance = MaintenanceStats()
    private var cache: ArchiveCache?

    /// The local cache of archive segments (created on first use).
    func archiveCache() throws(IOError) -> ArchiveCache {
        guard let a = options.archive else { throw IOError(path: options.dataDirectory, operation: "read archive segment (no archive configured)", errno: ENOENT) }
        lock.lock()
        defer { lock.unlock() }
        if let cache { return cache }
        let c = try ArchiveCache(directory: a.cacheDirectory ?? options.dataDirectory + "/archive-cache", store: a.store, limitBytes: a.cacheBytes)
        cache = c
        return c
    }
    /// Damage found in the WAL at open (already truncated unless read-only).
    public private(set) var walDamage: [WALReader.Damage] = []

    public var walDirectory: String { options.dataDirectory + "/wal" }
    public var manifestPath: String { options.dataDirectory + "/MANIFEST" }

    /// Opens (creating if needed, unless `readOnly`) the data directory.
    public init(options: EngineOptions, readOnly: Bool = false) throws(EngineError) {
        self.options = options
        self.readOnly = readOnly
        let dir = options.dataDirectory
        do throws(IOError) {
            if !readOnly {
                try FileSystem.createDirectory(dir)
                dirLock = try DirectoryLock(directory: dir)
                try FileSystem.createDirectory(dir + "/partitions")
                try FileSystem.createDirectory(dir + "/wal")
                // Make the directories themselves durable (cheap, and only at open).
                try FileSystem.syncDirectory(dir)
                try FileSystem.syncDirectory(FileSystem.parent(of: dir))
            }
        } catch { throw .io(error) }
        if FileSystem.exists(dir + "/MANIFEST") {
            let bytes: [UInt8]
            do throws(IOError) {
                let size = try FileSystem.fileSize(dir + "/MANIFEST")
                guard size <= Limits.maxManifestBytes else {
                    throw IOError(path: dir + "/MANIFEST", operation: "read (file larger than \(Limits.maxManifestBytes) bytes)", errno: EFBIG)
                }
                bytes = try FileSystem.readFile(dir + "/MANIFEST")
            } catch { throw .io(error) }
            do throws(FormatError) {
                manifest = try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> Manifest in try Manifest.decode(from: p) }
            } catch { throw .format(error.inFile(dir + "/MANIFEST")) }
        } else {
            // No manifest but segment files: refuse rather than start empty and orphan them.
            let partitions = (try? FileSystem.listDirectory(dir + "/partitions")) ?? []
            if partitions.contains(where: { ((try? FileSystem.listDirectory(dir + "/partitions/" + $0)) ?? []).contains { $0.hasSuffix(".seg") } }) {
                throw .format(FormatError.invalid("MANIFEST", at: 0, "missing, but partitions/ holds segment files; restore the MANIFEST instead of starting an empty store").inFile(dir + "/MANIFEST"))
            }
            manifest = Manifest(partitionDurationNanos: options.partitionDurationNanos)
            if !readOnly {
                do throws(IOError) { try FileSystem.writeAtomically(manifest.encode(), to: dir + "/MANIFEST") } catch { throw .io(error) }
            }
        }
        archive = Manifest(partitionDurationNanos: manifest.partitionDurationNanos)
        if let a = options.archive {
            let stored: [UInt8]?
            do throws(IOError) { stored = try a.store.read("MANIFEST") } catch { throw .io(error) }
            if let bytes = stored {
                do throws(FormatError) {
                    archive = try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> Manifest in try Manifest.decode(from: p) }
                } catch { throw .format(error.inFile(a.store.location + "/MANIFEST")) }
                for i in archive.segments.indices { archive.segments[i].tier = .archive }
            } else if !readOnly {
                // A new archive starts as an empty data directory of its own.
                do throws(IOError) { try a.store.put("MANIFEST", bytes: archive.encode()) } catch { throw .io(error) }
            }
        }
        memtable = Memtable(partitionDurationNanos: manifest.partitionDurationNanos)
        // Replay: every WAL entry not yet in a segment goes back into the memtable.
        let replay: WALReader.Replay
        do throws(IOError) { replay = try WALReader.replay(directory: dir + "/wal", repair: !readOnly) } catch { throw .io(error) }
        walDamage = replay.damage
        var maxSeq = manifest.nextSequence &- 1
        for batch in replay.batches {
            for e in batch.entries where e.sequence > manifest.flushedSequence {
                memtable.insert(e)
                maxSeq = max(maxSeq, e.sequence)
            }
        }
        manifest.nextSequence = maxSeq &+ 1
        if !readOnly {
            do throws(IOError) {
                wal = try WALWriter(directory: dir + "/wal", fileNumber: replay.lastFileNumber + 1, options: options.wal)
            } catch { throw .io(error) }
        }
        lastAllocatedID = max(manifest.nextSegmentID, archive.nextSegmentID) &- 1
        // Sequences stay above every archived one, or a new entry could count as archived.
        manifest.nextSequence = max(manifest.nextSequence, archive.nextSequence)
        if !readOnly {
            removeUnlistedSegmentFiles()
            if options.archive != nil {
                // A crash mid-archive: hot segments the archive already covers, objects never
                // published, a local copy never stored.
                try dropCoveredHotSegments()
                try collectArchiveGarbage()
                for name in (try? FileSystem.listDirectory(dir + "/archive-staging")) ?? [] { try? FileSystem.removeFile(dir + "/archive-staging/" + name) }
            }
        }
    }

    /// Partition duration in force for this directory (from the manifest).
    public var partitionDurationNanos: Int64 { manifest.partitionDurationNanos }

    /// Throws `.diskFull` when the data directory's file system is below the free-space reserve.
    private func checkFreeSpace() throws(EngineError) {
        let available: UInt64
        do throws(IOError) { available = try FileSystem.availableBytes(options.dataDirectory) } catch { throw .io(error) }
        if available < options.minFreeDiskBytes {
            throw .diskFull(path: options.dataDirectory, available: available, reserve: options.minFreeDiskBytes)
        }
    }

    /// Logs `entries` durably and makes them queryable. Sequences are assigned here (any
    /// `sequence` in the input is ignored). Throws `.diskFull` (nothing written) while the
    /// disk is below `minFreeDiskBytes`. Returns the assigned ids in input order.
    @discardableResult
    public func append(_ entries: [LogEntry]) throws(EngineError) -> [LogID] {
        guard !readOnly else { throw .readOnly }
        guard !entries.isEmpty else { return [] }
        for (i, e) in entries.enumerated() {
            if let reason = e.validationError { throw .invalidEntry(index: i, reason: reason) }
        }
        if options.minFreeDiskBytes > 0 { try checkFreeSpace() }
        var ids = [LogID]()
        ids.reserveCapacity(entries.count)
        var ticket: WALWriter.Ticket = 0
        var needsFlush = false
        let log: WALWriter
        lock.lock()
        do throws(EngineError) {
            if let failure { throw failure }
            guard !isClosed, let wal else { throw .closed }
            log = wal
            let first = manifest.nextSequence
            // One WAL record per ~32 MiB of encoded entries, far below the record limit.
            var payload = ByteWriter(capacity: min(entries.count * 160, 1 << 24))
            var recordFirst = first
            var inRecord = 0
            func enqueue() throws(EngineError) {
                var record = ByteWriter(capacity: payload.count + 10)
                record.writeVarint(UInt64(inRecord))
                record.writeBytes(payload.bytes)
                do throws(IOError) { ticket = try log.enqueue(firstSequence: recordFirst, payload: record.bytes) } catch {
                    failure = .failed("WAL write: \(error)")
                    throw .io(error)
                }
            }
            for (i, e) in entries.enumerated() {
                var e = e
                e.sequence = first &+ UInt64(i)
                LogEntryCodec.encode(e, into: &payload)
                ids.append(e.id)
                inRecord += 1
                if payload.count >= Limits.maxWALRecordBytes / 2 || inRecord >= Limits.maxEntriesPerRecord {
                    try enqueue()
                    payload = ByteWriter(capacity: 1 << 20)
                    recordFirst = e.sequence &+ 1
                    inRecord = 0
                }
            }
            if inRecord > 0 { try enqueue() }
            manifest.nextSequence = first &+ UInt64(entries.count)
            for (i, e) in entries.enumerated() {
                var e = e
                e.sequence = first &+ UInt64(i)
                memtable.insert(e)
            }
            needsFlush = memtable.approximateBytes >= options.memtableMaxBytes
                || memtable.fieldKeys.count >= options.memtableMaxFieldKeys
            lock.unlock()
        } catch {
            lock.unlock()
            throw error
        }
        do throws(IOError) { try log.waitDurable(ticket) } catch {
            lock.withLock { if failure == nil { failure = .failed("WAL write: \(error)") } }
            throw .io(error)
        }
        // The batch is durable: a flush problem must not be reported as this append failing (a
        // retry would duplicate it). It marks the engine failed and the next write reports it.
        if needsFlush { try? flushInBackground() }
        return ids
    }

    /// A memtable frozen for flushing, with what its publication must record.
    struct FrozenTable {
        var table: Memtable
        /// Every sequence at or below this is in `table` or already in segments.
        var flushedSequence: UInt64
        /// WAL files numbered below this hold only records of `table` (or older ones).
        var walBoundary: UInt64
    }

    /// Writes the memtable to segments, publishes them and drops the WAL files they cover;
    /// returns once they are durable (waiting for a background flush in progress first).
    public func flush() throws(EngineError) {
        guard !readOnly else { throw .readOnly }
        flushLock.wait()
        defer { flushLock.signal() }
        try throwIfFailed()
        lock.lock()
        let frozen: FrozenTable?
        do throws(EngineError) { frozen = try freezeLocked() } catch {
            lock.unlock()
            throw error
        }
        lock.unlock()
        if let frozen { try writeFrozen(frozen) }
    }

    /// Swaps in an empty memtable and rotates the WAL (engine lock held). Nil when empty.
    private func freezeLocked() throws(EngineError) -> FrozenTable? {
        guard let wal, !memtable.isEmpty else { return nil }
        let boundary: UInt64
        do throws(IOError) { boundary = try wal.rotate() } catch {
            if failure == nil { failure = .failed("WAL rotation: \(error)") }
            throw .io(error)
        }
        let frozen = FrozenTable(table: memtable, flushedSequence: manifest.nextSequence &- 1, walBoundary: boundary)
        memtable = Memtable(partitionDurationNanos: manifest.partitionDurationNanos)
        flushing.append(frozen.table)
        return frozen
    }

    /// Starts flushing the memtable on the background queue. Back-pressure: if the previous
    /// background flush is still running, waits for it first, so at most two memtables exist.
    private func flushInBackground() throws(EngineError) {
        flushLock.wait()   // held until the background flush ends; the next caller waits here
        do throws(EngineError) { try throwIfFailed() } catch {
            flushLock.signal()
            throw error
        }
        lock.lock()
        let frozen: FrozenTable?
        do throws(EngineError) { frozen = try freezeLocked() } catch {
            lock.unlock()
            flushLock.signal()
            throw error
        }
        lock.unlock()
        guard let frozen else { flushLock.signal(); return }
        flushQueue.async { [self] in
            do throws(EngineError) { try writeFrozen(frozen) } catch {
                // The frozen entries stay queryable and in the WAL; refuse writes so that no later
                // flush publishes a flushedSequence covering them (which would delete their WAL files).
                lock.withLock { if failure == nil { failure = .failed("flush: \(error)") } }
            }
            flushLock.signal()
        }
    }

    private func throwIfFailed() throws(EngineError) {
        let e: EngineError? = lock.withLock { failure }
        if let e { throw e }
    }

    /// Writes a frozen memtable's segments, publishes them in the manifest, deletes covered WAL files.
    /// Callers hold `flushLock`, so publications happen in freeze order. On failure the engine
    /// is marked failed (see `failure`).
    private func writeFrozen(_ frozen: FrozenTable) throws(EngineError) {
        let t0 = monotonicNanos()
        do throws(EngineError) {
            try writeFrozenUnchecked(frozen)
            options.onFlush?(frozen.table.count, monotonicNanos() - t0)
        } catch {
            lock.withLock { if failure == nil { failure = .failed("flush: \(error)") } }
            throw error
        }
    }

    private func writeFrozenUnchecked(_ frozen: FrozenTable) throws(EngineError) {
        var added = [SegmentRecord]()
        do throws(IOError) {
            let writer = SegmentWriter(options: options.segment)
            var dirs = Set<String>()
            for (start, entries) in frozen.table.partitions.sorted(by: { $0.key < $1.key }) {
                let dirName = "partitions/" + Timestamp.compactLabel(start)
                let dir = options.dataDirectory + "/" + dirName
                try FileSystem.createDirectory(dir)
                let id = allocateSegmentID()
                let name = dirName + "/" + Self.segmentFileName(id)
                let size = try writer.write(entries, partitionStartNanos: start, to: options.dataDirectory + "/" + name)
                var minTs = Int64.max, maxTs = Int64.min, minSeq = UInt64.max, maxSeq = UInt64.min
                for e in entries {
                    minTs = min(minTs, e.timestampNanos); maxTs = max(maxTs, e.timestampNanos)
                    minSeq = min(minSeq, e.sequence); maxSeq = max(maxSeq, e.sequence)
                }
                added.append(SegmentRecord(id: id, path: name, partitionStartNanos: start, minTimestampNanos: minTs,
                                           maxTimestampNanos: maxTs, minSequence: minSeq, maxSequence: maxSeq,
                                           rowCount: UInt64(entries.count), sizeInBytes: UInt64(size), level: 0))
                dirs.insert(dir)
            }
            for d in dirs { try FileSystem.syncDirectory(d) }
            try FileSystem.syncDirectory(options.dataDirectory + "/partitions")
            lock.lock()
            var next = manifest
            next.segments += added
            next.nextSegmentID = max(next.nextSegmentID, (added.map(\.id).max() ?? 0) &+ 1)
            next.flushedSequence = frozen.flushedSequence
            next.generation += 1
            do throws(IOError) { try FileSystem.writeAtomically(next.encode(), to: manifestPath) } catch {
                lock.unlock()
                throw error
            }
            manifest = next
            flushing.removeAll { $0 === frozen.table }
            let w = wal
            lock.unlock()
            try w?.removeFiles(before: frozen.walBoundary)
        } catch {
            throw .io(error)
        }
        scheduleCompaction()
    }

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
    private func removeUnlistedSegmentFiles() {
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
    fileprivate func pin(_ g: UInt64) { pins[g, default: 0] += 1 }

    fileprivate func unpin(_ g: UInt64) {
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

    /// Flushes everything and releases the directory. Idempotent.
    public func close() throws(EngineError) {
        if readOnly { lock.withLock { isClosed = true }; return }
        // Refuse new appends first, so nothing lands between the final flush and the WAL deletion.
        let alreadyClosed: Bool = lock.withLock { let was = isClosed; isClosed = true; return was }
        if alreadyClosed { return }
        // A running compaction stops at its next block; its output is discarded.
        stopCompaction.store(true, ordering: .relaxed)
        waitForMaintenance()
        var flushError: EngineError? = nil
        do throws(EngineError) { try flush() } catch { flushError = error }
        lock.lock()
        let w = wal
        wal = nil
        let failed = failure != nil || flushError != nil
        lock.unlock()
        defer { dirLock?.release() }
        do throws(IOError) {
            try w?.close()
            // Every record is in a segment now, the current file included — unless a flush
            // failed, in which case the WAL is kept for replay on the next open.
            if let w, !failed { try w.removeFiles(before: w.currentFileNumber + 1) }
        } catch { throw .io(error) }
        if let flushError { throw flushError }
        if let f = lock.withLock({ failure }) { throw f }
    }

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
