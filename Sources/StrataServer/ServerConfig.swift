import StrataFormat
import StrataPipeline
import StrataWAL
import Yams

/// Everything `strata serve` needs to start, merged from (lowest to highest precedence) the
/// built-in defaults, `strata.yaml`, `STRATA_*` environment variables and command-line flags.
///
/// Invariants after `validate()`: `http` is a `host:port` with a port in 0…65535, every limit is
/// positive, `fsync` is a policy `FsyncPolicy` accepts.
public struct ServerConfig: Sendable, Equatable {
    /// Data directory (default `./strata-data`).
    public var dataDir = "./strata-data"
    /// HTTP listen address `host:port` (default `127.0.0.1:8080`; port 0 picks a free port).
    public var http = "127.0.0.1:8080"
    /// WAL fsync policy: `always`, `interval` or `interval:MS`.
    public var fsync = "always"
    /// Largest request body accepted, after decompression (413 beyond).
    public var maxBodyBytes = 64 << 20
    /// Largest single record (one NDJSON line or array element); 413 beyond.
    public var maxLineBytes = 1 << 20
    /// Largest `limit` a search may ask for.
    public var maxQueryLimit = 10_000
    /// Ingest requests processed at once; more get 429 with `Retry-After`.
    public var maxConcurrentIngests = 64
    /// Request bodies held in memory at once (received and decompressed), at least twice
    /// `maxBodyBytes`; an ingest request that would pass it gets 429.
    public var maxInflightBodyBytes = 1 << 30
    /// Searches run at once; more get 503 `busy` with `Retry-After`.
    public var maxConcurrentSearches = 16
    /// Free bytes the data directory's disk keeps in reserve: below it ingest answers 503
    /// `storage_full` with `Retry-After` (nothing written) so flushes still have room;
    /// ingest resumes by itself once space is freed. 0: no check.
    public var minFreeDiskBytes = 256 << 20
    /// Retention: partitions whose end is older than this many seconds are dropped (`30d` in
    /// text; 0 keeps everything).
    public var retentionSeconds: Int64 = 30 * 86_400
    /// Shorter retention for some services, in seconds by service name (`service=3d,…`, or a
    /// mapping in strata.yaml): older partitions keep every other service's entries.
    public var retentionByService: [String: Int64] = [:]
    /// Segment bytes kept at most: beyond it the oldest partitions are dropped (never the
    /// newest). 0: no limit.
    public var maxDiskBytes = 0
    /// Background compaction of small segments (`on`/`off`).
    public var compaction = true
    /// Compaction writes at most this many bytes per second (0: unthrottled), so merges do
    /// not starve ingest of disk bandwidth.
    public var compactionMaxWriteBytesPerSecond = 64 << 20
    /// The archive tier's directory (an object store in a local directory); empty: no archive.
    public var archiveDir = ""
    /// Partitions whose end is older than this many seconds move to the archive (`7d`).
    public var archiveAfterSeconds: Int64 = 7 * 86_400
    /// Local cache of archive segments fetched for queries, at most this many bytes.
    public var archiveCacheBytes = 1 << 30
    /// Retention and settled-partition compaction run this often (seconds).
    public var maintenanceIntervalSeconds = 60
    /// Flush the memtable to segments at least this often (seconds) when it holds entries.
    public var flushIntervalSeconds = 300
    /// Syslog over UDP / TCP listen addresses (`host:port`); empty: off.
    public var syslogUDP = ""
    public var syslogTCP = ""
    /// Fluentd forward protocol listen address; empty: off.
    public var forward = ""
    /// API tokens; when any is set, every HTTP endpoint but `/health` requires one (see
    /// `Authentication`). Comma-separated in the environment and on the command line.
    public var authTokens: [String] = []
    /// Requests per second allowed per API token (bursts up to twice that); 0: no limit. Only
    /// with `auth_tokens`.
    public var rateLimitPerToken = 0
    /// PEM certificate chain and private key; when set, HTTP is served over TLS only (and
    /// `syslog_tls` may be used).
    public var tlsCert = ""
    public var tlsKey = ""
    /// PEM bundle of the CAs client certificates must chain to; when set, every TLS client
    /// must present a valid certificate (refused in the handshake otherwise).
    public var tlsClientCA = ""
    /// Syslog over TLS (RFC 5425, octet-counted or LF framing) listen address; empty: off.
    public var syslogTLS = ""
    /// The `pipelines:` and `outputs:` of strata.yaml (blueprint §10.2); empty: entries are
    /// stored as received.
    public var pipelines: PipelineSet = .empty

    public init() {}

    /// The keys of `strata.yaml` (and, upper-cased with `STRATA_`, of the environment).
    public static let keys = ["data_dir", "http", "fsync", "max_body_bytes", "max_line_bytes", "max_query_limit",
                              "max_concurrent_ingests", "max_concurrent_searches", "max_inflight_body_bytes", "flush_interval_seconds", "min_free_disk_bytes",
                              "retention", "retention_by_service", "max_disk_bytes", "compaction", "compaction_max_write_bytes_per_second", "maintenance_interval_seconds",
                              "archive_dir", "archive_after", "archive_cache_bytes", "syslog_udp", "syslog_tcp", "syslog_tls", "forward", "auth_tokens", "rate_limit_per_token",
                              "tls_cert", "tls_key", "tls_client_ca"]

    /// Applies one setting given as text (from YAML, the environment or a flag).
    public mutating func set(_ key: String, _ value: String, from origin: String) throws(ConfigError) {
        func int() throws(ConfigError) -> Int {
            guard let v = Self.parseSize(value), v > 0 else {
                throw .invalid(origin: origin, key: key, value: value, expected: "a positive integer (sizes may end in KiB, MiB or GiB)")
            }
            return v
        }
        switch key {
        case "data_dir":
            guard !value.isEmpty else { throw .invalid(origin: origin, key: key, value: value, expected: "a directory path") }
            dataDir = value
        case "http":
            guard Self.splitAddress(value) != nil else {
                throw .invalid(origin: origin, key: key, value: value, expected: "host:port with a port 0-65535")
            }
            http = value
        case "fsync":
            guard FsyncPolicy(value) != nil else {
                throw .invalid(origin: origin, key: key, value: value, expected: "always, interval or interval:MS")
            }
            fsync = value
        case "max_body_bytes": maxBodyBytes = try int()
        case "max_line_bytes": maxLineBytes = try int()
        case "max_query_limit": maxQueryLimit = try int()
        case "max_concurrent_ingests": maxConcurrentIngests = try int()
        case "max_concurrent_searches": maxConcurrentSearches = try int()
        case "max_inflight_body_bytes": maxInflightBodyBytes = try int()
        case "flush_interval_seconds":
            let v = try int()
            guard v <= 86_400 else { throw .invalid(origin: origin, key: key, value: value, expected: "at most 86400 (one day)") }
            flushIntervalSeconds = v
        case "min_free_disk_bytes":
            guard let v = Self.parseSize(value), v >= 0 else {
                throw .invalid(origin: origin, key: key, value: value, expected: "a byte count (may end in KiB, MiB or GiB), 0 for no check")
            }
            minFreeDiskBytes = v
        case "retention":
            let t = Self.trimmed(value)
            guard t == "0" || (DurationText.parseNanos(t).map { $0 >= 1_000_000_000 } ?? false) else {
                throw .invalid(origin: origin, key: key, value: value, expected: "a duration of at least 1s such as 30d, 12h or 90m, or 0 to keep everything")
            }
            retentionSeconds = t == "0" ? 0 : DurationText.parseNanos(t)! / 1_000_000_000
        case "retention_by_service":
            var map = [String: Int64]()
            for item in value.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { Self.trimmed(String($0)) }
                guard parts.count == 2, !parts[0].isEmpty, let v = DurationText.parseNanos(parts[1]), v >= 1_000_000_000 else {
                    throw .invalid(origin: origin, key: key, value: value, expected: "service=duration pairs separated by commas, e.g. debug-svc=3d,batch=12h")
                }
                map[parts[0]] = v / 1_000_000_000
            }
            retentionByService = map
        case "max_disk_bytes", "compaction_max_write_bytes_per_second":
            guard let v = Self.parseSize(value), v >= 0 else {
                throw .invalid(origin: origin, key: key, value: value, expected: "a byte count (may end in KiB, MiB or GiB), 0 for no limit")
            }
            if key == "max_disk_bytes" { maxDiskBytes = v } else { compactionMaxWriteBytesPerSecond = v }
        case "archive_dir": archiveDir = value
        case "archive_after":
            guard let v = DurationText.parseNanos(Self.trimmed(value)), v >= 1_000_000_000 else {
                throw .invalid(origin: origin, key: key, value: value, expected: "a duration of at least 1s such as 7d or 12h")
            }
            archiveAfterSeconds = v / 1_000_000_000
        case "archive_cache_bytes": archiveCacheBytes = try int()
        case "compaction":
            switch Self.trimmed(value).lowercased() {
            case "on", "true", "yes": compaction = true
            case "off", "false", "no": compaction = false
            default: throw .invalid(origin: origin, key: key, value: value, expected: "on or off")
            }
        case "maintenance_interval_seconds":
            let v = try int()
            guard v <= 86_400 else { throw .invalid(origin: origin, key: key, value: value, expected: "at most 86400 (one day)") }
            maintenanceIntervalSeconds = v
        case "rate_limit_per_token":
            guard let v = Int(Self.trimmed(value)), v >= 0 else {
                throw .invalid(origin: origin, key: key, value: value, expected: "requests per second per token, 0 for no limit")
            }
            rateLimitPerToken = v
        case "auth_tokens":
            let tokens = value.split(separator: ",").map { Self.trimmed(String($0)) }.filter { !$0.isEmpty }
            guard tokens.allSatisfy({ $0.utf8.count >= 16 && !$0.contains(" ") }) else {
                throw .invalid(origin: origin, key: key, value: "(hidden)", expected: "comma-separated tokens of at least 16 characters without spaces")
            }
            authTokens = tokens
        case "tls_cert": tlsCert = value
        case "tls_key": tlsKey = value
        case "tls_client_ca": tlsClientCA = value
        case "syslog_udp", "syslog_tcp", "syslog_tls", "forward":
            guard value.isEmpty || Self.splitAddress(value) != nil else {
                throw .invalid(origin: origin, key: key, value: value, expected: "host:port with a port 0-65535, or empty for off")
            }
            switch key {
            case "syslog_udp": syslogUDP = value
            case "syslog_tcp": syslogTCP = value
            case "syslog_tls": syslogTLS = value
            default: forward = value
            }
        default: throw .unknownKey(origin: origin, key: key, known: Self.keys)
        }
    }

    /// Reads `strata.yaml` text: a mapping of the keys above (`http` may also be written as
    /// `listen: {http: …}`). Unknown keys are errors, so a typo does not pass silently.
    public mutating func apply(yaml text: String, path: String) throws(ConfigError) {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw .syntax(path: path, detail: "\(error)")
        }
        guard let node else { return }   // an empty file
        guard let map = node.mapping else { throw .syntax(path: path, detail: "the top level must be a mapping of settings") }
        var hasPipelines = false
        for (k, v) in map {
            guard let key = k.string else { throw .syntax(path: path, detail: "setting names must be strings") }
            if key == "pipelines" || key == "outputs" {
                hasPipelines = true
                continue
            }
            if key == "listen", let inner = v.mapping {
                let names = ["http": "http", "syslog_udp": "syslog_udp", "syslog_tcp": "syslog_tcp", "forward": "forward"]
                for (lk, lv) in inner {
                    guard let name = lk.string.flatMap({ names[$0] }), let s = lv.string else {
                        throw .unknownKey(origin: path, key: "listen.\(lk.string ?? "?")", known: names.keys.sorted().map { "listen." + $0 })
                    }
                    try set(name, s, from: path)
                }
                continue
            }
            if key == "retention_by_service", let inner = v.mapping {
                var pairs = [String]()
                for (sk, sv) in inner {
                    guard let name = sk.string, let age = sv.scalar?.string else {
                        throw .invalid(origin: path, key: key, value: "\(v)", expected: "a mapping of service names to durations")
                    }
                    pairs.append(name + "=" + age)
                }
                try set(key, pairs.joined(separator: ","), from: path)
                continue
            }
            if key == "auth_tokens", let list = v.sequence {
                try set(key, list.compactMap { $0.string }.joined(separator: ","), from: path)
                continue
            }
            guard let value = v.scalar?.string else {
                throw .invalid(origin: path, key: key, value: "\(v)", expected: "a single value")
            }
            try set(key, value, from: path)
        }
        if hasPipelines {
            let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            do { pipelines = try PipelineSet.load(yaml: text, path: path, baseDirectory: dir) } catch {
                throw .syntax(path: path, detail: error.description)
            }
        }
    }

    /// Applies `STRATA_<KEY>` variables (e.g. `STRATA_DATA_DIR`, `STRATA_HTTP`).
    public mutating func apply(environment env: [String: String]) throws(ConfigError) {
        for key in Self.keys {
            let name = "STRATA_" + key.uppercased()
            if let v = env[name] { try set(key, v, from: "environment \(name)") }
        }
    }

    /// Checks the merged result.
    public func validate() throws(ConfigError) {
        guard Self.splitAddress(http) != nil else {
            throw .invalid(origin: "configuration", key: "http", value: http, expected: "host:port with a port 0-65535")
        }
        guard FsyncPolicy(fsync) != nil else {
            throw .invalid(origin: "configuration", key: "fsync", value: fsync, expected: "always, interval or interval:MS")
        }
        if tlsCert.isEmpty != tlsKey.isEmpty {
            throw .invalid(origin: "configuration", key: tlsCert.isEmpty ? "tls_cert" : "tls_key", value: "",
                           expected: "tls_cert and tls_key set together (PEM files)")
        }
        if tlsCert.isEmpty && !syslogTLS.isEmpty {
            throw .invalid(origin: "configuration", key: "syslog_tls", value: syslogTLS, expected: "tls_cert and tls_key to be set as well")
        }
        if tlsCert.isEmpty && !tlsClientCA.isEmpty {
            throw .invalid(origin: "configuration", key: "tls_client_ca", value: tlsClientCA, expected: "tls_cert and tls_key to be set as well")
        }
        if authTokens.isEmpty && !Self.isLoopback(http) {
            throw .invalid(origin: "configuration", key: "http", value: http,
                           expected: "a loopback address (127.0.0.1, ::1, localhost) unless auth_tokens are set: the API must not be open to the network without keys")
        }
    }

    /// Whether `host:port` names a loopback interface.
    public static func isLoopback(_ address: String) -> Bool {
        guard let host = splitAddress(address)?.host else { return false }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `host:port` → (host, port); `[v6]:port` too.
    public static func splitAddress(_ s: String) -> (host: String, port: Int)? {
        guard let colon = s.lastIndex(of: ":") else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    static func trimmed(_ s: String) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// `123`, `64KiB`, `16MiB`, `1GiB` (also `KB`/`MB`/`GB` meaning the same powers of two).
    public static func parseSize(_ s: String) -> Int? { ConfigReader.parseByteSize(s) }
}

/// A configuration problem, naming where the bad setting came from.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case syntax(path: String, detail: String)
    case unknownKey(origin: String, key: String, known: [String])
    case invalid(origin: String, key: String, value: String, expected: String)
    case unreadable(path: String, detail: String)

    public var description: String {
        switch self {
        case .syntax(let p, let d): "\(p): not valid YAML: \(d)"
        case .unknownKey(let o, let k, let known): "\(o): unknown setting '\(k)' (known: \(known.joined(separator: ", ")))"
        case .invalid(let o, let k, let v, let e): "\(o): \(k) = '\(v)' is invalid; expected \(e)"
        case .unreadable(let p, let d): "cannot read \(p): \(d)"
        }
    }
}
