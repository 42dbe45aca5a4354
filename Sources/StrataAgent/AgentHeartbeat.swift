import StrataFormat
import StrataIO

/// Sends `POST /api/agents/heartbeat` every `heartbeat_interval` to the first endpoint that
/// answers: the agent's id, host, version, resource use, buffer levels, shipping counters and
/// each input's status. On its own thread so that a stuck delivery never silences it.
final class AgentHeartbeat: @unchecked Sendable {
    let config: AgentConfig
    let report: () -> [UInt8]
    private let lock = ConditionLock()
    private var stopping = false
    private var thread: AgentThread?
    /// Heartbeats a server acknowledged.
    private(set) var sent = 0

    init(config: AgentConfig, report: @escaping () -> [UInt8]) {
        self.config = config
        self.report = report
    }

    func start() {
        thread = AgentThread(name: "heartbeat") { [self] in run() }
    }

    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        thread?.join()
        thread = nil
    }

    private func run() {
        while true {
            beat()
            let until = monotonicNanos() + UInt64(config.heartbeatIntervalNanos)
            let quit: Bool = lock.withLock {
                while !stopping {
                    let now = monotonicNanos()
                    if now >= until { break }
                    lock.wait(seconds: Double(until - now) / 1e9)
                }
                return stopping
            }
            if quit { return }
        }
    }

    /// One heartbeat to the first endpoint that takes it.
    func beat() {
        let body = report()
        for ep in config.output.endpoints {
            guard let c = try? AgentHTTPConnection(host: ep.host, port: ep.port, tls: config.output.tls, connectTimeoutMillis: 1000, ioTimeoutMillis: 3000) else { continue }
            defer { c.close() }
            var headers: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", "strata-agent/\(AgentVersion.string)")]
            if let t = config.output.token { headers.append(("Authorization", "Bearer " + t)) }
            if let r = try? c.send(method: "POST", path: "/api/agents/heartbeat", headers: headers, body: body), (200..<300).contains(r.status) {
                lock.withLock { sent += 1 }
                return
            }
        }
    }
}
