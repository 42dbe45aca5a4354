import ArgumentParser
import StrataIO
import StrataServer
#if canImport(Glibc)
import Glibc
#endif

/// `strata serve`: runs the HTTP API over a data directory until SIGTERM/SIGINT.
///
/// Settings merge in this order, each overriding the one before: built-in defaults,
/// `--config` (or `./strata.yaml` if present), `STRATA_*` environment variables, flags.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Strata server (HTTP API) on a data directory.",
        discussion: """
        Settings come from the built-in defaults, then strata.yaml (--config, or ./strata.yaml \
        if it exists), then STRATA_* environment variables (STRATA_DATA_DIR, STRATA_HTTP, \
        STRATA_FSYNC, STRATA_MAX_BODY_BYTES, …), then flags; each overrides the one before.
        """)

    @Option(help: "YAML configuration file (default: ./strata.yaml if it exists).")
    var config: String?

    @Option(help: "Data directory (default ./strata-data).")
    var dataDir: String?

    @Option(help: "HTTP listen address host:port (default 127.0.0.1:8080; port 0 picks a free port).")
    var http: String?

    @Option(help: "WAL fsync policy: always | interval | interval:MS (default always).")
    var fsync: String?

    @Option(help: "Largest request body in bytes after decompression (e.g. 64MiB).")
    var maxBodyBytes: String?

    @Option(help: "Free disk space kept in reserve; below it ingest answers 503 storage_full (default 256MiB; 0: off).")
    var minFreeDisk: String?

    @Option(help: "Drop partitions older than this (e.g. 30d, 12h; 0 keeps everything; default 30d).")
    var retention: String?

    @Option(help: "Keep at most this many bytes of segments, dropping the oldest partitions (e.g. 50GiB; default 0: no limit).")
    var maxDisk: String?

    @Option(help: "Background compaction: on | off (default on).")
    var compaction: String?

    @Option(help: "Syslog over UDP listen address host:port (RFC 3164/5424).")
    var syslogUdp: String?

    @Option(help: "Syslog over TCP listen address host:port (RFC 6587 octet counting or LF framing).")
    var syslogTcp: String?

    @Option(help: "Syslog over TLS (RFC 5425) listen address host:port; needs --tls-cert and --tls-key.")
    var syslogTls: String?

    @Option(help: "PEM certificate chain; with --tls-key, HTTP is served over TLS only.")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "PEM CA bundle; when set, TLS clients must present a certificate signed by one of these CAs.")
    var tlsClientCa: String?

    @Option(help: "Fluentd forward protocol listen address host:port.")
    var forward: String?

    @Option(help: "Require one of these API tokens (comma-separated, 16+ characters) on every HTTP request but /health.")
    var authTokens: String?

    @Option(help: "Requests per second allowed per API token (bursts to twice that); 0: no limit.")
    var rateLimitPerToken: String?

    func run() async throws {
        var merged = ServerConfig()
        let path = config ?? (FileSystem.exists("strata.yaml") ? "strata.yaml" : nil)
        if let path {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path) } catch {
                throw ValidationError(ConfigError.unreadable(path: path, detail: "\(error)").description)
            }
            try merged.apply(yaml: String(decoding: bytes, as: UTF8.self), path: path)
        }
        var env = [String: String]()
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if s.hasPrefix("STRATA_"), let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        try merged.apply(environment: env)
        if let dataDir { try merged.set("data_dir", dataDir, from: "--data-dir") }
        if let http { try merged.set("http", http, from: "--http") }
        if let fsync { try merged.set("fsync", fsync, from: "--fsync") }
        if let maxBodyBytes { try merged.set("max_body_bytes", maxBodyBytes, from: "--max-body-bytes") }
        if let minFreeDisk { try merged.set("min_free_disk_bytes", minFreeDisk, from: "--min-free-disk") }
        if let retention { try merged.set("retention", retention, from: "--retention") }
        if let maxDisk { try merged.set("max_disk_bytes", maxDisk, from: "--max-disk") }
        if let compaction { try merged.set("compaction", compaction, from: "--compaction") }
        if let syslogUdp { try merged.set("syslog_udp", syslogUdp, from: "--syslog-udp") }
        if let syslogTcp { try merged.set("syslog_tcp", syslogTcp, from: "--syslog-tcp") }
        if let syslogTls { try merged.set("syslog_tls", syslogTls, from: "--syslog-tls") }
        if let tlsCert { try merged.set("tls_cert", tlsCert, from: "--tls-cert") }
        if let tlsKey { try merged.set("tls_key", tlsKey, from: "--tls-key") }
        if let tlsClientCa { try merged.set("tls_client_ca", tlsClientCa, from: "--tls-client-ca") }
        if let forward { try merged.set("forward", forward, from: "--forward") }
        if let authTokens { try merged.set("auth_tokens", authTokens, from: "--auth-tokens") }
        if let rateLimitPerToken { try merged.set("rate_limit_per_token", rateLimitPerToken, from: "--rate-limit-per-token") }
        try merged.validate()
        let cfg = merged
        let server = try StrataServer(config: cfg)
        let started = monotonicNanos()
        try await server.run { l in
            let host = ServerConfig.splitAddress(cfg.http)!.host
            let ms = Double(monotonicNanos() - started) / 1e6
            var also = ""
            if let p = l.syslogUDP { also += ", syslog udp \(ServerConfig.splitAddress(cfg.syslogUDP)!.host):\(p)" }
            if let p = l.syslogTCP { also += ", syslog tcp \(ServerConfig.splitAddress(cfg.syslogTCP)!.host):\(p)" }
            if let p = l.syslogTLS { also += ", syslog tls \(ServerConfig.splitAddress(cfg.syslogTLS)!.host):\(p)" }
            if let p = l.forward { also += ", forward \(ServerConfig.splitAddress(cfg.forward)!.host):\(p)" }
            let scheme = cfg.tlsCert.isEmpty ? "http" : "https"
            printError("strata: listening on \(scheme)://\(host):\(l.http)\(also) (data \(cfg.dataDir), \(server.engine.unflushedCount) entries replayed from the WAL, ready in \(formatFixed(ms, 1)) ms)")
        }
        printError("strata: stopped; everything acknowledged is in segments")
    }
}
