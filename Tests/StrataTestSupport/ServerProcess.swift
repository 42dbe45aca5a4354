import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `strata serve` process (the binary `swift build` produced), started on a free port.
/// `start` returns once the server prints its listening line, so tests wait on that event,
/// not on a sleep.
public final class ServerProcess {
    public let process: Process
    public let port: Int
    /// Ports of the stream listeners, when enabled.
    public let syslogUDPPort: Int?
    public let syslogTCPPort: Int?
    public let syslogTLSPort: Int?
    public let forwardPort: Int?
    public let client: HTTPTestClient
    private let stderrPipe: Pipe
    /// Everything the server wrote to stderr up to the listening line.
    public let startupLog: String

    public enum Failure: Error, CustomStringConvertible {
        case exitedEarly(status: Int32, log: String)
        public var description: String {
            switch self {
            case .exitedEarly(let s, let log): "strata serve exited with status \(s) before listening:\n\(log)"
            }
        }
    }

    /// The `strata` binary next to the test bundle's build products.
    public static var binaryPath: String { binaryPath(named: "strata") }

    /// A binary of this package (`strata`, `segtool`) among the build products.
    public static func binaryPath(named name: String) -> String {
        let root = packageRootPath()
        for config in ["debug", "release"] {
            let p = root + "/.build/\(config)/" + name
            if access(p, X_OK) == 0 { return p }
        }
        return root + "/.build/debug/" + name
    }

    /// Starts `strata serve --data-dir DIR --http 127.0.0.1:0 EXTRA…` with `environment` added.
    public init(dataDir: String, arguments: [String] = [], environment: [String: String] = [:],
                workingDirectory: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = ["serve", "--data-dir", dataDir, "--http", "127.0.0.1:0"] + arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        stderrPipe = Pipe()
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Read stderr until the listening line (blocking reads: the event itself).
        var log = ""
        var found: Int?
        while found == nil {
            let chunk = stderrPipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw Failure.exitedEarly(status: process.terminationStatus, log: log)
            }
            log += String(decoding: chunk, as: UTF8.self)
            if let r = log.range(of: #"listening on https?://127\.0\.0\.1:([0-9]+)"#, options: .regularExpression) {
                let text = log[r]
                found = Int(text[text.index(after: text.lastIndex(of: ":")!)...])
            }
        }
        port = found!
        func listener(_ name: String) -> Int? {
            guard let r = log.range(of: name + #" 127\.0\.0\.1:([0-9]+)"#, options: .regularExpression) else { return nil }
            return Int(log[r][log[r].index(after: log[r].lastIndex(of: ":")!)...])
        }
        syslogUDPPort = listener("syslog udp")
        syslogTCPPort = listener("syslog tcp")
        syslogTLSPort = listener("syslog tls")
        forwardPort = listener("forward")
        client = HTTPTestClient(port: port)
        startupLog = log
        // Keep draining stderr so the server never blocks on a full pipe.
        let handle = stderrPipe.fileHandleForReading
        let sink = drained
        drainDone.enter()
        let done = drainDone
        DispatchQueue.global().async {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                sink.append(chunk)
            }
            done.leave()
        }
    }

    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }
    private let drained = Sink()
    private let drainDone = DispatchGroup()

    /// Sends `signal` and waits for the process to exit; returns its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// What the server wrote to stderr after its listening line (complete once it has exited).
    public func remainingLog() -> String {
        if !process.isRunning { drainDone.wait() }
        return drained.text
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
}

/// Runs one of this package's binaries (`strata`, `segtool`) to completion: how it ended, its
/// status (the signal number when killed) and its combined output.
public func runBinary(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (reason: Process.TerminationReason, status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath(named: name))
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationReason, p.terminationStatus, String(decoding: data, as: UTF8.self))
}
