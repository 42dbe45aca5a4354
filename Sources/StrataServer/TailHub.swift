import StrataFormat
import StrataIO
import StrataQuery

/// Live tail: every stored batch is offered to each subscriber's filter, and what matches is
/// queued for that subscriber's connection.
///
/// Ingest never waits for a tail: `publish` only filters and enqueues. Each subscriber's queue
/// holds at most `maxQueuedBatches`; a subscriber that falls further behind is dropped — its
/// stream ends with `.overflow` so the connection can tell the client why before closing.
public final class TailHub: @unchecked Sendable {
    public enum Event: Sendable {
        case entries([LogEntry])
        /// The subscriber fell more than `maxQueuedBatches` behind and was dropped.
        case overflow
    }

    final class Subscriber: @unchecked Sendable {
        let filter: EntryFilter
        let continuation: AsyncStream<Event>.Continuation
        var dropped = false
        /// Batches queued and not yet taken by the connection (under the hub's lock).
        var pending = 0
        init(filter: EntryFilter, continuation: AsyncStream<Event>.Continuation) {
            self.filter = filter
            self.continuation = continuation
        }
    }

    private let lock = ConditionLock()
    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    public let maxQueuedBatches: Int

    public init(maxQueuedBatches: Int = 1024) { self.maxQueuedBatches = maxQueuedBatches }

    public var activeCount: Int { lock.withLock { subscribers.count } }

    /// A new subscriber; its events arrive on the returned stream until `unsubscribe`.
    public func subscribe(_ filter: EntryFilter) -> (id: Int, events: AsyncStream<Event>) {
        // The queue's bound is kept by `pending`, so the overflow notice always fits.
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .unbounded)
        let id: Int = lock.withLock {
            nextID += 1
            subscribers[nextID] = Subscriber(filter: filter, continuation: continuation)
            return nextID
        }
        return (id, stream)
    }

    public func unsubscribe(_ id: Int) {
        let s = lock.withLock { subscribers.removeValue(forKey: id) }
        s?.continuation.finish()
    }

    /// Entries as stored: with the sequences the engine assigned (so their ids are right).
    static func stamped(_ entries: [LogEntry], _ ids: [LogID]) -> [LogEntry] {
        var out = entries
        for i in out.indices where i < ids.count { out[i].sequence = ids[i].sequence }
        return out
    }

    /// The connection of subscriber `id` took one batch off its queue.
    public func delivered(_ id: Int) {
        lock.withLock { if let s = subscribers[id], s.pending > 0 { s.pending -= 1 } }
    }

    /// Offers stored entries to every subscriber.
    public func publish(_ entries: [LogEntry]) {
        guard !entries.isEmpty else { return }
        let current = lock.withLock { Array(subscribers.values) }
        for s in current {
            let matching = s.filter.filter(entries)
            guard !matching.isEmpty else { continue }
            let overflow: Bool? = lock.withLock {
                if s.dropped { return nil }
                if s.pending >= maxQueuedBatches {
                    s.dropped = true
                    return true
                }
                s.pending += 1
                return false
            }
            switch overflow {
            case false?: s.continuation.yield(.entries(matching))
            case true?:
                // Too far behind: what is queued is still delivered, then the notice, then the end.
                s.continuation.yield(.overflow)
                s.continuation.finish()
            case nil: continue
            }
        }
    }
}
