import StrataCodec
import StrataIO

/// Delivers batches from the delivery queue to Strata servers (`POST /api/logs`), one at a
/// time, oldest first.
///
/// Endpoints: round-robin over the available ones (`load_balance`), or the first available in
/// order (failover). A failed request moves on to the next available endpoint at once; when
/// every endpoint failed, the shipper waits an exponential backoff with jitter and starts over.
/// Each endpoint has a circuit breaker (`EndpointHealth`).
///
/// At-least-once: a batch leaves the queue (and its files' checkpoints advance) only after a
/// server answered 2xx. A batch the server refuses as too large (413) is split in two and the
/// line target shrinks; a batch whose every record the server rejected as invalid (400) is
/// acknowledged and counted — resending identical bytes cannot succeed. Everything else
/// (connection errors, timeouts, 429, 5xx, 401/403) is retried indefinitely.
public final class Shipper: @unchecked Sendable {
    let output: OutputConfig
    let queue: DeliveryQueue
    let assembler: BatchAssembler
    let agentID: String
    private let lock = ConditionLock()
    private var health: [EndpointHealth]
    private var connections: [AgentHTTPConnection?]
    private var nextEndpoint = 0
    private var stopping = false
    private var drainDeadline: UInt64 = .max
    private var thread: AgentThread?
    private var random = SystemRandomNumberGenerator()
    let backoff: Backoff

    /// Counters for heartbeats.
    public struct Counters: Sendable {
        public var batches = 0
        public var lines = 0
        public var wireBytes = 0
        public var rawBytes = 0
        public var rejectedRecords = 0
        public var failedRequests = 0
        public var splitBatches = 0
    }
    private var countersValue = Counters()
    public var counters: Counters { lock.withLock { countersValue } }

    public init(output: OutputConfig, queue: DeliveryQueue, assembler: BatchAssembler, agentID: String) {
        self.output = output
        self.queue = queue
        self.assembler = assembler
        self.agentID = agentID
        health = output.endpoints.map { EndpointHealth(endpoint: $0, failureThreshold: output.breakerFailures, cooldownNanos: output.breakerCooldownNanos) }
        connections = Array(repeating: nil, count: output.endpoints.count)
        backoff = Backoff(initialNanos: output.backoffInitialNanos, maxNanos: output.backoffMaxNanos)
    }

    /// Each endpoint's breaker state and counters, for heartbeats.
    public func endpointStatus() -> [(endpoint: String, state: String, requests: Int, failures: Int, lastError: String?)] {
        lock.withLock {
            let now = monotonicNanos()
            return health.map { ("\($0.endpoint.host):\($0.endpoint.port)", $0.state(now: now).rawValue, $0.requests, $0.failures, $0.lastError) }
        }
    }

    public func start() {
        thread = AgentThread(name: "shipper") { [self] in run() }
    }

    /// Stops after delivering what is queued, or at `deadline` (monotonic nanos) at the latest.
    public func stop(drainUntil deadline: UInt64) {
        lock.withLock {
            stopping = true
            drainDeadline = deadline
            lock.broadcast()
        }
        thread?.join()
        thread = nil
        for c in connections { c?.close() }
    }

    private var mustQuit: Bool {
        lock.withLock { stopping && (monotonicNanos() >= drainDeadline) }
    }

    private func run() {
        while true {
            if lock.withLock({ stopping }) && (queue.isEmpty || mustQuit) { return }
            let delivery: DeliveryQueue.Delivery?
            do { delivery = try queue.next(waitSeconds: 0.2) } catch {
                note(error: error.description)
                sleepInterruptibly(1_000_000_000)
                continue
            }
            guard let d = delivery else { continue }
            if !deliver(d) { return }
        }
    }

    /// Sends one batch until a server takes it; false if the shipper must quit first.
    private func deliver(_ d: DeliveryQueue.Delivery) -> Bool {
        if d.batch.lines == 0 {
            try? queue.acknowledge(d)
            return true
        }
        var round = 0
        var tried = Set<Int>()
        while !mustQuit {
            let now = monotonicNanos()
            guard let i = pickEndpoint(now: now, excluding: tried) else {
                // Every endpoint failed this round or is open: back off, then start over.
                round += 1
                tried.removeAll()
                var wait = backoff.delay(attempt: round, using: &random)
                let reopen = lock.withLock { health.map { $0.reopensAt() }.filter { $0 > now }.min() }
                if let reopen, lock.withLock({ health.allSatisfy { !$0.available(now: now) } }) {
                    wait = max(wait, Int64(reopen - now))
                }
                sleepInterruptibly(wait)
                continue
            }
            tried.insert(i)
            switch send(d.batch, to: i) {
            case .delivered(let rejected):
                // The server has the batch: retry only the acknowledgement (never resend).
                var attempt = 0
                while true {
                    do {
                        try queue.acknowledge(d)
                        break
                    } catch {
                        attempt += 1
                        note(error: "delivered batch not acknowledged in the buffer (\(error)); retrying")
                        if mustQuit { return false }
                        sleepInterruptibly(backoff.delay(attempt: attempt, using: &random))
                    }
                }
                lock.withLock {
                    health[i].succeeded()
                    countersValue.batches += 1
                    countersValue.lines += d.batch.lines - rejected
                    countersValue.rejectedRecords += rejected
                    countersValue.wireBytes += d.batch.body.count
                    countersValue.rawBytes += d.batch.rawBytes
                }
                assembler.adapt(tooLarge: false)
                return true
            case .tooLarge:
                lock.withLock { health[i].succeeded() }
                assembler.adapt(tooLarge: true)
                if let pieces = split(d.batch) {
                    do { try queue.split(d, into: pieces) } catch { note(error: error.description) }
                    lock.withLock { countersValue.splitBatches += 1 }
                } else {
                    // One record larger than the server accepts: it can never be delivered.
                    try? queue.acknowledge(d)
                    lock.withLock { countersValue.rejectedRecords += d.batch.lines }
                }
                return true
            case .failed(let reason, let retryAfterNanos):
                lock.withLock {
                    health[i].failed(reason, now: monotonicNanos())
                    countersValue.failedRequests += 1
                }
                connections[i]?.close()
                connections[i] = nil
                if let retryAfterNanos { sleepInterruptibly(retryAfterNanos) }
            }
        }
        return false
    }

    enum Outcome {
        case delivered(rejected: Int)
        case tooLarge
        case failed(String, retryAfterNanos: Int64?)
    }

    private func send(_ b: Batch, to i: Int) -> Outcome {
        let ep = output.endpoints[i]
        if connections[i] == nil {
            do {
                connections[i] = try AgentHTTPConnection(host: ep.host, port: ep.port, tls: output.tls,
                                                         connectTimeoutMillis: Int(output.connectTimeoutNanos / 1_000_000),
                                                         ioTimeoutMillis: Int(output.requestTimeoutNanos / 1_000_000))
            } catch {
                return .failed("\(ep.host):\(ep.port): \(error)", retryAfterNanos: nil)
            }
        }
        var headers: [(String, String)] = [("Content-Type", "application/x-ndjson"), ("User-Agent", "strata-agent/\(AgentVersion.string)"),
                                           ("X-Strata-Agent", agentID)]
        if let enc = BodyCompression(b.compression).contentEncoding { headers.append(("Content-Encoding", enc)) }
        if let token = output.token { headers.append(("Authorization", "Bearer " + token)) }
        let response: AgentHTTPResponse
        do {
            response = try connections[i]!.send(method: "POST", path: output.path, headers: headers, body: b.body)
        } catch {
            if case .timeout = error { assembler.adapt(tooLarge: true) }
            return .failed("\(ep.host):\(ep.port): \(error)", retryAfterNanos: nil)
        }
        switch response.status {
        case 200..<300:
            return .delivered(rejected: Self.number(after: "\"rejected\":", in: response.body) ?? 0)
        case 413:
            return .tooLarge
        case 400 where Self.number(after: "\"accepted\":", in: response.body) == 0 && Self.number(after: "\"rejected\":", in: response.body) != nil:
            // Every record was rejected as invalid (the ingest result says so): resending the
            // same bytes cannot succeed. Any other 400 (a proxy, an encoding problem) is retried.
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            note(error: "\(ep.host):\(ep.port) rejected a batch of \(b.lines) records: \(text)")
            return .delivered(rejected: b.lines)
        default:
            let retry = response.headers.first { $0.0 == "retry-after" }.flatMap { Int64($0.1) }.map { min($0, 300) * 1_000_000_000 }
            let text = String(decoding: response.body.prefix(200), as: UTF8.self)
            return .failed("\(ep.host):\(ep.port) answered \(response.status): \(text)", retryAfterNanos: retry)
        }
    }

    /// The next endpoint to try: available now and not yet tried in this round.
    private func pickEndpoint(now: UInt64, excluding tried: Set<Int>) -> Int? {
        lock.withLock {
            let n = health.count
            if output.loadBalance {
                for k in 0..<n {
                    let i = (nextEndpoint + k) % n
                    if !tried.contains(i) && health[i].available(now: now) {
                        nextEndpoint = (i + 1) % n
                        return i
                    }
                }
                return nil
            }
            return (0..<n).first { !tried.contains($0) && health[$0].available(now: now) }
        }
    }

    /// Halves a batch by lines (decompress, split the NDJSON, compress each half); nil for a
    /// single line. The first half carries no files so checkpoints move with the second.
    func split(_ b: Batch) -> [Batch]? {
        guard b.lines > 1, let raw = Self.decompress(b) else { return nil }
        var cut = 0
        var seen = 0
        for (k, byte) in raw.enumerated() where byte == 0x0A {
            seen += 1
            if seen == b.lines / 2 { cut = k + 1; break }
        }
        guard cut > 0 && cut < raw.count else { return nil }
        let first = Array(raw[..<cut]), second = Array(raw[cut...])
        func make(_ body: [UInt8], lines: Int, files: [FileIdentity]) -> Batch {
            Batch(sequence: b.sequence, lines: lines, rawBytes: body.count, compression: b.compression,
                  body: BodyCompression(b.compression, level: output.compressionLevel).compress(body).bytes, files: files)
        }
        return [make(first, lines: b.lines / 2, files: []), make(second, lines: b.lines - b.lines / 2, files: b.files)]
    }

    /// The uncompressed NDJSON of a batch.
    static func decompress(_ b: Batch) -> [UInt8]? {
        let encoding: StreamDecompression.Encoding
        switch b.compression {
        case .none: return b.body
        case .zstd: encoding = .zstd
        case .gzip: encoding = .gzip
        case .lz4: encoding = .lz4
        }
        return try? b.body.withUnsafeBytes { p throws(StreamDecompression.Failure) in
            try StreamDecompression.decompress(p, encoding: encoding, limit: max(b.rawBytes, 1))
        }
    }

    static func number(after key: String, in body: [UInt8]) -> Int? {
        let k = Array(key.utf8)
        guard body.count >= k.count else { return nil }
        for i in 0...(body.count - k.count) where body[i] == k[0] && Array(body[i..<(i + k.count)]) == k {
            var j = i + k.count
            var v = 0
            var any = false
            while j < body.count, body[j] >= 0x30, body[j] <= 0x39 { v = v * 10 + Int(body[j] - 0x30); j += 1; any = true }
            return any ? v : nil
        }
        return nil
    }

    private func note(error: String) { AgentLog.warning(error) }

    private func sleepInterruptibly(_ nanos: Int64) {
        let until = monotonicNanos() + UInt64(max(0, nanos))
        lock.withLock {
            while !(stopping && monotonicNanos() >= drainDeadline) {
                let now = monotonicNanos()
                guard now < until else { return }
                lock.wait(seconds: min(0.2, Double(until - now) / 1e9))
            }
        }
    }
}
