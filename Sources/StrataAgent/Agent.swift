import StrataFormat
import StrataIO

/// A running agent: inputs → batch assembler → delivery queue (ring + disk) → shipper, plus
/// the clock (seals batches on time, saves checkpoints) and the heartbeat.
///
/// State lives in `agent.buffer.path`: `LOCK` (one agent per state directory), `checkpoints`
/// and `queue/` (the on-disk buffer, see format-spec/agent-buffer.md).
///
/// Stop order: inputs first (no new lines), then the open batch is sealed, the shipper gets
/// `shutdown_timeout` to deliver what is queued, and the checkpoints are saved. Anything not
/// delivered by then is either on disk (replayed at the next start) or re-read from its file
/// (its checkpoint never passed it).
public final class Agent: @unchecked Sendable {
    public let config: AgentConfig
    let lockFile: DirectoryLock
    public let checkpoints: CheckpointStore
    let disk: DiskBuffer?
    public let queue: DeliveryQueue
    public let assembler: BatchAssembler
    public let shipper: Shipper
    public private(set) var inputs: [AgentInput] = []
    private var heartbeat: AgentHeartbeat?
    private var clock: AgentThread?
    private let lock = ConditionLock()
    private var stopping = false
    private let startedAtNanos = wallClockNanos()
    private let startUsage = ResourceUsage.current()

    /// Opens the state directory (taking its lock), the checkpoints and the disk buffer.
    public init(config: AgentConfig) throws(AgentRuntimeError) {
        self.config = config
        do {
            try FileSystem.createDirectory(config.statePath)
            lockFile = try DirectoryLock(directory: config.statePath)
        } catch {
            throw .io(path: error.path, operation: error.operation, errno: error.errno)
        }
        checkpoints = try CheckpointStore(path: config.statePath + "/checkpoints")
        if config.bufferType == .disk {
            do { disk = try DiskBuffer(directory: config.statePath + "/queue", maxBytes: config.bufferMaxBytes) } catch {
                throw .io(path: config.statePath + "/queue", operation: "open buffer (\(error))", errno: 0)
            }
        } else {
            disk = nil
        }
        queue = DeliveryQueue(ringCapacity: config.memoryBatches, disk: disk, checkpoints: checkpoints)
        assembler = BatchAssembler(output: config.output, queue: queue, checkpoints: checkpoints)
        shipper = Shipper(output: config.output, queue: queue, assembler: assembler, agentID: config.id)
    }

    /// Starts shipping, then every input; throws (after stopping what started) if an input
    /// cannot start, e.g. a listen address in use.
    public func start() throws(AgentRuntimeError) {
        shipper.start()
        var constant = config.processors.fields
        if config.processors.addHostMetadata { constant += HostMetadata.fields() }
        let sink = EntrySinkAdapter(assembler: assembler, extraFields: constant)
        for input in config.inputs {
            let made: AgentInput
            switch input {
            case .file(let f):
                made = try FileTailer(config: f, checkpoints: checkpoints, batcher: assembler, host: config.hostname,
                                      constantFields: constant, addContainerLabels: config.processors.addDockerLabels)
            case .syslog(let n):
                made = try NetworkInputs.syslog(n, sink: sink, host: config.hostname)
            case .http(let n):
                made = try NetworkInputs.http(n, sink: sink, host: config.hostname)
            }
            do { try made.start() } catch {
                stop()
                throw error
            }
            inputs.append(made)
        }
        clock = AgentThread(name: "clock") { [self] in runClock() }
        heartbeat = AgentHeartbeat(config: config) { [self] in statusJSON() }
        heartbeat?.start()
        AgentLog.info("strata-agent \(AgentVersion.string) started as '\(config.id)': \(inputs.count) inputs, shipping to \(config.output.endpoints.map { "\($0.host):\($0.port)" }.joined(separator: ", "))")
    }

    /// Stops inputs, delivers what it can within `shutdown_timeout`, saves checkpoints. Never
    /// waits longer than about `shutdown_timeout` plus one request timeout.
    public func stop() {
        let already = lock.withLock { () -> Bool in
            defer { stopping = true; lock.broadcast() }
            return stopping
        }
        if already { return }
        // One deadline for the whole stop: producers blocked on a full buffer give up at it
        // (their lines are re-read from checkpoints), and the shipper delivers until it.
        let deadline = monotonicNanos() + UInt64(max(0, config.shutdownTimeoutNanos))
        queue.stopProducers(at: deadline)
        for i in inputs { i.stop() }
        clock?.join()
        _ = try? assembler.flush()
        shipper.stop(drainUntil: deadline)
        queue.stop()
        heartbeat?.stop()
        do { try checkpoints.saveIfChanged() } catch { AgentLog.error("saving checkpoints: \(error)") }
        try? disk?.close()
        lockFile.release()
        AgentLog.info("strata-agent stopped")
    }

    private func runClock() {
        var nextSave = monotonicNanos() + UInt64(config.checkpointIntervalNanos)
        while true {
            let quit: Bool = lock.withLock {
                if !stopping { lock.wait(seconds: 0.05) }
                return stopping
            }
            if quit { return }
            do { _ = try assembler.sealIfDue() } catch { AgentLog.error("sealing a batch: \(error)") }
            if monotonicNanos() >= nextSave {
                do { try checkpoints.saveIfChanged() } catch { AgentLog.error("saving checkpoints: \(error)") }
                nextSave = monotonicNanos() + UInt64(config.checkpointIntervalNanos)
            }
        }
    }

    /// The heartbeat body (also `strata-agent --status`-style diagnostics).
    public func statusJSON() -> [UInt8] {
        let usage = ResourceUsage.current()
        let uptime = Double(wallClockNanos() - startedAtNanos) / 1e9
        let cpu = Double(usage.cpuNanos - startUsage.cpuNanos) / 1e9
        let c = shipper.counters
        var o = JSONObjectWriter()
        o.string("id", config.id)
        o.string("host", config.hostname)
        o.string("version", AgentVersion.string)
        o.string("started_at", Timestamp.format(startedAtNanos))
        o.number("uptime_seconds", uptime)
        o.object("resources") { r in
            r.int("rss_bytes", usage.rssBytes)
            r.number("cpu_seconds", cpu)
            r.number("cpu_percent", uptime > 0 ? 100 * cpu / uptime : 0)
        }
        o.object("buffer") { b in
            b.string("type", config.bufferType.rawValue)
            b.int("ring_batches", queue.ringCount)
            b.int("disk_bytes", queue.diskBytes)
            b.int("disk_records", queue.diskRecords)
            b.int("max_bytes", config.bufferMaxBytes)
            b.int("spilled_batches", queue.spilledBatches)
        }
        o.object("output") { s in
            s.int("batches", c.batches)
            s.int("lines", c.lines)
            s.int("wire_bytes", c.wireBytes)
            s.int("raw_bytes", c.rawBytes)
            s.int("rejected_records", c.rejectedRecords)
            s.int("failed_requests", c.failedRequests)
            s.int("split_batches", c.splitBatches)
            s.int("batch_target", assembler.targetLines)
            s.array("endpoints", shipper.endpointStatus()) { e, w in
                w.string("endpoint", e.endpoint)
                w.string("state", e.state)
                w.int("requests", e.requests)
                w.int("failures", e.failures)
                if let l = e.lastError { w.string("last_error", l) }
            }
        }
        o.array("inputs", inputs.map(\.status)) { s, w in
            w.string("name", s.name)
            w.string("type", s.type)
            w.string("state", s.state)
            w.int("files", s.files)
            w.int("lines", s.lines)
            w.int("bytes", s.bytes)
            w.int("truncated", s.truncated)
            w.int("errors", s.errors)
            if let e = s.lastError { w.string("last_error", e) }
        }
        return o.finish()
    }
}

/// Hands network inputs' entries to the batch assembler as NDJSON, with the processors' fields.
final class EntrySinkAdapter: AgentEntrySink, @unchecked Sendable {
    let assembler: BatchAssembler
    let extraFields: [Field]
    private let lock = ConditionLock()
    private var buffer: [UInt8] = []

    init(assembler: BatchAssembler, extraFields: [(String, String)]) {
        self.assembler = assembler
        self.extraFields = extraFields.map { Field($0.0, .string($0.1)) }
    }

    func accept(_ entries: [LogEntry]) -> Bool {
        lock.withLock {
            buffer.removeAll(keepingCapacity: true)
            for var e in entries {
                for f in extraFields where e.field(f.key) == nil { e.fields.append(f) }
                LogEntryJSON.appendForIngest(e, to: &buffer)
                buffer.append(0x0A)
            }
            do {
                return try buffer.withUnsafeBytes { p throws(AgentRuntimeError) in try assembler.append(p, count: entries.count) }
            } catch {
                AgentLog.error("buffering entries: \(error)")
                return false
            }
        }
    }
}
