#if canImport(Glibc)
import StrataIO
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataFormat
import StrataParse
import StrataReceivers

/// A syslog listener: UDP (one message a datagram, one thread) or TCP (RFC 6587 octet counting or
/// LF framing, detected per frame by `SyslogFraming`; one thread a connection, at most
/// `maxConnections`). Messages are parsed by `SyslogParser` exactly as the server parses them
/// (RFC 5424 and RFC 3164) and handed to the sink in batches of up to `batchEntries`, or after
/// `batchLingerMillis`.
///
/// Oversize messages are cut, never dropped: a datagram or an LF-framed message longer than
/// `maxMessageBytes` keeps its first `maxMessageBytes` bytes (counted in
/// `Stats.truncatedMessages`), as `SyslogFraming` does for the server.
///
/// Lifecycle: `start()` binds and starts the threads; `stop()` stops reading, hands over what
/// clients had already sent (and a TCP stream's unterminated last message), and returns when
/// every thread has ended. When the sink refuses a batch (the agent is stopping), the UDP
/// thread ends and TCP connections are closed.
public final class SyslogInput: @unchecked Sendable {
    public enum Transport: String, Sendable, CaseIterable {
        case udp, tcp
    }

    /// A listener's settings.
    public struct Config: Sendable, Equatable {
        /// `host:port`, `[ipv6]:port` or `:port` (see `ListenAddress.parse`).
        public var address: String
        public var transport: Transport
        /// Longest message kept whole, 9…`Limits.maxMessageBytes`; UDP cannot carry more than 65 535.
        public var maxMessageBytes: Int
        /// Most TCP connections served at once.
        public var maxConnections: Int
        /// Service, host, source and fields for messages that do not carry them.
        public var defaults: EntryDefaults
        public var batchEntries: Int
        public var batchLingerMillis: Int

        public init(address: String, transport: Transport, maxMessageBytes: Int = AgentLimits.defaultSyslogMessageBytes,
                    maxConnections: Int = AgentLimits.defaultMaxConnections, defaults: EntryDefaults = EntryDefaults(),
                    batchEntries: Int = AgentLimits.defaultBatchEntries,
                    batchLingerMillis: Int = AgentLimits.defaultBatchLingerMillis) {
            self.address = address
            self.transport = transport
            self.maxMessageBytes = maxMessageBytes
            self.maxConnections = maxConnections
            self.defaults = defaults
            self.batchEntries = batchEntries
            self.batchLingerMillis = batchLingerMillis
        }
    }

    /// Counters since the start.
    public struct Stats: Sendable, Equatable {
        /// Messages parsed and passed on toward the sink.
        public var messages = 0
        /// Messages longer than `maxMessageBytes`, passed on cut to that length.
        public var truncatedMessages = 0
        /// Messages whose entry exceeds a `Limits` bound (the server would refuse it), dropped.
        public var invalidEntries = 0
        /// TCP connections being served now, and accepted since the start.
        public var activeConnections = 0
        public var acceptedConnections = 0
    }

    public let config: Config
    /// `syslog udp 0.0.0.0:514`: names this input in errors and thread names.
    public let name: String
    let sink: AgentEntrySink
    private let lifecycle = ListenerLifecycle()
    private var threads: ThreadGroup { lifecycle.threads }
    private let lock = ConditionLock()
    private var counters = Stats()

    public init(config: Config, sink: AgentEntrySink) {
        self.config = config
        self.sink = sink
        name = "syslog \(config.transport.rawValue) \(config.address)"
    }

    /// Binds the listener and starts its threads.
    /// - Returns: the bound port (the chosen one when the address says port 0).
    /// - Throws: `AgentInputError` for a bad address or setting, a port in use, or no threads.
    @discardableResult
    public func start() throws(AgentInputError) -> Int {
        try lifecycle.claimStart(input: name)
        let address = try ListenAddress.parse(config.address)
        guard (9...Limits.maxMessageBytes).contains(config.maxMessageBytes) else {
            throw .invalidConfig(input: name, reason: "max message size \(config.maxMessageBytes) is outside 9…\(Limits.maxMessageBytes) bytes")
        }
        guard config.maxConnections > 0, config.batchEntries > 0, config.batchLingerMillis >= 0 else {
            throw .invalidConfig(input: name, reason: "max connections and batch entries must be positive, batch linger not negative")
        }
        let stop = try StopSignal(input: name)
        let port: Int
        switch config.transport {
        case .udp:
            let (socket, p) = try PosixSocket.bound(to: address, type: PosixSocket.datagram,
                                                   receiveBufferBytes: AgentLimits.udpReceiveBufferBytes, input: name)
            port = p
            do throws(AgentInputError) {
                try threads.spawn(name: "syslog-udp") { [self] in
                    receiveDatagrams(socket, stop: stop)
                    socket.close()
                }
            } catch {
                socket.close()
                throw error
            }
        case .tcp:
            let (listener, p) = try PosixSocket.bound(to: address, type: PosixSocket.stream, input: name)
            port = p
            try lifecycle.accept(on: listener, input: name, acceptThread: "syslog-accept", connectionThread: "syslog-tcp",
                                 maxConnections: config.maxConnections, stop: stop) { [self] connection in serve(connection, stop: stop) }
        }
        lifecycle.running(until: stop)
        return port
    }

    /// Stops reading, hands over what was already received, closes the sockets and returns once
    /// every thread of this input has ended (a thread inside `sink.accept` ends when that returns).
    /// Idempotent; an input is not restarted.
    public func stop() {
        lifecycle.stop()
    }

    /// Counters since the start.
    public var stats: Stats {
        var s = lock.withLock { counters }
        (s.activeConnections, s.acceptedConnections) = lifecycle.connectionCounts
        return s
    }

    private func count(messages: Int, truncated: Int, invalid: Int) {
        guard messages + truncated + invalid > 0 else { return }
        lock.withLock {
            counters.messages += messages
            counters.truncatedMessages += truncated
            counters.invalidEntries += invalid
        }
    }

    /// The entry of one message, or nil when it exceeds a `Limits` bound.
    private func entry(_ message: UnsafeRawBufferPointer, _ defaults: ParseDefaults) -> LogEntry? {
        var e = SyslogParser.parse(message, defaults: defaults)
        config.defaults.addFields(to: &e)
        return e.validationError == nil ? e : nil
    }

    // MARK: - UDP

    /// The UDP thread: every datagram is one message.
    private func receiveDatagrams(_ socket: PosixSocket, stop: StopSignal) {
        var batcher = EntryBatcher(sink: sink, maxEntries: config.batchEntries, lingerMillis: config.batchLingerMillis)
        let limit = min(config.maxMessageBytes, AgentLimits.maxDatagramBytes)
        var buffer = [UInt8](repeating: 0, count: limit)
        reading: while batcher.sinkOpen {
            let wait = socket.wait(for: Int16(POLLIN), stop: stop, timeoutMillis: batcher.millisUntilDue())
            if wait == .timedOut {
                batcher.flushIfDue()
                continue
            }
            // Ready, or stopping: take what the kernel holds (when stopping, up to a bound).
            var drained = 0
            while batcher.sinkOpen && (wait == .ready ? drained < config.batchEntries : drained < AgentLimits.stopDrainBytes) {
                // With MSG_TRUNC, Linux returns the datagram's full length, so a cut one is seen and counted.
                let n = buffer.withUnsafeMutableBytes { socket.receive(into: $0, flags: Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC)) }
                guard n >= 0 else { break }
                drained += wait == .ready ? 1 : max(n, 1)
                guard n > 0 else { continue }   // an empty datagram carries no message
                let truncated = n > limit
                let defaults = config.defaults.parseDefaults(receivedAtNanos: wallClockNanos())
                let e = buffer.withUnsafeBytes { entry(UnsafeRawBufferPointer(rebasing: $0[0..<min(n, limit)]), defaults) }
                count(messages: e == nil ? 0 : 1, truncated: truncated ? 1 : 0, invalid: e == nil ? 1 : 0)
                if let e { _ = batcher.append(e) }
            }
            if wait == .stopping { break reading }
            batcher.flushIfDue()
        }
        batcher.flush()
    }

    // MARK: - TCP

    /// One TCP connection's thread.
    private func serve(_ connection: PosixSocket, stop: StopSignal) {
        var framing = SyslogFraming(maxFrameBytes: config.maxMessageBytes)
        var batcher = EntryBatcher(sink: sink, maxEntries: config.batchEntries, lingerMillis: config.batchLingerMillis)
        var buffer = [UInt8](repeating: 0, count: AgentLimits.readChunkBytes)
        var stopping = false, drained = 0
        while batcher.sinkOpen {
            var n: Int
            if stopping {
                // Only what the client already sent, up to a bound.
                guard drained < AgentLimits.stopDrainBytes else { break }
                n = buffer.withUnsafeMutableBytes { connection.receiveNow(into: $0) }
                drained += max(n, 0)
            } else {
                switch connection.wait(for: Int16(POLLIN), stop: stop, timeoutMillis: batcher.millisUntilDue()) {
                case .timedOut:
                    batcher.flushIfDue()
                    continue
                case .stopping:
                    stopping = true
                    continue
                case .ready:
                    n = buffer.withUnsafeMutableBytes { connection.receive(into: $0) }
                }
            }
            guard n > 0 else { break }   // end of stream, error, or (stopping) nothing more buffered
            feed(buffer.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<n]) }, into: &framing, &batcher)
            batcher.flushIfDue()
        }
        if batcher.sinkOpen {
            var entries = [LogEntry]()
            let defaults = config.defaults.parseDefaults(receivedAtNanos: wallClockNanos())
            var invalid = 0
            framing.finish { m in
                if let e = entry(m, defaults) { entries.append(e) } else { invalid += 1 }
            }
            count(messages: entries.count, truncated: 0, invalid: invalid)
            for e in entries where !batcher.append(e) { break }
            batcher.flush()
        }
    }

    /// Frames, parses and batches one read's bytes.
    private func feed(_ bytes: UnsafeRawBufferPointer, into framing: inout SyslogFraming, _ batcher: inout EntryBatcher) {
        let defaults = config.defaults.parseDefaults(receivedAtNanos: wallClockNanos())
        let truncatedBefore = framing.truncatedFrames
        var entries = [LogEntry]()
        var invalid = 0
        framing.feed(bytes) { m in
            if let e = entry(m, defaults) { entries.append(e) } else { invalid += 1 }
        }
        count(messages: entries.count, truncated: framing.truncatedFrames - truncatedBefore, invalid: invalid)
        for e in entries where !batcher.append(e) { return }
    }
}
