import StrataFormat
import StrataParse
import StrataQuery

/// Turns configuration trees into pipelines, stages, parsers and outputs, checking every
/// setting (unknown processor or parser names, bad regexes, missing files are errors naming
/// the setting's path).
struct PipelineBuilder {
    let baseDirectory: String
    let outputs: [String: OutputSpec]

    static let parserNames = ["json", "ndjson", "logfmt", "kv", "csv", "regex", "grok", "syslog", "raw", "nginx", "nginx_combined",
                              "nginx_common", "nginx_error", "apache", "apache_combined", "apache_common", "apache_error"]
    static let processorNames = ["rename", "remove", "add", "convert", "map", "mask", "timestamp", "level", "geoip", "user_agent",
                                 "lookup", "host_metadata", "drop", "keep", "sample", "rate_limit", "dedup", "aggregate"]

    func resolve(_ p: String) -> String { p.hasPrefix("/") || baseDirectory.isEmpty ? p : baseDirectory + "/" + p }

    func pipeline(_ r: ConfigReader) throws(PipelineConfigError) -> Pipeline {
        let name = try r.requiredString("name")
        var filter: EntryFilter?
        if let q = try r.string("filter") {
            do { filter = try EntryFilter(query: q) } catch { throw PipelineConfigError.invalid(path: r.path + ".filter", expected: "a filter query: \(error)") }
        }
        var parser: ParserStage?
        if let p = r.child("parser") { parser = try self.parser(p, onError: try r.string("on_error") ?? "keep") }
        var stages: [any PipelineStage] = []
        if let procs = r.value["processors"] {
            guard case .list(let items) = procs else { throw PipelineConfigError.invalid(path: r.path + ".processors", expected: "a list") }
            for (i, item) in items.enumerated() {
                stages.append(try processor(ConfigReader(value: item, path: "\(r.path).processors[\(i)]"), pipeline: name))
            }
        }
        let router = try routes(r)
        var multiline: MultilineSpec?
        if let m = r.child("multiline") { multiline = try self.multiline(m) }
        return Pipeline(name: name, filter: filter, parser: parser, stages: stages, router: router, multiline: multiline)
    }

    func multiline(_ r: ConfigReader) throws(PipelineConfigError) -> MultilineSpec {
        let pattern = try r.requiredString("pattern")
        let regex: PCRERegex
        do { regex = try PCRERegex(pattern) } catch { throw PipelineConfigError.invalid(path: r.path + ".pattern", expected: "a valid regex: \(error)") }
        var o = MultilineOptions()
        o.negate = try r.bool("negate") ?? false
        switch try r.string("match") ?? "after" {
        case "after": o.match = .after
        case "before": o.match = .before
        case let m: throw PipelineConfigError.invalid(path: r.path + ".match", expected: "after or before, got '\(m)'")
        }
        if let n = try r.int("max_lines") { o.maxLines = n }
        if let n = try r.int("max_bytes") { o.maxBytes = n }
        if let t = try r.duration("timeout") { o.timeoutNanos = t }
        return MultilineSpec(pattern: PCRERegexBox(regex: regex), options: o)
    }

    func routes(_ r: ConfigReader) throws(PipelineConfigError) -> PipelineRouter {
        var defaults = ["store"]
        var rules: [PipelineRouter.Rule] = []
        if let d = try r.strings("default_outputs") { defaults = d } else if let d = try r.strings("outputs") { defaults = d }
        if let items = r.value["routes"] {
            guard case .list(let list) = items else { throw PipelineConfigError.invalid(path: r.path + ".routes", expected: "a list") }
            for (i, item) in list.enumerated() {
                let rr = ConfigReader(value: item, path: "\(r.path).routes[\(i)]")
                if let d = try rr.strings("default") { defaults = d; continue }
                var query: String
                if let q = try rr.string("query") { query = q }
                else if let l = try rr.string("level") { query = "level:\(l)" }
                else if let s = try rr.string("service") { query = "service:\(PipelineBuilder.quoted(s))" }
                else if let h = try rr.string("host") { query = "host:\(PipelineBuilder.quoted(h))" }
                else { throw PipelineConfigError.missing(path: rr.path + ".query") }
                let filter: EntryFilter
                do { filter = try EntryFilter(query: query) } catch { throw PipelineConfigError.invalid(path: rr.path, expected: "a filter query: \(error)") }
                let outputList = try rr.strings("outputs")
                let toList = try rr.strings("to")
                guard let outs = outputList ?? toList else { throw PipelineConfigError.missing(path: rr.path + ".outputs") }
                rules.append(PipelineRouter.Rule(filter: filter, outputs: outs, continueAfter: try rr.bool("continue") ?? false))
            }
        }
        for o in defaults + rules.flatMap(\.outputs) where outputs[o] == nil {
            throw PipelineConfigError.unknown(path: r.path + ".routes", name: o, known: outputs.keys.sorted())
        }
        return PipelineRouter(rules: rules, defaultOutputs: defaults)
    }

    static func quoted(_ s: String) -> String {
        s.contains(where: { $0 == " " || $0 == ":" || $0 == "\"" }) ? "\"" + s.replacingQuotes() + "\"" : s
    }

    static func output(_ r: ConfigReader) throws(PipelineConfigError) -> OutputSpec {
        let name = try r.requiredString("name")
        switch try r.requiredString("type") {
        case "store": return OutputSpec(name: name, kind: .store)
        case "stream": return OutputSpec(name: name, kind: .stream(try r.string("stream") ?? name))
        case "stdout": return OutputSpec(name: name, kind: .stdout)
        case "http":
            let url = try r.requiredString("url")
            guard let parsed = PipelineBuilder.parseURL(url) else { throw PipelineConfigError.invalid(path: r.path + ".url", expected: "http://host:port[/path], got '\(url)'") }
            return OutputSpec(name: name, kind: .http(host: parsed.host, port: parsed.port, path: parsed.path))
        case let t: throw PipelineConfigError.unknown(path: r.path + ".type", name: t, known: ["store", "stream", "http", "stdout"])
        }
    }

    static func parseURL(_ url: String) -> (host: String, port: Int, path: String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let hostPort = rest.prefix(while: { $0 != "/" })
        let path = rest.dropFirst(hostPort.count)
        let parts = hostPort.split(separator: ":")
        guard parts.count <= 2, let host = parts.first, !host.isEmpty else { return nil }
        let port = parts.count == 2 ? Int(parts[1]) : 80
        guard let port, (1...65535).contains(port) else { return nil }
        return (String(host), port, path.isEmpty ? "/api/logs" : String(path))
    }
}

extension String {
    func replacingQuotes() -> String { String(flatMap { $0 == "\"" ? ["\\", "\""] : [$0] }) }
}
