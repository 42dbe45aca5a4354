/// Why an HTTP exchange of the agent's shipper failed.
///
/// Every message names the peer (`host:port`) and the phase, so a log line locates the fault:
/// `timeout: no response from logs.internal:8443 within 5000 ms (request sent, 0 response bytes)`.
/// All cases are retryable from the shipper's point of view except `invalidRequest` (a
/// programmer or configuration mistake) and a `tls` failure to load the configured files.
public enum AgentTransportError: Error, Sendable, CustomStringConvertible {
    /// No TCP connection could be made: name resolution, refusal, unreachable, or the
    /// connect timeout passed. `reason` lists each address tried.
    case connect(host: String, port: Int, reason: String)
    /// TLS setup (CA, certificate or key files), handshake or record-layer failure, including
    /// certificate verification (`certificate verify failed: …`).
    case tls(String)
    /// The per-request I/O deadline (or, during the TLS handshake, the connect deadline) passed.
    case timeout(String)
    /// The socket failed or the peer closed it in the middle of an exchange.
    case io(String)
    /// The response violates HTTP/1.1 framing or exceeds a size limit.
    case malformed(String)
    /// The request itself cannot be sent as given (a header containing CR/LF, a framing header
    /// the connection owns, an invalid method or path). Not retryable.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .connect(let host, let port, let reason): "connect to \(AgentHTTPConnection.authority(host, port)) failed: \(reason)"
        case .tls(let s): "TLS: \(s)"
        case .timeout(let s): "timeout: \(s)"
        case .io(let s): "I/O: \(s)"
        case .malformed(let s): "malformed response: \(s)"
        case .invalidRequest(let s): "invalid request: \(s)"
        }
    }
}
