import StrataIO

/// Collects NDJSON entries from every input into the open batch and seals it — compressed once
/// — when it reaches the adaptive line target, the byte limit, or its age limit.
///
/// Adaptive size: the line target starts at `batch_size`; a server answer of 413 or a timed-out
/// request halves it (down to `min_batch_size`), and each delivered batch grows it by an eighth
/// (back up to `batch_size`). Thread-safe; `append` blocks while the delivery queue is full.
public final class BatchAssembler: @unchecked Sendable {
    let output: OutputConfig
    let queue: DeliveryQueue
    let checkpoints: CheckpointStore
    private let lock = ConditionLock()
    private var body: [UInt8] = []
    private var lines = 0
    private var files: [FileIdentity] = []
    private var openedAtNanos: UInt64 = 0
    private var sequence: UInt64 = 1
    /// The adaptive line target, under its own lock: the shipper adapts it while a producer
    /// may be blocked in `enqueue` holding `lock`.
    private let targetLock = ConditionLock()
    private var target: Int
    /// Counters.

    public init(output: OutputConfig, queue: DeliveryQueue, checkpoints: CheckpointStore) {
        self.output = output
        self.queue = queue
        self.checkpoints = checkpoints
        target = output.batchLines
        body.reserveCapacity(min(output.batchBytes, 1 << 20) + (64 << 10))
    }

    /// The current adaptive line target.
    public var targetLines: Int { targetLock.withLock { target } }

    /// Adds `count` entries (`ndjson`: one JSON object per line, each ending in `\n`). With
    /// `file`, the entries are that file's lines up to the raw `offset`.
    /// Returns false when the agent is stopping (the entries were not taken).
    public func append(_ ndjson: UnsafeRawBufferPointer, count: Int, file: FileIdentity? = nil, offset: Int = 0) throws(AgentRuntimeError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if lines == 0 && files.isEmpty { openedAtNanos = monotonicNanos() }
        body.append(contentsOf: ndjson)
        lines += count
        if let file {
            checkpoints.handOut(file, offset: offset, batch: sequence)
            if !files.contains(file) { files.append(file) }
        }
        if lines >= targetLines || body.count >= output.batchBytes { return try sealLocked() }
        return true
    }

    /// Seals the open batch if it is older than `batch_timeout` (called by the agent's clock).
    public func sealIfDue() throws(AgentRuntimeError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard lines > 0 || !files.isEmpty, monotonicNanos() - openedAtNanos >= UInt64(output.batchTimeoutNanos) else { return true }
        return try sealLocked()
    }

    /// Seals whatever is open.
    public func flush() throws(AgentRuntimeError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return lines == 0 ? true : try sealLocked()
    }

    /// Adapts the line target to the server's answers.
    public func adapt(tooLarge: Bool) {
        targetLock.withLock {
            if tooLarge {
                target = max(output.minBatchLines, target / 2)
            } else if target < output.batchLines {
                target = min(output.batchLines, target + max(1, target / 8))
            }
        }
    }

    private func sealLocked() throws(AgentRuntimeError) -> Bool {
        let compressed = BodyCompression(output.compression, level: output.compressionLevel).compress(body).bytes
        let batch = Batch(sequence: sequence, lines: lines, rawBytes: body.count, compression: output.compression, body: compressed, files: files)
        sequence += 1
        body.removeAll(keepingCapacity: true)
        lines = 0
        files.removeAll(keepingCapacity: true)
        return try queue.enqueue(batch)
    }
}
