/// The agent's limits and defaults, each with the reason for its value. The agent is small by
/// design: these bound what one input may hold in memory, so a burst or a hostile client costs
/// a known amount, never the machine.
public enum AgentLimits {
    /// Largest syslog message by default (1 MiB): the server's `SyslogFraming` default, so a
    /// message the server would keep whole is kept whole by the agent too.
    public static let defaultSyslogMessageBytes = 1 << 20
    /// Largest UDP payload (65 535 bytes): the IPv4/IPv6 datagram limit, so a receive buffer of
    /// this size never cuts a datagram the kernel delivered.
    public static let maxDatagramBytes = 65_535
    /// Kernel receive buffer asked for a UDP listener (8 MiB, the server's value): a burst of
    /// thousands of datagrams waits there while the sink applies back-pressure. The kernel caps
    /// it at `net.core.rmem_max`; the memory is only used when a burst fills it.
    public static let udpReceiveBufferBytes: Int32 = 8 << 20
    /// Entries collected before an input calls the sink (500): amortises the sink's lock and
    /// wake-up over many entries, while a batch stays far below a WAL record's limits.
    public static let defaultBatchEntries = 500
    /// Longest time an entry waits in a partial batch (200 ms): a quiet source is still
    /// forwarded promptly, a busy one fills batches before this passes.
    public static let defaultBatchLingerMillis = 200
    /// Most simultaneous TCP connections per listener (256): one thread each, so this bounds
    /// threads and their buffers; further clients wait in the kernel's accept queue.
    public static let defaultMaxConnections = 256
    /// Listen backlog (128): `SOMAXCONN`'s historical value; clients beyond the connection limit
    /// wait here rather than being refused.
    public static let listenBacklog: Int32 = 128
    /// Bytes read from a socket at once (64 KiB): one read drains a typical socket buffer.
    public static let readChunkBytes = 64 << 10
    /// Bytes an input still reads from a connection when asked to stop (4 MiB): what a client
    /// already sent is not lost, but a firehose cannot delay the stop.
    public static let stopDrainBytes = 4 << 20
    /// Largest HTTP request body by default (16 MiB, on the wire and decompressed): the agent's
    /// clients batch far below this; the server allows 64 MiB, but the agent must stay small.
    public static let defaultHTTPBodyBytes = 16 << 20
    /// Largest record (JSON object or NDJSON line) of a batch body (1 MiB): the server's
    /// `max_line_bytes` default, so the agent refuses exactly what the server would.
    public static let defaultHTTPRecordBytes = 1 << 20
    /// Largest HTTP request line plus headers (64 KiB): eight times what common servers allow
    /// (nginx 8 KiB per line), bounding a connection's buffer before its body is known.
    public static let maxHTTPHeadBytes = 64 << 10
    /// Idle time after which a keep-alive connection (or a client stalled mid-request) is closed
    /// (60 s): longer than clients' own keep-alive pools (curl, Go and Python default to 60–90 s
    /// on their side), and it frees the connection's thread from a silent client.
    public static let defaultHTTPIdleTimeoutMillis = 60_000
    /// Longest time a refused request's unread body is still read and discarded (2 s) before the
    /// connection closes, so the client reads the 413 instead of a reset.
    public static let lingeringCloseMillis = 2_000

    // MARK: Container logs and text decoding

    /// Docker's json-file driver and containerd/CRI-O cut a container's output into chunks of at
    /// most 16 KiB and mark every chunk but the last one as partial. Used by tests and as a
    /// sanity bound in documentation; the decoders accept any chunk size.
    public static let runtimeChunkBytes = 16 << 10
    /// Default longest line `PartialLineJoiner` reassembles (1 MiB): the same default as
    /// `MultilineOptions.maxBytes`, so an event is cut at the same size whichever joiner ran.
    public static let defaultMaxLineBytes = 1 << 20
    /// Largest `config.v2.json` accepted (4 MiB). Real files are 3–30 KiB (a long `Env` is the
    /// biggest part); anything far larger is not a container config and is refused unparsed.
    public static let maxDockerConfigBytes = 4 << 20
    /// Largest restart count read from a pod log file name (`<N>.log`): nine digits cannot
    /// overflow an `Int`, and no kubelet restarts a container a billion times.
    public static let maxRestartCountDigits = 9
}
