import Foundation
import Testing
import StrataIO
import StrataTestSupport
@testable import StrataAgent

/// A real `strata serve` plus agent configurations pointing at it, and ways to ask the server
/// what arrived. Waiting is on the server's answers (polled), never on fixed sleeps.
final class AgentHarness {
    let dir = TemporaryDirectory("strata-agent-e2e")
    private(set) var server: ServerProcess
    let dataDir: String
    let logDir: String

    init() throws {
        dataDir = dir.path + "/data"
        logDir = dir.path + "/logs"
        try FileSystem.createDirectory(logDir)
        server = try ServerProcess(dataDir: dataDir)
    }

    var port: Int { server.port }

    /// Stops the server (SIGTERM) and starts it again on the same port and data directory.
    func restartServer(downWhile body: () throws -> Void = {}) throws {
        let p = server.port
        server.stop()
        try body()
        server = try ServerProcess(dataDir: dataDir, arguments: ["--http", "127.0.0.1:\(p)"])
    }

    /// An agent configuration: `inputs` is the YAML list body; the output is this server with
    /// small batches and a quick batch timeout so tests see lines soon.
    func configYAML(inputs: String, state: String? = nil, memoryBatches: Int = 16, extraOutput: String = "", hosts: [String]? = nil) -> String {
        let hostList = (hosts ?? ["127.0.0.1:\(port)"]).map { "    - \"\($0)\"" }.joined(separator: "\n")
        return """
            agent:
              id: "test-agent"
              hostname: "test-host"
              heartbeat_interval: 200ms
              checkpoint_interval: 100ms
              buffer:
                type: disk
                size: 64MB
                path: "\(state ?? dir.path + "/state")"
                memory_batches: \(memoryBatches)
            inputs:
            \(inputs)
            output:
              type: http
              hosts:
            \(hostList)
              batch_size: 200
              batch_timeout: 50ms
              backoff:
                initial: 20ms
                max: 200ms
              circuit_breaker:
                failures: 2
                cooldown: 200ms
            \(extraOutput)
            """
    }

    func config(_ yaml: String) throws -> AgentConfig {
        try AgentConfig.load(yaml: yaml, origin: "test.yaml")
    }

    func json(_ path: String) throws -> [String: Any] {
        let r = try server.client.get(path)
        let obj = try JSONSerialization.jsonObject(with: Data(r.body))
        return try #require(obj as? [String: Any], "not a JSON object (\(r.status)): \(r.text)")
    }

    static func encode(_ q: String) -> String { q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    /// Exact number of entries matching `q`.
    func total(_ q: String = "*") throws -> Int {
        try json("/api/logs?q=\(Self.encode(q))&limit=1")["total"] as? Int ?? -1
    }

    /// Every entry matching `q` (paged), newest first.
    func hits(_ q: String = "*") throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var cursor = ""
        while true {
            let j = try json("/api/logs?q=\(Self.encode(q))&limit=5000" + (cursor.isEmpty ? "" : "&cursor=\(cursor)"))
            let page = j["hits"] as? [[String: Any]] ?? []
            out += page
            guard let next = j["next_cursor"] as? String, !page.isEmpty else { return out }
            cursor = next
        }
    }

    /// Messages of every entry matching `q`.
    func messages(_ q: String = "*") throws -> [String] { try hits(q).compactMap { $0["message"] as? String } }

    /// Waits until at least `count` entries match `q`; returns the last total seen.
    @discardableResult
    func awaitTotal(_ q: String = "*", atLeast count: Int, seconds: Double = 60) throws -> Int {
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        var last = -1
        while monotonicNanos() < deadline {
            last = try total(q)
            if last >= count { return last }
            usleep(50_000)
        }
        Issue.record("timed out waiting for \(count) entries matching '\(q)'; have \(last)")
        return last
    }

    /// Waits until `condition` holds (checked every 20 ms), recording an issue on timeout.
    func await(_ what: String, seconds: Double = 30, _ condition: () throws -> Bool) rethrows {
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        while monotonicNanos() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        Issue.record("timed out waiting for \(what)")
    }
}

/// Appends text to a file the way an application's logger does (open, append, close is not
/// needed: one descriptor kept open with O_APPEND).
final class LogWriter {
    let path: String
    private var fd: Int32

    init(_ path: String) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        precondition(fd >= 0, "BUG: cannot open \(path)")
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { p in
            var off = 0
            while off < p.count { off += Glibc.write(fd, p.baseAddress! + off, p.count - off) }
        }
    }

    func write(bytes: [UInt8]) {
        bytes.withUnsafeBytes { p in
            var off = 0
            while off < p.count { off += Glibc.write(fd, p.baseAddress! + off, p.count - off) }
        }
    }

    /// Reopens the path (after a rename rotation: the logger's reopen).
    func reopen() {
        close(fd)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    deinit { close(fd) }
}
