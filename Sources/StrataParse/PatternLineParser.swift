import StrataFormat

/// Parses lines with an ordered list of grok expressions or regexes with named groups: the
/// first that matches the whole line wins.
///
/// Captures become entry parts by name (case-insensitive): `timestamp|@timestamp|ts|time` →
/// the time (any spelling `FlexibleTimestamp` knows, or `timestampFormat` when set),
/// `message|msg` → the message, `level|loglevel|severity|lvl` → the level, `service|program`
/// → service, `host|hostname|logsource` → host, `source` → source; everything else is a
/// field (typed as `GrokPattern` says). Without a message capture the whole line is the
/// message. A capture that cannot play its role (an unparsable time, an unknown level) is
/// kept as a field instead, so nothing is lost.
///
/// Invariant: a line that no pattern matches throws a `ParseError` naming how many patterns
/// were tried; nothing else throws.
public struct PatternLineParser: Sendable {
    /// The patterns, tried in order.
    public let patterns: [GrokPattern]
    /// Layout of the timestamp capture; nil to recognise common spellings.
    public var timestampFormat: TimestampFormat?
    /// Zone for timestamps without an offset.
    public var zone: TimeZoneRule = .utc

    public init(patterns: [GrokPattern], timestampFormat: TimestampFormat? = nil, zone: TimeZoneRule = .utc) {
        self.patterns = patterns
        self.timestampFormat = timestampFormat
        self.zone = zone
    }

    /// Grok expressions expanded against `library`.
    public init(grok expressions: [String], library: GrokLibrary) throws(GrokError) {
        var p: [GrokPattern] = []
        for e in expressions { p.append(try GrokPattern(e, library: library)) }
        self.init(patterns: p)
    }

    /// Plain regexes with named groups (no grok references).
    public init(regexes: [String]) throws(GrokError) {
        try self.init(grok: regexes, library: GrokLibrary())
    }

    /// Parses `line` with the first matching pattern.
    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ParseError) -> LogEntry {
        for p in patterns {
            var b = EntryBuilder()
            let matched = p.forEachCapture(in: line) { c, v in assign(c, v, to: &b, defaults: defaults) }
            if matched {
                if b.message == nil { b.message = String(decoding: line, as: UTF8.self) }
                return b.build(defaults: defaults)
            }
        }
        throw ParseError(patterns.count == 1 ? "line does not match the pattern" : "line matches none of the \(patterns.count) patterns", at: 0)
    }

    func assign(_ c: GrokPattern.Capture, _ v: UnsafeRawBufferPointer, to b: inout EntryBuilder, defaults: ParseDefaults) {
        switch PatternLineParser.role(of: c.field) {
        case .timestamp where b.timestamp == nil:
            let year = Timestamp.civilFromDays(Int(defaults.receivedAtNanos / 86_400_000_000_000)).year
            if let t = timestampFormat?.parse(v, zone: zone, defaultYear: year) ?? (timestampFormat == nil ? FlexibleTimestamp.parse(v, zone: zone, defaultYear: year) : nil) {
                b.timestamp = t
                return
            }
        case .message where b.message == nil:
            b.message = String(decoding: v, as: UTF8.self)
            return
        case .level where b.level == .unknown:
            if let l = LogLevel.normalise(v) { b.level = l; return }
        case .service where b.service == nil: b.service = String(decoding: v, as: UTF8.self); return
        case .host where b.host == nil: b.host = String(decoding: v, as: UTF8.self); return
        case .source where b.source == nil: b.source = String(decoding: v, as: UTF8.self); return
        default: break
        }
        b.addField(c.field, GrokPattern.value(v, c.type))
    }

    static func role(of field: String) -> EntryBuilder.Role {
        switch field.lowercased() {
        case "timestamp", "@timestamp", "ts", "time": .timestamp
        case "message", "msg": .message
        case "level", "loglevel", "severity", "lvl": .level
        case "service", "program": .service
        case "host", "hostname", "logsource": .host
        case "source": .source
        default: .other
        }
    }
}
