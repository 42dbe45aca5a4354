#if canImport(Glibc)
import StrataIO
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataFormat

/// A minimal HTTP/1.1 listener for `POST /api/logs`, answering exactly as the server does
/// (see `docs/http-api.md`): the body is a JSON array of objects or NDJSON, optionally
/// `Content-Encoding: gzip | deflate | zstd`, parsed by `BatchBody` into entries; each bad
/// record is rejected with its reason while the others are kept.
///
/// | request | answer |
/// | --- | --- |
/// | `POST /api/logs` | 200 `{"accepted":N,"rejected":M,"errors":[{"index":i,"reason":"…"}]}`; 400 with the same body when every record was rejected |
/// | body over `maxBodyBytes` (sent or decompressed) | 413 `body_too_large` |
/// | record over `maxRecordBytes` | 413 `line_too_large`, nothing of the request kept |
/// | malformed JSON array | 400 `bad_request`, nothing kept |
/// | unknown `Content-Encoding` / bad compressed bytes | 415 `unsupported_media_type` / 400 `bad_encoding` |
/// | `GET /health` | 200 `{"status":"ok"}` |
/// | another path / another method on a known path | 404 `not_found` / 405 (with `Allow`) |
/// | the sink refused (the agent is stopping) | 503 `storage_unavailable`, `Retry-After: 5` |
///
/// The answer to a `POST` is sent only after `sink.accept` returned, so a 200 means the agent
/// holds the entries; a client that gets no answer may resend. Connections are kept alive
/// (HTTP/1.1 default, HTTP/1.0 on request) and pipelined requests are served in order; bodies
/// come with `Content-Length` or chunked; `Expect: 100-continue` is answered. One thread serves
/// each connection, at most `maxConnections` at once.
public final class HTTPInput: @unchecked Sendable {
    /// The listener's settings.
    public struct Config: Sendable, Equatable {
        /// `host:port`, `[ipv6]:port` or `:port` (see `ListenAddress.parse`).
        public var address: String
        /// Largest request body, both as sent and decompressed.
        public var maxBodyBytes: Int
        /// Largest record (array element or NDJSON line) of a body.
        public var maxRecordBytes: Int
        /// Most connections served at once.
        public var maxConnections: Int
        /// A connection idle this long (between or inside requests) is closed.
        public var idleTimeoutMillis: Int
        /// Service, host, source and fields for records that do not carry them.
        public var defaults: EntryDefaults

        public init(address: String, maxBodyBytes: Int = AgentLimits.defaultHTTPBodyBytes,
                    maxRecordBytes: Int = AgentLimits.defaultHTTPRecordBytes,
                    maxConnections: Int = AgentLimits.defaultMaxConnections,
                    idleTimeoutMillis: Int = AgentLimits.defaultHTTPIdleTimeoutMillis,
                    defaults: EntryDefaults = EntryDefaults()) {
            self.address = address
            self.maxBodyBytes = maxBodyBytes
            self.maxRecordBytes = maxRecordBytes
            self.maxConnections = maxConnections
            self.idleTimeoutMillis = idleTimeoutMillis
            self.defaults = defaults
        }
    }

    /// Counters since the start.
    public struct Stats: Sendable, Equatable {
        /// Requests answered (any path, any status).
        public var requests = 0
        /// Entries handed to the sink and rejected records, over all `POST /api/logs`.
        public var acceptedEntries = 0
        public var rejectedRecords = 0
        /// Connections being served now, and accepted since the start.
        public var activeConnections = 0
        public var acceptedConnections = 0
    }

    public let config: Config
    /// `http 0.0.0.0:9880`: names this input in errors.
    public let name: String
    let sink: AgentEntrySink
    private let lifecycle = ListenerLifecycle()
    let lock = ConditionLock()
    var counters = Stats()

    public init(config: Config, sink: AgentEntrySink) {
        self.config = config
        self.sink = sink
        name = "http \(config.address)"
    }

    /// Binds the listener and starts its accept thread.
    /// - Returns: the bound port (the chosen one when the address says port 0).
    /// - Throws: `AgentInputError` for a bad address or setting, a port in use, or no threads.
    @discardableResult
    public func start() throws(AgentInputError) -> Int {
        try lifecycle.claimStart(input: name)
        let address = try ListenAddress.parse(config.address)
        guard config.maxBodyBytes > 0, config.maxRecordBytes > 0, config.maxConnections > 0, config.idleTimeoutMillis > 0 else {
            throw .invalidConfig(input: name, reason: "body and record limits, max connections and idle timeout must be positive")
        }
        let stop = try StopSignal(input: name)
        let (listener, port) = try PosixSocket.bound(to: address, type: PosixSocket.stream, input: name)
        try lifecycle.accept(on: listener, input: name, acceptThread: "http-accept", connectionThread: "http-conn",
                             maxConnections: config.maxConnections, stop: stop) { [self] connection in serve(connection, stop: stop) }
        lifecycle.running(until: stop)
        return port
    }

    /// Stops accepting and reading, closes every connection (a request whose entries are being
    /// handed to the sink is still answered) and returns once every thread has ended. Idempotent.
    public func stop() {
        lifecycle.stop()
    }

    /// Counters since the start.
    public var stats: Stats {
        var s = lock.withLock { counters }
        (s.activeConnections, s.acceptedConnections) = lifecycle.connectionCounts
        return s
    }

    /// What a request asks for.
    enum Route: Equatable {
        case health
        case ingest
        case notFound
        case methodNotAllowed(allow: String)
    }

    /// The route of `head`: by path first, so a known path with another method is 405, not 404.
    static func route(_ head: HTTPRequestHead) -> Route {
        switch (head.path, head.method) {
        case ("/api/logs", "POST"): .ingest
        case ("/api/logs", _): .methodNotAllowed(allow: "POST")
        case ("/health", "GET"): .health
        case ("/health", _): .methodNotAllowed(allow: "GET")
        default: .notFound
        }
    }

    /// One connection's thread: requests in order until the client closes, an answer closes
    /// the connection, the connection idles out, or the input stops.
    private func serve(_ socket: PosixSocket, stop: StopSignal) {
        var connection = HTTPConnection(socket: socket, stop: stop, idleTimeoutMillis: config.idleTimeoutMillis)
        while true {
            let head: HTTPRequestHead
            do throws(HTTPAnswerError) {
                guard let h = try connection.readHead(maxBytes: AgentLimits.maxHTTPHeadBytes) else { return }
                head = h
            } catch {
                if let answer = error.answer {
                    lock.withLock { counters.requests += 1 }
                    finish(connection, answer, bodyUnread: true)
                }
                return
            }
            var answer: HTTPAnswer
            var bodyUnread = head.hasBody
            switch Self.route(head) {
            case .health:
                answer = .json(Array("{\"status\":\"ok\"}\n".utf8))
            case .notFound:
                answer = .error(.notFound, "no route for \(head.method) \(head.path)")
            case .methodNotAllowed(let allow):
                answer = .error(.badRequest, "method \(head.method) is not allowed on \(head.path) (use \(allow))", status: 405)
                answer.headers.append(("Allow", allow))
            case .ingest:
                if let n = head.contentLength, n > config.maxBodyBytes {
                    // Refused before the body is sent (no `100 Continue`) or read.
                    answer = .error(.bodyTooLarge, "request body exceeds \(config.maxBodyBytes) bytes", close: true)
                    break
                }
                if head.expectsContinue && !connection.sendContinue() { return }
                do throws(HTTPAnswerError) {
                    let body = try connection.readBody(head, limit: config.maxBodyBytes)
                    bodyUnread = false
                    answer = ingest(body, contentEncoding: head.header("content-encoding"))
                } catch {
                    guard let a = error.answer else { return }
                    answer = a
                }
            }
            // A chunked request that also declared a length may have been smuggled: close after it.
            let closing = answer.close || !head.keepAlive || stop.isFired || (head.isChunked && head.contentLength != nil)
                || bodyUnread
            lock.withLock { counters.requests += 1 }
            if closing {
                finish(connection, answer, bodyUnread: bodyUnread)
                return
            }
            guard connection.send(answer, closing: false) else { return }
        }
    }

    /// Sends the last answer of a connection; then, if the client may still be sending a body
    /// we did not read, lets it finish sending before the close (see `lingeringClose`).
    private func finish(_ connection: HTTPConnection, _ answer: HTTPAnswer, bodyUnread: Bool) {
        guard connection.send(answer, closing: true) else { return }
        if bodyUnread { connection.lingeringClose() }
    }
}
