import StrataFormat
import StrataIO
import StrataParse

extension PipelineBuilder {
    /// `parser: NAME` or `parser: {type: NAME, …options}`.
    func parser(_ r: ConfigReader, onError: String) throws(PipelineConfigError) -> ParserStage {
        guard onError == "keep" || onError == "drop" else { throw PipelineConfigError.invalid(path: r.path + ".on_error", expected: "keep or drop") }
        let keep = onError == "keep"
        let type: String
        var opts = ConfigReader(value: .map([]), path: r.path)
        if let s = r.value.string { type = s } else { type = try r.requiredString("type"); opts = r }
        let mapping = try opts.stringMap("fields") ?? []
        let parse = try parseFunction(type, opts)
        let mapped: @Sendable (UnsafeRawBufferPointer, ParseDefaults) throws(ParseError) -> LogEntry?
        if mapping.isEmpty {
            mapped = parse
        } else {
            // Custom field mapping: rename parsed parts (`fields: {log_msg: message}`).
            mapped = { (line: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in
                guard var e = try parse(line, d) else { return nil }
                for (from, to) in mapping where from != to { if let v = e.value(of: from), e.set(to, v) { e.remove(from) } }
                return e
            }
        }
        return ParserStage(name: type, keepFailures: keep, parse: mapped)
    }

    func parseFunction(_ type: String, _ o: ConfigReader) throws(PipelineConfigError) -> @Sendable (UnsafeRawBufferPointer, ParseDefaults) throws(ParseError) -> LogEntry? {
        switch type {
        case "json", "ndjson":
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in try LineParser(format: .ndjson).parse(l, defaults: d) }
        case "logfmt":
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in try LineParser(format: .logfmt).parse(l, defaults: d) }
        case "syslog":
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in SyslogParser.parse(l, defaults: d) }
        case "raw":
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in RawLineParser().parse(l, defaults: d) }
        case "kv":
            let kv = KeyValueParser(pairSeparator: try byte(o, "separator", " "), keyValueSeparator: try byte(o, "key_value_separator", "="), quote: try byte(o, "quote", "\""))
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in try kv.parse(l, defaults: d) }
        case "nginx", "apache":
            if let layout = try o.string("format") {
                let f: AccessLogFormat
                do { f = type == "nginx" ? try AccessLogFormat(nginx: layout) : try AccessLogFormat(apache: layout) } catch { throw PipelineConfigError.invalid(path: o.path + ".format", expected: "a \(type) log format: \(error)") }
                return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in
                    guard let e = f.parse(l, defaults: d) else { throw ParseError("line does not follow the log format", at: 0) }
                    return e
                }
            }
            let fmt: InputFormat = type == "nginx" ? .nginx : .apache
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in try LineParser(format: fmt).parse(l, defaults: d) }
        case "nginx_combined", "nginx_common", "apache_combined", "apache_common":
            let f = ["nginx_combined": AccessLogFormat.nginxCombined, "nginx_common": .nginxCommon, "apache_combined": .apacheCombined, "apache_common": .apacheCommon][type]!
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in
                guard let e = f.parse(l, defaults: d) else { throw ParseError("not a \(type) line", at: 0) }
                return e
            }
        case "nginx_error", "apache_error":
            let p = ErrorLogParser(type == "nginx_error" ? .nginx : .apache)
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in try p.parse(l, defaults: d) }
        case "regex", "grok":
            var library = GrokLibrary()
            if type == "grok" {
                library = .builtin
                for dir in try o.strings("patterns_dir") ?? [] {
                    do { try library.load(directory: resolve(dir)) } catch { throw PipelineConfigError.failed(path: o.path + ".patterns_dir", reason: error.description) }
                }
                if let defs = try o.stringMap("pattern_definitions") {
                    do { try library.add(text: defs.map { "\($0.0) \($0.1)" }.joined(separator: "\n"), origin: o.path + ".pattern_definitions") } catch { throw PipelineConfigError.failed(path: o.path + ".pattern_definitions", reason: error.description) }
                }
            }
            let plural = try o.strings("patterns")
            let singular = try o.strings("pattern")
            guard let expressions = plural ?? singular, !expressions.isEmpty else { throw PipelineConfigError.missing(path: o.path + ".patterns") }
            var parser: PatternLineParser
            do { parser = try PatternLineParser(grok: expressions, library: library) } catch { throw PipelineConfigError.invalid(path: o.path + ".patterns", expected: "valid \(type) patterns: \(error)") }
            if let tf = try o.string("timestamp_format") {
                do { parser.timestampFormat = try TimestampFormat(tf) } catch { throw PipelineConfigError.invalid(path: o.path + ".timestamp_format", expected: "a layout: \(error)") }
            }
            if let z = try o.string("timezone") {
                do { parser.zone = try TimeZoneRule(z) } catch { throw PipelineConfigError.invalid(path: o.path + ".timezone", expected: "a zone: \(error)") }
            }
            let p = parser
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in try p.parse(l, defaults: d) }
        case "csv":
            var options = CSVOptions()
            options.delimiter = try byte(o, "delimiter", ",")
            options.quote = try byte(o, "quote", "\"")
            options.skip = Set(try o.strings("skip") ?? [])
            options.trimSpaces = try o.bool("trim") ?? false
            if let cols = try o.strings("columns") {
                options.header = .columns(cols)
            } else {
                switch try o.string("header") ?? "auto" {
                case "auto": options.header = .auto
                case "present", "true", "yes": options.header = .present
                case "absent", "false", "no": options.header = .absent
                case let h: throw PipelineConfigError.invalid(path: o.path + ".header", expected: "auto, present or absent; got '\(h)'")
                }
            }
            let state = CSVState(parser: CSVParser(options: options))
            return { (l: UnsafeRawBufferPointer, d: ParseDefaults) throws(ParseError) -> LogEntry? in try state.parse(l, defaults: d) }
        default:
            throw PipelineConfigError.unknown(path: o.path + ".type", name: type, known: PipelineBuilder.parserNames)
        }
    }

    func byte(_ r: ConfigReader, _ key: String, _ fallback: String) throws(PipelineConfigError) -> UInt8 {
        var s = try r.string(key) ?? fallback
        if s == "\\t" || s == "tab" { s = "\t" }
        guard s.utf8.count == 1, let b = s.utf8.first else { throw PipelineConfigError.invalid(path: r.path + "." + key, expected: "one ASCII character, got '\(s)'") }
        return b
    }
}

/// A CSV parser whose header state is shared by every line of a pipeline (the first record
/// may be the header row).
final class CSVState: @unchecked Sendable {
    private let lock = ConditionLock()
    private var parser: CSVParser

    init(parser: CSVParser) { self.parser = parser }

    func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ParseError) -> LogEntry? {
        lock.lock()
        defer { lock.unlock() }
        guard let pairs = try parser.parse(record: line) else { return nil }
        var e = LogEntry(timestampNanos: defaults.receivedAtNanos, message: "", service: defaults.service, host: defaults.host, source: defaults.source)
        for (k, v) in pairs {
            let value: FieldValue = Array(v.utf8).withUnsafeBytes { FieldInference.value($0) }
            switch k {
            case "timestamp", "@timestamp", "time", "ts":
                if let t = Array(v.utf8).withUnsafeBytes({ FlexibleTimestamp.parse($0) }) { e.timestampNanos = t } else { e.fields.append(Field(k, value)) }
            case "message", "msg": e.message = v
            case "level", "severity":
                if let l = LogLevel.normalise(v) { e.level = l } else { e.fields.append(Field(k, value)) }
            case "service", "host", "source": e.set(k, .string(v))
            default: e.set(k, value)
            }
        }
        if e.message.isEmpty { e.message = String(decoding: line, as: UTF8.self) }
        return e
    }
}
