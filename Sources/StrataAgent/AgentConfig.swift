import StrataParse

/// A whole `agent.yaml` (blueprint §10.1), validated: every value is in range and every input
/// and processor is one the agent can run. Built by `AgentConfig.load(yaml:origin:)`.
public struct AgentConfig: Sendable {
    /// How the agent identifies itself in heartbeats (`agent.id`; default: the host name).
    public var id: String
    /// The host name put on every entry and heartbeat (`agent.hostname`; default: uname).
    public var hostname: String
    /// Directory holding the on-disk buffer (`queue/`) and `checkpoints.json` (`agent.buffer.path`).
    public var statePath: String
    /// Whether batches the ring cannot hold spill to disk (`disk`) or inputs wait (`memory`).
    public var bufferType: BufferType
    /// Bound of the on-disk buffer (`agent.buffer.size`, default 1 GiB).
    public var bufferMaxBytes: Int
    /// Batches the in-memory ring holds before spilling (`agent.buffer.memory_batches`).
    public var memoryBatches: Int
    /// How often to send `POST /api/agents/heartbeat` (`agent.heartbeat_interval`).
    public var heartbeatIntervalNanos: Int64
    /// How often changed checkpoints are written (`agent.checkpoint_interval`): the at-least-once
    /// window after a crash.
    public var checkpointIntervalNanos: Int64
    /// How long a graceful stop waits for the ring to be delivered (`agent.shutdown_timeout`).
    public var shutdownTimeoutNanos: Int64
    public var inputs: [InputConfig]
    public var processors: ProcessorConfig
    public var output: OutputConfig

    public enum BufferType: String, Sendable { case disk, memory }

    /// One entry of `inputs:`.
    public enum InputConfig: Sendable {
        case file(FileInputConfig)
        case syslog(NetworkInputConfig)
        case http(NetworkInputConfig)
    }

    /// What `processors:` asks for; applied to every entry the agent sends.
    public struct ProcessorConfig: Sendable {
        /// `add_host_metadata`: `host.os`, `host.arch`, `host.ip` fields.
        public var addHostMetadata = false
        /// `add_docker_metadata`: container labels as `container.labels.*` (name, image and id
        /// are always added by docker inputs).
        public var addDockerLabels = false
        /// `add_fields`: constant fields.
        public var fields: [(String, String)] = []
        public init() {}
    }
}

/// A `type: file`, `type: docker` or `type: kubernetes` input: files found by glob patterns and
/// tailed; the docker and kubernetes kinds are file inputs over the container runtimes' log
/// files with their own line decoders.
public struct FileInputConfig: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Plain text lines.
        case plain
        /// Docker json-file driver logs; `nameGlobs` select containers by name (empty: all).
        case docker(containersDirectory: String, nameGlobs: [String])
        /// CRI logs under `/var/log/pods`; `namespaces` select pods (empty: all).
        case kubernetes(podsDirectory: String, namespaces: [String])
    }
    public enum StartAt: String, Sendable { case beginning, end }
    /// How a line's text becomes an entry: `auto` sends JSON-object lines as structured entries
    /// and anything else as `message`; `raw` always sends the line as `message`.
    public enum Format: String, Sendable { case auto, raw }

    public var name: String
    public var kind: Kind = .plain
    /// Glob patterns (`*`, `?`, `[…]`, `**` for any depth).
    public var paths: [String] = []
    /// Patterns excluding files: matched against the whole path, or the file name when the
    /// pattern has no `/`.
    public var exclude: [String] = []
    /// Where to start in files present at the agent's first start (new files always start at
    /// their beginning; files with a checkpoint resume there).
    public var startAt: StartAt = .beginning
    /// What the file's bytes are; a byte-order mark at offset 0 overrides it.
    public var encoding: TextEncoding = .utf8
    public var format: Format = .auto
    public var readBufferBytes = 64 << 10
    /// Longer lines are cut to this size (the rest of the line is dropped and counted). The
    /// default stays well under the server's 1 MiB per-record limit after JSON escaping.
    public var maxLineBytes = 256 << 10
    public var multiline: MultilineConfig?
    public var service: String?
    public var fields: [(String, String)] = []
    public var tags: [String] = []
    /// Fallback polling period, and the longest wait between two looks at a file.
    public var pollIntervalNanos: Int64 = 250_000_000
    /// How often glob patterns are re-expanded even without a directory event.
    public var scanIntervalNanos: Int64 = 10_000_000_000
    /// Whether inotify is used (polling alone when false or unavailable).
    public var useInotify = true

    public init(name: String) { self.name = name }
}

/// `multiline:` of a file input (Filebeat's pattern/negate/match semantics).
public struct MultilineConfig: Sendable {
    public var pattern: String
    public var options: MultilineOptions
}

/// A `type: syslog` or `type: http` input.
public struct NetworkInputConfig: Sendable {
    public var name: String
    /// `host:port`, IPv6 in brackets.
    public var address: String
    /// `udp` or `tcp` (syslog).
    public var transport: String
    public var service: String?
    public var maxMessageBytes: Int
}

/// `output:`: where and how batches are shipped.
public struct OutputConfig: Sendable {
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
    }
    public var endpoints: [Endpoint]
    /// Round-robin over healthy endpoints (`load_balance: true`) or the first healthy one in
    /// order (failover).
    public var loadBalance = true
    public var compression: BodyCompression.Encoding = .zstd
    public var compressionLevel: Int32 = 3
    /// Most lines a batch holds; the adaptive size moves between `minBatchLines` and this.
    public var batchLines = 1000
    public var minBatchLines = 50
    public var batchBytes = 1 << 20
    public var batchTimeoutNanos: Int64 = 1_000_000_000
    public var requestTimeoutNanos: Int64 = 10_000_000_000
    public var connectTimeoutNanos: Int64 = 2_000_000_000
    public var backoffInitialNanos: Int64 = 250_000_000
    public var backoffMaxNanos: Int64 = 30_000_000_000
    /// Consecutive failures that open an endpoint's circuit breaker.
    public var breakerFailures = 3
    /// How long an open breaker keeps an endpoint out before one trial request.
    public var breakerCooldownNanos: Int64 = 10_000_000_000
    public var token: String?
    public var tls: AgentTLSOptions?
    public var path = "/api/logs"
}

extension AgentConfig.InputConfig {
    /// The input's unique name (status in heartbeats, logs).
    public var name: String {
        switch self {
        case .file(let f): f.name
        case .syslog(let n), .http(let n): n.name
        }
    }
}
