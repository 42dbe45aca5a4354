import Dispatch
import NIOCore
import NIOPosix
import NIOSSL
import StrataEngine
import StrataFormat
import StrataIO

/// Collects entries from the stream listeners (syslog, Fluentd forward), which have no
/// per-request acknowledgement to wait for, and appends them to the engine in batches on a
/// serial queue: a batch is written when it reaches `batchEntries` or `lingerMillis` after its
/// first entry, whichever comes first.
///
/// Back-pressure: while more than `maxPending` entries wait, `overloaded` is true. TCP
/// listeners then stop reading their sockets until `whenDrained` fires; UDP datagrams are
/// dropped and counted as rejected (there is no way to slow a UDP sender).
final class EntrySink: @unchecked Sendable {
    private let lock = ConditionLock()
    private var pending: [(LogEntry, IngestProtocol)] = []
    /// Called once the batch holding everything queued before them has been written (true) or
    /// failed (false): the acknowledgements of protocols that have them.
    private var completions: [@Sendable (Bool) -> Void] = []
    private var scheduled = false
    private var inFlight = 0
    private var drainedCallbacks: [@Sendable () -> Void] = []
    private let queue = DispatchQueue(label: "strata.server.sink")
    let engine: Engine
    let record: @Sendable (IngestProtocol, Int, Int) -> Void
    let publish: @Sendable ([LogEntry]) -> Void
    /// The configured pipelines: what to store of each batch.
    let transform: @Sendable ([LogEntry]) -> [LogEntry]
    let batchEntries: Int
    let lingerMillis: Int
    let maxPending: Int

    /// `record(protocol, accepted, rejected)` is told what each batch did.
    /// `publish` receives each stored batch (for live tail).
    init(engine: Engine, batchEntries: Int = 8192, lingerMillis: Int = 20, maxPending: Int = 200_000,
         transform: @escaping @Sendable ([LogEntry]) -> [LogEntry] = { $0 },
         publish: @escaping @Sendable ([LogEntry]) -> Void = { _ in },
         record: @escaping @Sendable (IngestProtocol, Int, Int) -> Void) {
        self.engine = engine
        self.publish = publish
        self.transform = transform
        self.batchEntries = batchEntries
        self.lingerMillis = lingerMillis
        self.maxPending = maxPending
        self.record = record
    }

    var overloaded: Bool { lock.withLock { pending.count + inFlight > maxPending } }

    /// Queues entries; returns false (and queues nothing) if `dropWhenFull` and the sink is full.
    @discardableResult
    func submit(_ entries: [LogEntry], _ proto: IngestProtocol, dropWhenFull: Bool = false,
                onStored: (@Sendable (Bool) -> Void)? = nil) -> Bool {
        guard !entries.isEmpty || onStored != nil else { return true }
        var valid = [LogEntry]()
        valid.reserveCapacity(entries.count)
        for e in entries where e.validationError == nil { valid.append(e) }
        if valid.count < entries.count { record(proto, 0, entries.count - valid.count) }
        let (accepted, schedule, flushNow): (Bool, Bool, Bool) = lock.withLock {
            if dropWhenFull && pending.count + inFlight > maxPending { return (false, false, false) }
            for e in valid { pending.append((e, proto)) }
            if let onStored { completions.append(onStored) }
            let s = !scheduled
            if s { scheduled = true }
            return (true, s, pending.count >= batchEntries)
        }
        if !accepted {
            record(proto, 0, valid.count)
            return false
        }
        if flushNow {
            queue.async { self.writeBatch() }
        } else if schedule {
            queue.asyncAfter(deadline: .now() + .milliseconds(lingerMillis)) { self.writeBatch() }
        }
        return true
    }

    /// If the backlog is over the limit, stops reading `channel` until it drains: a TCP sender
    /// is slowed down instead of losing entries.
    func pushBack(_ channel: Channel) {
        guard overloaded else { return }
        channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in
            self.whenDrained { channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in } }
        }
    }

    /// A TCP listener whose connections each get a handler from `makeHandler`.
    static func tcpListener<H: ChannelInboundHandler & Sendable>(host: String, port: Int, tls: NIOSSLContext? = nil,
                                                               _ makeHandler: @escaping @Sendable () -> H) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    if let tls { try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try ch.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
            .bind(host: host, port: port).get()
    }

    /// Counts records a listener refused before queueing.
    func countRejected(_ proto: IngestProtocol, _ n: Int) { if n > 0 { record(proto, 0, n) } }

    /// Calls `body` once the backlog is below the limit again (at once if it already is).
    func whenDrained(_ body: @escaping @Sendable () -> Void) {
        let now: Bool = lock.withLock {
            if pending.count + inFlight <= maxPending { return true }
            drainedCallbacks.append(body)
            return false
        }
        if now { body() }
    }

    /// Writes everything queued (used at shutdown, after the listeners closed).
    func drain() {
        queue.sync { self.writeBatch() }
    }

    private func writeBatch() {
        let (batch, done): ([(LogEntry, IngestProtocol)], [@Sendable (Bool) -> Void]) = lock.withLock {
            let b = pending, c = completions
            pending.removeAll(keepingCapacity: true)
            completions.removeAll()
            scheduled = false
            inFlight += b.count
            return (b, c)
        }
        guard !batch.isEmpty else {
            for c in done { c(true) }
            return
        }
        var counts = [IngestProtocol: Int]()
        for (_, p) in batch { counts[p, default: 0] += 1 }
        do throws(EngineError) {
            let entries = transform(batch.map(\.0))
            let ids = entries.isEmpty ? [] : try engine.append(entries)
            for (p, n) in counts { record(p, n, 0) }
            publish(TailHub.stamped(entries, ids))
            for c in done { c(true) }
        } catch {
            FileLog.error("strata: \(batch.count) entries from stream listeners could not be stored: \(error)")
            for (p, n) in counts { record(p, 0, n) }
            for c in done { c(false) }
        }
        let callbacks: [@Sendable () -> Void] = lock.withLock {
            inFlight -= batch.count
            guard pending.count + inFlight <= maxPending else { return [] }
            let c = drainedCallbacks
            drainedCallbacks.removeAll()
            return c
        }
        for c in callbacks { c() }
    }
}
