import StrataFormat
import StrataIO
import StrataSegment
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Compaction and retention: the engine's maintenance. Both publish a new manifest that
/// drops segments; dropped files are deleted once no snapshot can still read them.
///
/// A compaction writes its output under a fresh id (invisible until published), fsyncs it
/// and its directory, then replaces the inputs by the output in one manifest write. A crash
/// before that write leaves the old set (the output is an unlisted file, removed at the next
/// open); after it, the new set (the inputs are unlisted files, removed likewise). Entries
/// keep their ids: timestamps and sequences are copied unchanged.
extension Engine {
    /// The merges `policy` would run now, given the live segments.
    public func compactionPlan(_ policy: CompactionPolicy, nowNanos: Int64 = wallClockNanos()) -> [CompactionTask] {
        let m = currentManifest
        let busy = partitionsInUse
        var byPartition = [Int64: [SegmentRecord]]()
        for s in m.segments where !busy.contains(s.partitionStartNanos) { byPartition[s.partitionStartNanos, default: []].append(s) }
        var tasks = [CompactionTask]()
        for (start, segs) in byPartition.sorted(by: { $0.key < $1.key }) where segs.count >= 2 {
            let settled = start &+ m.partitionDurationNanos <= nowNanos &- policy.settleNanos
            if settled {
                // Time order, grouped up to maxOutputRows and maxInputs; single segments stay.
                var group = [SegmentRecord]()
                var rows: UInt64 = 0
                func close() {
                    if group.count >= 2 {
                        tasks.append(CompactionTask(partitionStartNanos: start, inputs: group, reason: "settled partition (\(segs.count) segments)"))
                    }
                    group = []
                    rows = 0
                }
                for s in segs.sorted(by: { ($0.minTimestampNanos, $0.id) < ($1.minTimestampNanos, $1.id) }) {
                    if !group.isEmpty && (rows + s.rowCount > UInt64(policy.maxOutputRows) || group.count == policy.maxInputs) { close() }
                    group.append(s)
                    rows += s.rowCount
                }
                close()
            } else {
                // Size tiers: each tier's sizes stay within tierRatio of its smallest.
                var tier = [SegmentRecord]()
                func closeTier() {
                    defer { tier = [] }
                    guard tier.count >= policy.minSegments else { return }
                    var inputs = [SegmentRecord]()
                    var rows: UInt64 = 0
                    for s in tier where inputs.count < policy.maxInputs && rows + s.rowCount <= UInt64(policy.maxOutputRows) {
                        inputs.append(s)
                        rows += s.rowCount
                    }
                    if inputs.count >= policy.minSegments {
                        tasks.append(CompactionTask(partitionStartNanos: start, inputs: inputs,
                                                    reason: "\(tier.count) segments of one size tier (\(tier.first!.sizeInBytes)…\(tier.last!.sizeInBytes) bytes)"))
                    }
                }
                for s in segs.sorted(by: { ($0.sizeInBytes, $0.id) < ($1.sizeInBytes, $1.id) }) {
                    if let smallest = tier.first, Double(s.sizeInBytes) > Double(max(smallest.sizeInBytes, 1)) * policy.tierRatio { closeTier() }
                    tier.append(s)
                }
                closeTier()
            }
        }
        return tasks
    }

    /// Runs one merge. Throws if an input is no longer live (nothing changes then), or on
    /// I/O or format errors (the output is removed; the inputs stay live).
    public func compact(_ task: CompactionTask, policy: CompactionPolicy) throws(EngineError) -> CompactionResult {
        guard !readOnly else { throw .readOnly }
        guard claimPartition(task.partitionStartNanos) else {
            throw .failed("partition \(Timestamp.format(task.partitionStartNanos)) is being compacted, archived or rewritten")
        }
        defer { releasePartition(task.partitionStartNanos) }
        let t0 = monotonicNanos()
        let step = policy.stepHook ?? { _ in }
        let snap = snapshot(segmentsOnly: true)
        let live = Set(snap.segments.map(\.id))
        guard task.inputs.count >= 2, task.inputs.allSatisfy({ live.contains($0.id) }),
              Set(task.inputs.map(\.partitionStartNanos)).count == 1 else {
            throw .failed("compaction inputs \(task.inputs.map(\.id)) " + Self.staleInputsReason)
        }
        var readers = [SegmentReader]()
        for s in task.inputs {
            do throws(SegmentError) { readers.append(try snap.reader(for: s)) } catch {
                switch error {
                case .io(let e): throw .io(e)
                case .format(let e): throw .format(e)
                }
            }
        }
        step(.started)
        let id = allocateSegmentID()
        let dirName = "partitions/" + Timestamp.compactLabel(task.partitionStartNanos)
        let name = dirName + "/" + Self.segmentFileName(id)
        let path = options.dataDirectory + "/" + name
        let shape = SegmentMergeIterator.shape(of: readers)
        var rows = StoppableRows(base: SegmentMergeIterator(readers)) { [self] in stopCompaction.load(ordering: .relaxed) }
        let size: Int
        do throws(IOError) {
            var pacer = Pacer(bytesPerSecond: policy.maxWriteBytesPerSecond)
            var first = true
            size = try SegmentWriter(options: options.segment).write(sorted: &rows, shape: shape, partitionStartNanos: task.partitionStartNanos,
                                                                     to: path) { n in
                if first { first = false; step(.writing) }
                pacer.wrote(n)
            }
        } catch {
            if let e = rows.base.error { throw .format(e) }
            if rows.stopped { throw .closed }
            throw .io(error)
        }
        step(.outputWritten)
        let output = SegmentRecord(id: id, path: name, partitionStartNanos: task.partitionStartNanos,
                                   minTimestampNanos: shape.minTimestampNanos, maxTimestampNanos: shape.maxTimestampNanos,
                                   minSequence: task.inputs.map(\.minSequence).min()!, maxSequence: task.inputs.map(\.maxSequence).max()!,
                                   rowCount: UInt64(shape.rowCount), sizeInBytes: UInt64(size), level: task.outputLevel)
        do throws(EngineError) {
            do throws(IOError) {
                try FileSystem.syncDirectory(options.dataDirectory + "/" + dirName)
            } catch { throw EngineError.io(error) }
            step(.outputSynced)
            _ = try withLockedManifest { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
                let ids = Set(task.inputs.map(\.id))
                guard m.segments.filter({ ids.contains($0.id) }).count == ids.count else {
                    throw EngineError.failed("compaction inputs \(task.inputs.map(\.id)) were dropped meanwhile")
                }
                // The output takes the place of the first input, so segment order stays by age.
                let at = m.segments.firstIndex { ids.contains($0.id) }!
                m.segments.removeAll { ids.contains($0.id) }
                m.segments.insert(output, at: min(at, m.segments.count))
                m.nextSegmentID = max(m.nextSegmentID, id &+ 1)
                return task.inputs
            }
        } catch {
            // Not published (a check failed, or the directory fsync): the output is not live.
            // A failed manifest write may have published it: then it stays (the engine is failed).
            if !isFailed { try? FileSystem.removeFile(path) }
            throw error
        }
        step(.published)
        return CompactionResult(task: task, output: output, nanos: monotonicNanos() - t0)
    }

    /// The end of the error `compact` throws when a task's inputs are no longer live.
    static let staleInputsReason = "are not live segments of one partition"

    /// Plans and runs every merge `policy` calls for now (one pass; merged outputs may call
    /// for more in the next). Stops at the first failure; a task whose inputs another pass
    /// replaced meanwhile is skipped (the next pass plans again).
    @discardableResult
    public func compactOnce(_ policy: CompactionPolicy, nowNanos: Int64 = wallClockNanos()) throws(EngineError) -> [CompactionResult] {
        var done = [CompactionResult]()
        for task in compactionPlan(policy, nowNanos: nowNanos) {
            if stopCompaction.load(ordering: .relaxed) { break }
            if partitionsInUse.contains(task.partitionStartNanos) { continue }   // next pass
            let r: CompactionResult
            do { r = try compact(task, policy: policy) } catch {
                // An archive or rewrite pass changed the partition between the plan and the
                // merge (it claimed and released it meanwhile): a lost race, not a failure.
                if case .failed(let why) = error, why.hasSuffix(Self.staleInputsReason) { continue }
                throw error
            }
            recordCompaction(r)
            done.append(r)
        }
        return done
    }

    /// Queues a background pass of `options.compaction` (see `scheduleCompaction`); the
    /// server calls it periodically, so partitions settle into few segments without a flush.
    public func requestCompaction() { scheduleCompaction() }

    /// Queues a background pass (if a policy is set and none is queued): compacts until the
    /// plan is empty, one merge at a time, without blocking ingest or queries.
    func scheduleCompaction() {
        guard let policy = options.compaction, !readOnly, !stopCompaction.load(ordering: .relaxed) else { return }
        guard markCompactionPending() else { return }
        compactionQueue.async { [self] in
            defer { clearCompactionPending() }
            var rounds = 0
            while rounds < 8 && !stopCompaction.load(ordering: .relaxed) {
                rounds += 1
                do throws(EngineError) {
                    if try compactOnce(policy).isEmpty { break }
                } catch {
                    if case .closed = error { break }
                    noteMaintenanceError("compaction: \(error)")
                    break
                }
            }
        }
    }

    /// Waits for a queued or running background pass to end.
    public func waitForMaintenance() { compactionQueue.sync {} }

    /// Drops what `policy` says is too old or too much: whole partitions, oldest first (the
    /// disk limit never drops the newest partition). Returns the dropped segments.
    @discardableResult
    public func enforceRetention(_ policy: RetentionPolicy, nowNanos: Int64 = wallClockNanos()) throws(EngineError) -> [SegmentRecord] {
        guard !readOnly else { throw .readOnly }
        let busy = partitionsInUse
        let dropped = try withLockedManifest { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
            let starts = Set(m.segments.map(\.partitionStartNanos)).sorted()
            guard let newest = starts.last else { return [] }
            var drop = Set<Int64>()
            if let age = policy.maxAgeNanos {
                for s in starts where s &+ m.partitionDurationNanos <= nowNanos &- age { drop.insert(s) }
            }
            if let limit = policy.maxDiskBytes {
                var total = m.segments.filter { !drop.contains($0.partitionStartNanos) }.reduce(UInt64(0)) { $0 + $1.sizeInBytes }
                for s in starts where s != newest && !drop.contains(s) && total > limit {
                    drop.insert(s)
                    total -= m.segments.filter { $0.partitionStartNanos == s }.reduce(UInt64(0)) { $0 + $1.sizeInBytes }
                }
            }
            // Partitions a job holds are left for the next pass.
            drop.subtract(busy)
            let removed = m.segments.filter { drop.contains($0.partitionStartNanos) }
            m.segments.removeAll { drop.contains($0.partitionStartNanos) }
            return removed
        }
        var archived = [SegmentRecord]()
        if options.archive != nil, let age = policy.maxAgeNanos {
            let duration = currentManifest.partitionDurationNanos
            archived = try withLockedArchive { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
                let expired = { (s: SegmentRecord) in s.partitionStartNanos &+ duration <= nowNanos &- age && !busy.contains(s.partitionStartNanos) }
                let old = m.segments.filter(expired)
                m.segments.removeAll(where: expired)
                return old
            }
        }
        recordRetention(dropped + archived)
        if !policy.byService.isEmpty { try dropExpiredServices(policy.byService, nowNanos: nowNanos) }
        return dropped + archived
    }
}

extension Engine {
    /// Rewrites the hot segments of partitions older than a service's age without that
    /// service's entries (found through the `_service` term index; segments without them are
    /// not touched). Each rewrite replaces one segment in one manifest write, as a compaction.
    func dropExpiredServices(_ ages: [String: Int64], nowNanos: Int64) throws(EngineError) {
        let snap = snapshot(segmentsOnly: true)
        let duration = currentManifest.partitionDurationNanos
        for s in snap.segments where s.tier == .hot {
            let expired = Set(ages.filter { s.partitionStartNanos &+ duration <= nowNanos &- $0.value }.keys)
            guard !expired.isEmpty, !stopCompaction.load(ordering: .relaxed), claimPartition(s.partitionStartNanos) else { continue }
            defer { releasePartition(s.partitionStartNanos) }
            let reader: SegmentReader
            do throws(SegmentError) { reader = try snap.reader(for: s) } catch {
                switch error {
                case .io(let e): throw .io(e)
                case .format(let e): throw .format(e)
                }
            }
            do throws(FormatError) {
                // Without a term index (too many distinct services) the rewrite finds out.
                if let terms = try reader.termIndex(.service) {
                    var present = false
                    for name in expired where try terms.lookup(Array(name.utf8)) != nil { present = true }
                    guard present else { continue }
                }
            } catch { throw .format(error) }
            try rewrite(s, reader: reader, dropping: expired)
        }
    }

    /// Replaces segment `s` by a copy without the entries of `services` (or drops it if none
    /// remain). Entries keep their ids.
    private func rewrite(_ s: SegmentRecord, reader: SegmentReader, dropping services: Set<String>) throws(EngineError) {
        // Pass 1: what remains (the header needs the count and time range first).
        var total = 0, kept = 0, minTs = Int64.max, maxTs = Int64.min
        do throws(FormatError) {
            for b in reader.index.blocks.indices {
                let block = try reader.decodeBlock(b, columns: ColumnSelection(system: [.service, .timestamp], fields: []))
                total += block.rowCount
                for i in 0..<block.rowCount where !services.contains(String(decoding: block.services![i], as: UTF8.self)) {
                    kept += 1
                    minTs = min(minTs, block.timestamps![i])
                    maxTs = max(maxTs, block.timestamps![i])
                }
            }
        } catch { throw .format(error) }
        let droppedRows = UInt64(total - kept)
        guard droppedRows > 0 else { return }
        var output: SegmentRecord?
        if kept > 0 {
            let id = allocateSegmentID()
            let name = FileSystem.parent(of: s.path) + "/" + Self.segmentFileName(id)
            var shape = SegmentMergeIterator.shape(of: [reader])
            shape.rowCount = kept
            shape.minTimestampNanos = minTs
            shape.maxTimestampNanos = maxTs
            var rows = ServiceFilter(base: SegmentMergeIterator([reader]), dropping: services)
            let size: Int
            do throws(IOError) {
                size = try SegmentWriter(options: options.segment).write(sorted: &rows, shape: shape, partitionStartNanos: s.partitionStartNanos,
                                                                         to: options.dataDirectory + "/" + name)
                try FileSystem.syncDirectory(options.dataDirectory + "/" + FileSystem.parent(of: s.path))
            } catch {
                if let e = rows.base.error { throw .format(e) }
                throw .io(error)
            }
            output = SegmentRecord(id: id, path: name, partitionStartNanos: s.partitionStartNanos, minTimestampNanos: minTs, maxTimestampNanos: maxTs,
                                   minSequence: s.minSequence, maxSequence: s.maxSequence, rowCount: UInt64(kept), sizeInBytes: UInt64(size), level: s.level)
        }
        let replacement = output
        do throws(EngineError) {
            _ = try withLockedManifest { (m: inout Manifest) throws(EngineError) -> [SegmentRecord] in
                guard let at = m.segments.firstIndex(where: { $0.id == s.id }) else {
                    throw EngineError.failed("segment \(s.id) was replaced meanwhile")
                }
                m.segments.remove(at: at)
                if let replacement {
                    m.segments.insert(replacement, at: at)
                    m.nextSegmentID = max(m.nextSegmentID, replacement.id &+ 1)
                }
                return [s]
            }
        } catch {
            if let replacement, !isFailed { try? FileSystem.removeFile(options.dataDirectory + "/" + replacement.path) }
            throw error
        }
        let left = replacement?.sizeInBytes ?? 0
        recordServiceRetention(rows: droppedRows, bytes: s.sizeInBytes > left ? s.sizeInBytes - left : 0)
    }
}

/// The entries of a merge minus those of some services.
struct ServiceFilter: IteratorProtocol {
    var base: SegmentMergeIterator
    let dropping: Set<String>

    mutating func next() -> LogEntry? {
        while let e = base.next() {
            if !dropping.contains(e.service) { return e }
        }
        return nil
    }
}

/// Rows of a merge that end early once the engine is closing.
struct StoppableRows: IteratorProtocol {
    var base: SegmentMergeIterator
    let isStopping: () -> Bool
    var stopped = false

    mutating func next() -> LogEntry? {
        if base.count & 4095 == 0 && isStopping() {
            stopped = true
            return nil
        }
        return base.next()
    }
}

/// Sleeps as needed to keep writes at or below a rate.
struct Pacer {
    let bytesPerSecond: Int
    let start = monotonicNanos()
    var bytes = 0

    mutating func wrote(_ n: Int) {
        guard bytesPerSecond > 0 else { return }
        bytes += n
        let due = UInt64(Double(bytes) / Double(bytesPerSecond) * 1e9)
        let elapsed = monotonicNanos() - start
        if due > elapsed { usleep(UInt32(min((due - elapsed) / 1000, 1_000_000))) }
    }
}
