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
    /// Disk records already handed to the shipper (peeked, not yet acknowledged).
    private var diskInFlight = false
    private var replaySequence: UInt64 = 1 << 62
    /// Counters for heartbeats and metrics.
    public private(set) var spilledBatches = 0
    public private(set) var blockedNanos: Int64 = 0

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
        var waitedSince: UInt64?
        defer { if let w = waitedSince { blockedNanos += Int64(monotonicNanos() - w) } }
        while !stopping {
            let diskEmpty = disk?.isEmpty ?? true
            if ring.count - ringHead < ringCapacity && diskEmpty {
                ring.append(batch)
                lock.broadcast()
                return true
            }
            if let disk {
                let ok: Bool
                do {
                    ok = try disk.append(batch.bufferRecord())
                    if ok { try disk.sync() }
                } catch { throw .io(path: disk.directory, operation: "buffer append (\(error))", errno: 0) }
                if ok {
                    spilledBatches += 1
                    checkpoints.markSafe(batch: batch.sequence, files: batch.files)
                    lock.broadcast()
                    return true
                }
            }
            if waitedSince == nil { waitedSince = monotonicNanos() }
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
            // Disk records are immutable: deliver the pieces from memory first, then acknowledge.
            ring.insert(contentsOf: pieces, at: ringHead)
            if let id = d.diskID, let disk {
                do { try disk.acknowledge(through: id) } catch { throw .io(path: disk.directory, operation: "buffer ack (\(error))", errno: 0) }
            }
        }
        lock.broadcast()
    }

    /// Whether nothing is waiting anywhere.
    public var isEmpty: Bool { lock.withLock { ringHead == ring.count && (disk?.isEmpty ?? true) } }

    /// Wakes every waiter and makes `enqueue` and `next` return.
    public func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }
}
