import StrataConfig
import StrataParse

extension AgentConfig {
    static let fileKeys = ["type", "name", "paths", "exclude", "start_at", "encoding", "format", "read_buffer", "max_line_bytes",
                           "multiline", "service", "fields", "tags", "poll_interval", "scan_interval", "inotify"]

    static func input(_ r: ConfigReader) throws(ConfigPathError) -> InputConfig {
        let type = try r.requiredString("type")
        let index = r.path.split(separator: "[").last.map { String($0.dropLast()) } ?? "0"
        let name = try r.string("name") ?? "\(type)-\(index)"
        switch type {
        case "file":
            try r.rejectUnknownKeys(fileKeys)
            var f = try fileInput(r, name: name)
            f.paths = try r.strings("paths") ?? []
            if f.paths.isEmpty { throw ConfigPathError.missing(path: r.path + ".paths") }
            for (i, p) in f.paths.enumerated() where !p.hasPrefix("/") {
                throw ConfigPathError.invalid(path: "\(r.path).paths[\(i)]", expected: "an absolute path pattern, got '\(p)'")
            }
            return .file(f)
        case "docker":
            try r.rejectUnknownKeys(fileKeys.filter { $0 != "paths" && $0 != "encoding" } + ["containers_dir", "containers", "endpoint"])
            var f = try fileInput(r, name: name)
            let dir = try r.string("containers_dir") ?? "/var/lib/docker/containers"
            f.kind = .docker(containersDirectory: dir, nameGlobs: try r.strings("containers") ?? [])
            f.paths = [dir + "/*/*-json.log"]
            return .file(f)
        case "kubernetes", "cri":
            try r.rejectUnknownKeys(fileKeys.filter { $0 != "paths" && $0 != "encoding" } + ["pods_dir", "namespaces"])
            var f = try fileInput(r, name: name)
            let dir = try r.string("pods_dir") ?? "/var/log/pods"
            f.kind = .kubernetes(podsDirectory: dir, namespaces: try r.strings("namespaces") ?? [])
            f.paths = [dir + "/*/*/*.log"]
            return .file(f)
        case "syslog", "http":
            try r.rejectUnknownKeys(["type", "name", "address", "protocol", "service", "max_message_bytes"])
            let proto = try r.string("protocol") ?? (type == "http" ? "tcp" : "udp")
            guard proto == "udp" || proto == "tcp" else { throw ConfigPathError.unknown(path: r.path + ".protocol", name: proto, known: ["udp", "tcp"]) }
            if type == "http" && proto != "tcp" { throw ConfigPathError.invalid(path: r.path + ".protocol", expected: "tcp for an http input") }
            let address = try r.requiredString("address")
            guard (try? ListenAddress.parse(address)) != nil else {
                throw ConfigPathError.invalid(path: r.path + ".address", expected: "host:port such as 0.0.0.0:514 or [::1]:5514, got '\(address)'")
            }
            let n = NetworkInputConfig(name: name, address: address, transport: proto, service: try r.string("service"),
                                       maxMessageBytes: try r.byteSize("max_message_bytes") ?? (type == "http" ? 16 << 20 : 64 << 10))
            return type == "http" ? .http(n) : .syslog(n)
        default:
            throw ConfigPathError.unknown(path: r.path + ".type", name: type, known: ["file", "docker", "kubernetes", "syslog", "http"])
        }
    }

    static func fileInput(_ r: ConfigReader, name: String) throws(ConfigPathError) -> FileInputConfig {
        var f = FileInputConfig(name: name)
        f.exclude = try r.strings("exclude") ?? []
        if let s = try r.string("start_at") {
            guard let v = FileInputConfig.StartAt(rawValue: s) else { throw ConfigPathError.unknown(path: r.path + ".start_at", name: s, known: ["beginning", "end"]) }
            f.startAt = v
        }
        if let s = try r.string("encoding") {
            // `utf-16` means "by the byte-order mark": a mark always wins, little-endian without one.
            let normal = String(s.lowercased().map { $0 == "_" ? "-" : $0 })
            guard let v = normal == "utf-16" || normal == "utf16" ? .utf16LE : TextEncoding(configName: normal) else {
                throw ConfigPathError.unknown(path: r.path + ".encoding", name: s, known: ["utf-8", "utf-16", "utf-16le", "utf-16be", "latin-1"])
            }
            f.encoding = v
        }
        if let s = try r.string("format") {
            guard let v = FileInputConfig.Format(rawValue: s) else { throw ConfigPathError.unknown(path: r.path + ".format", name: s, known: ["auto", "raw"]) }
            f.format = v
        }
        if let n = try r.byteSize("read_buffer") {
            guard (4 << 10 ... 64 << 20).contains(n) else { throw ConfigPathError.invalid(path: r.path + ".read_buffer", expected: "4KiB … 64MiB") }
            f.readBufferBytes = n
        }
        if let n = try r.byteSize("max_line_bytes") {
            guard (256 ... 64 << 20).contains(n) else { throw ConfigPathError.invalid(path: r.path + ".max_line_bytes", expected: "256 … 64MiB") }
            f.maxLineBytes = n
        }
        if let m = r.child("multiline") { f.multiline = try multiline(m) }
        f.service = try r.string("service")
        f.fields = try r.stringMap("fields") ?? []
        f.tags = try r.strings("tags") ?? []
        f.pollIntervalNanos = try positiveDuration(r, "poll_interval") ?? f.pollIntervalNanos
        f.scanIntervalNanos = try positiveDuration(r, "scan_interval") ?? f.scanIntervalNanos
        f.useInotify = try r.bool("inotify") ?? true
        return f
    }

    static func multiline(_ m: ConfigReader) throws(ConfigPathError) -> MultilineConfig {
        try m.rejectUnknownKeys(["pattern", "negate", "match", "max_lines", "max_bytes", "timeout"])
        let pattern = try m.requiredString("pattern")
        do { _ = try PCRERegex(pattern) } catch {
            throw ConfigPathError.invalid(path: m.path + ".pattern", expected: "a valid regular expression (\(error))")
        }
        var o = MultilineOptions()
        o.negate = try m.bool("negate") ?? false
        if let s = try m.string("match") {
            switch s {
            case "after": o.match = .after
            case "before": o.match = .before
            default: throw ConfigPathError.unknown(path: m.path + ".match", name: s, known: ["after", "before"])
            }
        }
        o.maxLines = try m.int("max_lines") ?? 500
        o.maxBytes = try m.byteSize("max_bytes") ?? (256 << 10)
        o.timeoutNanos = try m.duration("timeout") ?? 5_000_000_000
        return MultilineConfig(pattern: pattern, options: o)
    }

    static func output(_ r: ConfigReader?, server: String?, origin: String) throws(ConfigPathError) -> OutputConfig {
        let r = r ?? ConfigReader(value: .null, path: origin + ".output")
        try r.rejectUnknownKeys(["type", "hosts", "compression", "compression_level", "batch_size", "min_batch_size", "batch_bytes", "batch_timeout",
                                 "load_balance", "timeout", "connect_timeout", "backoff", "circuit_breaker", "token", "tls", "path"])
        if let t = try r.string("type"), t != "http" {
            throw ConfigPathError.invalid(path: r.path + ".type", expected: "http (the agent ships to Strata's POST /api/logs; '\(t)' is not available)")
        }
        var hosts = try r.strings("hosts") ?? []
        if hosts.isEmpty, let server { hosts = [server] }
        var o = OutputConfig(endpoints: [])
        for (i, h) in hosts.enumerated() {
            // A server address as a listener's (`host:port`, `[v6]:port`), also written as `http://host:port`.
            guard let a = try? ListenAddress.parse(h.hasPrefix("http://") ? String(h.dropFirst(7)) : h), a.port > 0 else {
                throw ConfigPathError.invalid(path: "\(r.path).hosts[\(i)]", expected: "host:port of a Strata server, got '\(h)'")
            }
            o.endpoints.append(.init(host: a.host, port: a.port))
        }
        if let c = try r.string("compression") {
            guard let m = BodyCompression.Encoding(rawValue: c == "zst" ? "zstd" : c) else {
                throw ConfigPathError.unknown(path: r.path + ".compression", name: c, known: BodyCompression.Encoding.allCases.map(\.rawValue))
            }
            o.compression = m
        }
        if let l = try r.int("compression_level") {
            guard (1...19).contains(l) else { throw ConfigPathError.invalid(path: r.path + ".compression_level", expected: "1 … 19") }
            o.compressionLevel = Int32(l)
        }
        o.batchLines = try r.int("batch_size") ?? o.batchLines
        guard (1...1_000_000).contains(o.batchLines) else { throw ConfigPathError.invalid(path: r.path + ".batch_size", expected: "1 … 1000000") }
        o.minBatchLines = min(try r.int("min_batch_size") ?? min(o.minBatchLines, o.batchLines), o.batchLines)
        guard o.minBatchLines >= 1 else { throw ConfigPathError.invalid(path: r.path + ".min_batch_size", expected: "at least 1") }
        o.batchBytes = try r.byteSize("batch_bytes") ?? o.batchBytes
        guard (1 << 10 ... 64 << 20).contains(o.batchBytes) else { throw ConfigPathError.invalid(path: r.path + ".batch_bytes", expected: "1KiB … 64MiB") }
        o.batchTimeoutNanos = try positiveDuration(r, "batch_timeout") ?? o.batchTimeoutNanos
        o.loadBalance = try r.bool("load_balance") ?? true
        o.requestTimeoutNanos = try positiveDuration(r, "timeout") ?? o.requestTimeoutNanos
        o.connectTimeoutNanos = try positiveDuration(r, "connect_timeout") ?? o.connectTimeoutNanos
        if let b = r.child("backoff") {
            try b.rejectUnknownKeys(["initial", "max"])
            o.backoffInitialNanos = try positiveDuration(b, "initial") ?? o.backoffInitialNanos
            o.backoffMaxNanos = max(try positiveDuration(b, "max") ?? o.backoffMaxNanos, o.backoffInitialNanos)
        }
        if let c = r.child("circuit_breaker") {
            try c.rejectUnknownKeys(["failures", "cooldown"])
            o.breakerFailures = try c.int("failures") ?? o.breakerFailures
            guard o.breakerFailures >= 1 else { throw ConfigPathError.invalid(path: c.path + ".failures", expected: "at least 1") }
            o.breakerCooldownNanos = try positiveDuration(c, "cooldown") ?? o.breakerCooldownNanos
        }
        o.token = try r.string("token")
        if let t = r.child("tls") {
            try t.rejectUnknownKeys(["enabled", "ca_file", "cert_file", "key_file", "insecure_skip_verify", "server_name"])
            var tls = AgentTLSOptions()
            tls.enabled = try t.bool("enabled") ?? true
            tls.caFile = try t.string("ca_file")
            tls.certFile = try t.string("cert_file")
            tls.keyFile = try t.string("key_file")
            tls.insecureSkipVerify = try t.bool("insecure_skip_verify") ?? false
            tls.serverName = try t.string("server_name")
            if (tls.certFile == nil) != (tls.keyFile == nil) {
                throw ConfigPathError.invalid(path: t.path, expected: "cert_file and key_file together")
            }
            if tls.enabled { o.tls = tls }
        }
        o.path = try r.string("path") ?? o.path
        return o
    }
}
