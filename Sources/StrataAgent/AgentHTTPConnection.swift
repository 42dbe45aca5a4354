#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client connection to one destination, for the agent's shipper: one
/// request at a time, kept alive between requests, optionally over TLS.
///
/// - Connect: `getaddrinfo` (IPv4 and IPv6), each address tried in turn with a non-blocking
///   connect; TCP connect plus TLS handshake share `connectTimeoutMillis`.
/// - Each `send` has one I/O deadline, `ioTimeoutMillis` after the connection is ready,
///   covering writing the request and reading the whole response (a server trickling bytes
///   cannot extend it). A server that stops answering makes `send` throw `.timeout`; the
///   worst case is `ioTimeoutMillis` plus `connectTimeoutMillis` per connection opened (at
///   most two: see stale connections). Name resolution is outside these bounds.
/// - Keep-alive: the connection carries request after request until the server says
///   `Connection: close`, frames a body by EOF, or an error leaves its state unknown.
/// - Stale connections: before reusing an idle connection it is checked (one non-blocking
///   peek) for a close by the server. If the server closed it anyway in the race window —
///   the send fails with EPIPE/ECONNRESET, or EOF arrives before any response byte — the
///   request is sent once more on a new connection (as curl and Go do). A fresh connection
///   is never retried, and neither is anything after the first response byte.
///
/// Not thread-safe: one connection per shipper thread.
public final class AgentHTTPConnection {
    /// The host as configured (name or IP literal).
    public let host: String
    /// The TCP port.
    public let port: Int
    /// Budget of TCP connect plus TLS handshake, in milliseconds.
    public let connectTimeoutMillis: Int
    /// Budget of one `send` (request out, response in), in milliseconds.
    public let ioTimeoutMillis: Int
    /// Largest response body accepted; a larger one is `.malformed` (the store answers the
    /// agent with small JSON documents; this stops a wrong server from exhausting memory).
    public var maxResponseBodyBytes = AgentTransportLimits.defaultMaxResponseBodyBytes
    /// Number of TCP connections opened so far (for metrics, and to observe keep-alive).
    public private(set) var connectionsOpened = 0
    /// Number of requests sent a second time on a new connection because the server had
    /// closed the kept-alive one in the race window (see the type's documentation).
    public private(set) var requestsRetried = 0
    /// Whether a connection is currently open (it may still turn out to be stale).
    public var isConnected: Bool { fd >= 0 }

    /// Built once from the TLS options; `nil` for plain HTTP.
    let tlsContext: TLSContext?
    /// The connected socket, or -1.
    var fd: Int32 = -1
    /// The TLS session on `fd`, when TLS is configured and connected.
    var tls: TLSSession?
    /// The request head, rebuilt in place for every request (no per-request allocation once
    /// its capacity suffices).
    var head: [UInt8] = []
    /// `Host:` value, computed once.
    let hostHeader: [UInt8]
    /// Received bytes not yet parsed live in `readBuffer[readStart..<readEnd]`.
    var readBuffer: UnsafeMutableRawBufferPointer
    /// First unparsed byte in `readBuffer`.
    var readStart = 0
    /// End of the received bytes in `readBuffer`.
    var readEnd = 0
    /// Response bytes read during the current attempt (0 = the server sent nothing yet).
    var bytesReceived = 0

    /// Creates a connection; nothing is connected until the first `send`.
    ///
    /// - Parameters:
    ///   - host: DNS name or IP literal (`::1` or `[::1]`).
    ///   - tls: TLS settings; `nil` or `enabled: false` for plain HTTP.
    /// - Precondition: `port` in 1...65535 and positive timeouts (the configuration layer
    ///   validates them; a violation here is a bug).
    /// - Throws: `.tls` when the configured CA, certificate or key cannot be loaded.
    public init(host: String, port: Int, tls: AgentTLSOptions?, connectTimeoutMillis: Int, ioTimeoutMillis: Int) throws(AgentTransportError) {
        precondition((1...65535).contains(port), "BUG: port \(port) out of range")
        precondition(connectTimeoutMillis > 0 && ioTimeoutMillis > 0, "BUG: timeouts must be positive")
        self.host = host
        self.port = port
        self.connectTimeoutMillis = connectTimeoutMillis
        self.ioTimeoutMillis = ioTimeoutMillis
        if let tls, tls.enabled {
            tlsContext = try TLSContext(tls)
        } else {
            tlsContext = nil
        }
        let defaultPort = tlsContext == nil ? 80 : 443
        let name = Self.unbracketed(host)
        var h = Array((name.contains(":") ? "[\(name)]" : name).utf8)
        if port != defaultPort { h.append(UInt8(ascii: ":")); Self.appendDecimal(port, to: &h) }
        hostHeader = h
        readBuffer = .allocate(byteCount: AgentTransportLimits.initialReadBufferBytes, alignment: 16)
        head.reserveCapacity(512)
    }

    deinit {
        close()
        readBuffer.deallocate()
    }

    /// Closes the connection (sending TLS close_notify); the next `send` reconnects.
    public func close() {
        guard fd >= 0 else { return }
        tls?.shutdown()
        tls = nil
        Glibc.close(fd)
        fd = -1
        readStart = 0
        readEnd = 0
    }

    /// Sends one request and reads the whole response.
    ///
    /// The connection adds `Host` (unless given) and `Content-Length` (when the body is not
    /// empty or the method normally has one); `headers` must not contain `Content-Length` or
    /// `Transfer-Encoding`. Content codings are the caller's (see `BodyCompression`).
    ///
    /// - Throws: `AgentTransportError`; after any error the connection is closed, so the
    ///   next `send` starts on a fresh one.
    public func send(method: String, path: String, headers: [(String, String)] = [],
                     body: UnsafeRawBufferPointer) throws(AgentTransportError) -> AgentHTTPResponse {
        try buildHead(method: method, path: path, headers: headers, bodyCount: body.count)
        var deadline: Deadline? // starts once connected; a retry shares it
        let expectsBody = method != "HEAD"
        var reused = false
        if fd >= 0 {
            let stale = tls.map { $0.idleConnectionIsStale() } ?? SocketIO.idleConnectionIsStale(fd)
            if stale || readStart != readEnd { close() } else { reused = true }
        }
        while true {
            if fd < 0 { try open() }
            let d = deadline ?? Deadline(millisFromNow: ioTimeoutMillis)
            deadline = d
            do throws(ExchangeFailure) {
                return try exchange(body: body, expectsBody: expectsBody, deadline: d)
            } catch {
                close()
                if reused, case .transport(.peerClosed, _) = error, bytesReceived == 0 {
                    reused = false // the idle-close race: once more on a new connection
                    requestsRetried += 1
                    continue
                }
                throw describe(error, requestBytes: head.count + body.count)
            }
        }
    }

    /// Sends one request with a body held in an array (empty by default).
    public func send(method: String, path: String, headers: [(String, String)] = [],
                     body: [UInt8] = []) throws(AgentTransportError) -> AgentHTTPResponse {
        try withTypedBytes(body) { (p: UnsafeRawBufferPointer) throws(AgentTransportError) in
            try send(method: method, path: path, headers: headers, body: p)
        }
    }

    /// Connects, and shakes hands when TLS is configured, within the connect timeout.
    private func open() throws(AgentTransportError) {
        let deadline = Deadline(millisFromNow: connectTimeoutMillis)
        let s = try SocketIO.connect(host: host, port: port, timeoutMillis: connectTimeoutMillis)
        fd = s
        connectionsOpened += 1
        readStart = 0
        readEnd = 0
        guard let tlsContext else { return }
        do throws(TransportFailure) {
            let session = try TLSSession(context: tlsContext, fd: s, host: host)
            tls = session
            try session.handshake(until: deadline)
        } catch {
            close()
            switch error {
            case .timeout: throw .timeout("TLS handshake with \(authority) did not finish within \(connectTimeoutMillis) ms")
            case .tls(let why): throw .tls("handshake with \(authority): \(why)")
            case .peerClosed(let why): throw .tls("handshake with \(authority): \(why)")
            case .system(let why): throw .io("TLS handshake with \(authority): \(why)")
            }
        }
    }

    /// One attempt: write the request, read the response, decide whether to keep the
    /// connection.
    private func exchange(body: UnsafeRawBufferPointer, expectsBody: Bool, deadline: Deadline) throws(ExchangeFailure) -> AgentHTTPResponse {
        bytesReceived = 0
        var sent = 0
        do throws(TransportFailure) {
            try withTypedBytes(head) { (h: UnsafeRawBufferPointer) throws(TransportFailure) in
                if let tls {
                    try tls.write(h, until: deadline)
                    try tls.write(body, until: deadline)
                    sent = h.count + body.count
                } else {
                    try SocketIO.sendAll(fd, h, body, sent: &sent, until: deadline)
                }
            }
        } catch {
            throw .transport(error, .sending(sent: sent))
        }
        let (response, keepAlive) = try readResponse(expectsBody: expectsBody, deadline: deadline)
        if !keepAlive || readStart != readEnd { close() }
        return response
    }

    /// `host:port`, bracketing IPv6 literals.
    var authority: String { Self.authority(host, port) }

    /// `host:port`, bracketing IPv6 literals.
    static func authority(_ host: String, _ port: Int) -> String {
        let name = unbracketed(host)
        return name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    /// `::1` for `[::1]`; other names unchanged.
    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}

/// How one attempt failed, before it becomes an `AgentTransportError`.
enum ExchangeFailure: Error {
    /// Where in the exchange a transport failure happened.
    enum Phase {
        case sending(sent: Int)
        case receiving
    }
    case transport(TransportFailure, Phase)
    case malformed(String)
}

extension AgentHTTPConnection {
    /// Turns an attempt's failure into the public error, naming the peer and the progress.
    func describe(_ failure: ExchangeFailure, requestBytes: Int) -> AgentTransportError {
        switch failure {
        case .malformed(let why):
            return .malformed("from \(authority): \(why)")
        case .transport(let t, let phase):
            let progress = switch phase {
            case .sending(let sent): "while sending the request (\(sent) of \(requestBytes) bytes sent)"
            case .receiving: bytesReceived == 0 ? "before responding (request sent)" : "after \(bytesReceived) response bytes"
            }
            switch t {
            case .timeout:
                if case .sending = phase { return .timeout("\(authority) stopped reading \(progress); \(ioTimeoutMillis) ms budget") }
                return .timeout("no complete response from \(authority) within \(ioTimeoutMillis) ms (\(bytesReceived) response bytes received)")
            case .peerClosed(let why): return .io("\(authority) closed the connection \(progress): \(why)")
            case .system(let why): return .io("\(authority) \(progress): \(why)")
            case .tls(let why): return .tls("\(authority) \(progress): \(why)")
            }
        }
    }
}

/// Runs `body` over the bytes of `array`, keeping the typed error (`withUnsafeBytes` rethrows
/// `any Error`). Same as StrataCodec's `withBytes`, which the agent does not import.
@inline(__always)
func withTypedBytes<T, E: Error>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
    let result: Result<T, E> = array.withUnsafeBytes { p in
        do throws(E) { return .success(try body(p)) } catch { return .failure(error) }
    }
    return try result.get()
}
