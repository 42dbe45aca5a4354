import StrataConfig
import StrataIO
import StrataParse
#if canImport(Glibc)
import Glibc
#endif

extension AgentConfig {
    /// Reads and validates `agent.yaml` text. `origin` names the file in errors; relative
    /// `buffer.path` values are taken relative to `baseDirectory`.
    ///
    /// - Throws: `ConfigPathError` naming the setting (`inputs[1].multiline.pattern: …`).
    public static func load(yaml text: String, origin: String, baseDirectory: String = ".") throws(ConfigPathError) -> AgentConfig {
        let root = ConfigReader(value: try ConfigValue.parse(yaml: text, path: origin), path: origin)
        if case .null = root.value { throw ConfigPathError.failed(path: origin, reason: "the file is empty") }
        try root.rejectUnknownKeys(["agent", "inputs", "processors", "output"])
        let agent = root.child("agent") ?? ConfigReader(value: .null, path: origin + ".agent")
        try agent.rejectUnknownKeys(["id", "hostname", "server", "buffer", "heartbeat_interval", "checkpoint_interval", "shutdown_timeout"])
        let host = try agent.string("hostname") ?? Self.systemHostName()
        let buffer = agent.child("buffer") ?? ConfigReader(value: .null, path: agent.path + ".buffer")
        try buffer.rejectUnknownKeys(["type", "size", "path", "memory_batches"])
        let typeText = try buffer.string("type") ?? "disk"
        guard let bufferType = BufferType(rawValue: typeText) else {
            throw ConfigPathError.unknown(path: buffer.path + ".type", name: typeText, known: ["disk", "memory"])
        }
        var path = try buffer.string("path") ?? "/var/lib/strata-agent"
        if !path.hasPrefix("/") { path = baseDirectory + "/" + path }
        let size = try buffer.byteSize("size") ?? (1 << 30)
        guard size >= 1 << 20 else { throw ConfigPathError.invalid(path: buffer.path + ".size", expected: "at least 1MB") }
        let ring = try buffer.int("memory_batches") ?? 16
        guard (1...4096).contains(ring) else { throw ConfigPathError.invalid(path: buffer.path + ".memory_batches", expected: "1 … 4096") }

        var inputs: [InputConfig] = []
        guard let inputList = try root.list("inputs"), !inputList.isEmpty else {
            throw ConfigPathError.missing(path: origin + ".inputs")
        }
        for item in inputList { inputs.append(try Self.input(item)) }
        var names = Set<String>()
        for i in inputs where !names.insert(i.name).inserted {
            throw ConfigPathError.failed(path: origin + ".inputs", reason: "two inputs are named '\(i.name)'; names must be unique")
        }

        var output = try Self.output(root.child("output"), server: try agent.string("server"), origin: origin)
        if output.endpoints.isEmpty { throw ConfigPathError.missing(path: origin + ".output.hosts") }
        output.path = output.path.hasPrefix("/") ? output.path : "/" + output.path
        return AgentConfig(
            id: try agent.string("id") ?? host, hostname: host, statePath: path, bufferType: bufferType,
            bufferMaxBytes: size, memoryBatches: ring,
            heartbeatIntervalNanos: try positiveDuration(agent, "heartbeat_interval") ?? 10_000_000_000,
            checkpointIntervalNanos: try positiveDuration(agent, "checkpoint_interval") ?? 1_000_000_000,
            shutdownTimeoutNanos: try agent.duration("shutdown_timeout") ?? 5_000_000_000,
            inputs: inputs, processors: try Self.processors(try root.list("processors") ?? []), output: output)
    }

    /// Reads and validates the file at `path`.
    public static func load(path: String) throws(ConfigPathError) -> AgentConfig {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch { throw ConfigPathError.failed(path: path, reason: "cannot read: \(error)") }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        return try load(yaml: String(decoding: bytes, as: UTF8.self), origin: path, baseDirectory: dir)
    }

    static func positiveDuration(_ r: ConfigReader, _ key: String) throws(ConfigPathError) -> Int64? {
        guard let d = try r.duration(key) else { return nil }
        guard d > 0 else { throw ConfigPathError.invalid(path: r.path + "." + key, expected: "a duration above zero") }
        return d
    }

    /// The kernel's host name (`uname -n`).
    public static func systemHostName() -> String {
        var u = utsname()
        guard uname(&u) == 0 else { return "localhost" }
        return withUnsafePointer(to: u.nodename) { p in p.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
    }

    static func processors(_ items: [ConfigReader]) throws(ConfigPathError) -> ProcessorConfig {
        var p = ProcessorConfig()
        for item in items {
            // Both `- type: add_host_metadata` and Beats' `- add_host_metadata: {}` forms.
            var type = try item.string("type")
            var body = item
            if type == nil, case .map(let pairs) = item.value, pairs.count == 1 {
                type = pairs[0].0
                body = ConfigReader(value: pairs[0].1, path: item.path + "." + pairs[0].0)
            }
            guard let type else { throw ConfigPathError.missing(path: item.path + ".type") }
            switch type {
            case "add_host_metadata": p.addHostMetadata = true
            case "add_docker_metadata": p.addDockerLabels = true
            case "add_fields": p.fields += try body.stringMap("fields") ?? []
            default: throw ConfigPathError.unknown(path: item.path + ".type", name: type, known: ["add_host_metadata", "add_docker_metadata", "add_fields"])
            }
        }
        return p
    }
}
