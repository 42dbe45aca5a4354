import StrataIO

/// The agent's buffer between batching and shipping: an in-memory ring of sealed batches that
/// spills to the on-disk buffer when the ring is full, preserving order.
///
/// Order: the ring only ever holds batches older than everything on disk (once a batch spills,
/// every later batch also goes to disk until the disk buffer drains), and the shipper takes from
/// the ring first — so delivery is first in, first out.
///
/// Durability: a batch in the ring is held only in memory — its files' checkpoints do not move
/// until a server acknowledges it. A spilled batch is written and fdatasync'ed before its
/// checkpoints advance. When the disk buffer is full (or there is none), `enqueue` blocks:
/// inputs stop reading (back-pressure) instead of dropping.
public final class DeliveryQueue: @unchecked Sendable {
    /// What the shipper got: the batch, and where it came from (to acknowledge it).
    public struct Delivery: Sendable {
        public var batch: Batch
        var diskID: DiskBuffer.RecordID?
    }

    public let ringCapacity: Int
    let disk: DiskBuffer?
    let checkpoints: CheckpointStore
    private let lock = ConditionLock()
    private var ring: [Batch] = []
    private var ringHead = 0
    private var stopping = false
    /// Producers waiting for room give up at this time (graceful stop): their lines are re-read
    /// from the files' checkpoints at the next start.
    private var producerDeadline: UInt64 = .max
    private var lastDiskError: String?
    /// Disk records already handed to the shipper (peeked, not yet acknowledged).
    private var diskInFlight = false
    private var replaySequence: UInt64 = 1 << 62
    /// Counters for heartbeats and metrics.
    private var spilled = 0
    /// Batches written to the disk buffer since start.
    public var spilledBatches: Int { lock.withLock { spilled } }

    public init(ringCapacity: Int, disk: DiskBuffer?, checkpoints: CheckpointStore) {
        self.ringCapacity = max(1, ringCapacity)
        self.disk = disk
        self.checkpoints = checkpoints
    }

    /// Batches waiting in memory.
    public var ringCount: Int { lock.withLock { ring.count - ringHead } }
    /// Bytes waiting on disk.
    public var diskBytes: Int { disk?.pendingBytes ?? 0 }
    /// Records waiting on disk.
    public var diskRecords: Int { disk?.pendingRecords ?? 0 }

    /// Adds a sealed batch, blocking while neither the ring nor the disk buffer has room.
    /// Returns false (the batch is not queued) once `stop()` was called.
    public func enqueue(_ batch: Batch) throws(AgentRuntimeError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while !stopping && monotonicNanos() < producerDeadline {
            let diskEmpty = disk?.isEmpty ?? true
            if ring.count - ringHead < ringCapacity && diskEmpty {
                ring.append(batch)
                lock.broadcast()
                return true
            }
            if let disk {
                var ok = false
                do {
                    ok = try disk.append(batch.bufferRecord())
                    if ok { try disk.sync() }
                } catch {
                    // Never drop the batch: wait as if the buffer were full, and say why once.
                    ok = false
                    let text = "\(error)"
                    if lastDiskError != text { AgentLog.error("disk buffer \(disk.directory): \(text); inputs wait") }
                    lastDiskError = text
                }
                if ok {
                    lastDiskError = nil
                    spilled += 1
                    checkpoints.markSafe(batch: batch.sequence, files: batch.files)
                    lock.broadcast()
                    return true
                }
            }
            lock.wait(seconds: 0.5)
        }
        return false
    }

    /// The oldest undelivered batch, waiting up to `seconds` for one; nil on timeout or stop.
    /// The same batch is returned again until it is acknowledged.
    public func next(waitSeconds seconds: Double) throws(AgentRuntimeError) -> Delivery? {
        lock.lock()
        defer { lock.unlock() }
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        while true {
            if ringHead < ring.count { return Delivery(batch: ring[ringHead], diskID: nil) }
            if let disk, !disk.isEmpty {
                let records: [(id: DiskBuffer.RecordID, payload: [UInt8])]
                do { records = try disk.peek(max: 1) } catch { throw .io(path: disk.directory, operation: "buffer read (\(error))", errno: 0) }
                if let r = records.first {
                    replaySequence += 1
                    if let b = Batch.fromBufferRecord(r.payload, sequence: replaySequence) {
                        return Delivery(batch: b, diskID: r.id)
                    }
                    // A record this agent cannot decode: skip it rather than block delivery forever.
                    do { try disk.acknowledge(through: r.id) } catch { throw .io(path: disk.directory, operation: "buffer ack (\(error))", errno: 0) }
                    continue
                }
            }
            let now = monotonicNanos()
            if stopping || now >= deadline { return nil }
            lock.wait(seconds: Double(deadline - now) / 1e9)
        }
    }

    /// Removes a delivered batch: its files' checkpoints advance (ring) or the disk buffer's
    /// head moves past it.
    public func acknowledge(_ d: Delivery) throws(AgentRuntimeError) {
        lock.lock()
        defer { lock.unlock() }
        if let id = d.diskID, let disk {
            do { try disk.acknowledge(through: id) } catch { throw .io(path: disk.directory, operation: "buffer ack (\(error))", errno: 0) }
        } else {
            precondition(ringHead < ring.count && ring[ringHead].sequence == d.batch.sequence, "BUG: acknowledging a batch that is not the oldest")
            // The last piece of a split disk record releases the record.
            if let id = ring[ringHead].splitFromDiskRecord, let disk {
                do { try disk.acknowledge(through: id) } catch { throw .io(path: disk.directory, operation: "buffer ack (\(error))", errno: 0) }
            }
            ringHead += 1
            if ringHead > 64 && ringHead * 2 > ring.count {
                ring.removeFirst(ringHead)
                ringHead = 0
            }
            checkpoints.markSafe(batch: d.batch.sequence, files: d.batch.files)
        }
        lock.broadcast()
    }

    /// Replaces the oldest batch with smaller ones (after a server refused it as too large);
    /// the pieces keep the original's files so checkpoints move only when the last is delivered.
    public func split(_ d: Delivery, into pieces: [Batch]) throws(AgentRuntimeError) {
        lock.lock()
        defer { lock.unlock() }
        if d.diskID == nil {
            precondition(ringHead < ring.count && ring[ringHead].sequence == d.batch.sequence, "BUG: splitting a batch that is not the oldest")
            ring.replaceSubrange(ringHead...ringHead, with: pieces)
        } else {
            // Disk records are immutable: the pieces go first from memory, and the record is
            // acknowledged only with the last of them (a crash before resends the record).
            var pieces = pieces
            pieces[pieces.count - 1].splitFromDiskRecord = d.diskID
            ring.insert(contentsOf: pieces, at: ringHead)
        }
        lock.broadcast()
    }

    /// Whether nothing is waiting anywhere.
    public var isEmpty: Bool { lock.withLock { ringHead == ring.count && (disk?.isEmpty ?? true) } }

    /// Makes producers still waiting for room at `deadline` give up (`enqueue` returns false).
    public func stopProducers(at deadline: UInt64) {
        lock.withLock {
            producerDeadline = deadline
            lock.broadcast()
        }
    }

    /// Wakes every waiter and makes `enqueue` and `next` return.
    public func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }
}
