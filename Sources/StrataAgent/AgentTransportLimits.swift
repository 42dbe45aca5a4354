/// Sizes and bounds of the agent's HTTP transport, each with the reason for its value.
enum AgentTransportLimits {
    /// Largest response head (status line + fields) accepted: the store's heads are a few
    /// hundred bytes; 64 KiB is what common servers allow for request heads.
    static let maxHeadBytes = 64 << 10
    /// Longest chunk-size line (size + extensions): nothing legitimate comes close; bounds the
    /// buffer growth a hostile server can cause.
    static let maxChunkLineBytes = 4096
    /// Default largest response body: the store answers with small JSON documents (rejected
    /// records are listed, capped server-side); 16 MiB stops a wrong server from exhausting
    /// the agent's memory.
    static let defaultMaxResponseBodyBytes = 16 << 20
    /// Initial receive buffer: one read takes a typical response whole; grows only for long
    /// heads or chunk lines (up to twice `maxHeadBytes`).
    static let initialReadBufferBytes = 16 << 10
    /// Plaintext handed to one SSL_write: bounds the ciphertext buffered in the memory BIO
    /// before it is flushed to the socket.
    static let tlsWriteSliceBytes = 256 << 10
    /// One socket read for TLS: a maximum record (16 KiB plaintext) plus its overhead.
    static let tlsReadBytes = 17 << 10
}
