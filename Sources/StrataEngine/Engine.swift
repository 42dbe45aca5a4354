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
    /// Guards the mutable state below. Members without `private` are shared with the type's
    /// other files: `Engine+Maintenance.swift` (manifest changes, publication, retired files)
    /// and `Engine+Snapshot.swift` (snapshots, readers, lookups by id).
    let lock = ConditionLock()
    /// Held by whoever is flushing (a caller of `flush`, or the background queue for its flush).
    /// A semaphore, not a mutex: the background queue releases what `append`'s thread acquired.
    private let flushLock = DispatchSemaphore(value: 1)
    private let flushQueue = DispatchQueue(label: "strata.engine.flush")
    /// Set by the first failed flush or WAL write; every later write throws it (see `EngineError.failed`).
    var failure: EngineError?
    var manifest: Manifest
    var memtable: Memtable
    /// Memtables being flushed: still visible to queries until their segments are published.
    var flushing: [Memtable] = []
    private var wal: WALWriter?
    private var dirLock: DirectoryLock?
    var readers: [UInt64: SegmentReader] = [:]
    /// Highest segment id handed out (flushes and compactions allocate concurrently; the
    /// manifest's `nextSegmentID` only moves when one is published).
    var lastAllocatedID: UInt64 = 0
    /// Snapshots alive, by the manifest generation they saw.
    var pins: [UInt64: Int] = [:]
    /// Files of segments dropped from the manifest at a generation, deleted once no snapshot
    /// of an older generation remains (such a snapshot may still open them).
    var retired: [(generation: UInt64, paths: [String], keys: [String])] = []
    /// The archive tier's manifest (segments tiered `.archive`; empty without an archive).
    var archive: Manifest
    private var isClosed = false
    /// Set by `close`: a running compaction stops at its next block.
    let stopCompaction = Atomic<Bool>(false)
    let compactionQueue = DispatchQueue(label: "strata.engine.compaction")
    /// Partitions a compaction, archive, restore or rewrite is working on: one job per
    /// partition at a time, so no two jobs publish from the same inputs.
    var busyPartitions = Set<Int64>()
    /// Whether a compaction pass is queued or running (passes do not pile up).
    var compactionPending = false
    var maintenance = MaintenanceStats()
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
}
