import StrataFormat

/// Accumulates the parts of one entry while a parser walks a line, applying the common
/// key conventions: time from `timestamp|@timestamp|ts|time`, text from `message|msg`,
/// `level|lvl|severity|loglevel` normalised, `service|host|source` and `tags` mapped to their
/// columns, everything else kept as fields.
struct EntryBuilder {
    var timestamp: Int64?
    var level: LogLevel = .unknown
    var message: String?
    var service: String?
    var host: String?
    var source: String?
    var fields: [Field] = []
    var tags: [String] = []

    enum Role { case timestamp, message, level, service, host, source, tags, other }

    /// The role a top-level key plays.
    static func role(of key: UnsafeRawBufferPointer) -> Role {
        switch key.count {
        case 2: if eq(key, "ts") { return .timestamp }
        case 3: if eq(key, "msg") { return .message }; if eq(key, "lvl") { return .level }
        case 4:
            if eq(key, "time") { return .timestamp }
            if eq(key, "host") { return .host }
            if eq(key, "tags") { return .tags }
        case 5: if eq(key, "level") { return .level }
        case 6: if eq(key, "source") { return .source }
        case 7: if eq(key, "message") { return .message }; if eq(key, "service") { return .service }
        case 8: if eq(key, "severity") { return .level }; if eq(key, "loglevel") { return .level }
        case 9: if eq(key, "timestamp") { return .timestamp }
        case 10: if eq(key, "@timestamp") { return .timestamp }
        default: break
        }
        return .other
    }

    @inline(__always) static func eq(_ a: UnsafeRawBufferPointer, _ b: StaticString) -> Bool {
        guard a.count == b.utf8CodeUnitCount else { return false }
        return memcmp(a.baseAddress!, b.utf8Start, a.count) == 0
    }

    /// Reads a quoted value starting at the opening `quote` at `i` into `value` (backslash
    /// escapes: `\n`, `\t`, `\r`, else the next byte itself) and leaves `i` after the closing quote.
    static func readQuoted(_ line: UnsafeRawBufferPointer, at i: inout Int, quote: UInt8, into value: inout [UInt8]) throws(ParseError) {
        let q = i
        let n = line.count
        i += 1
        while i < n {
            let c = line[i]
            if c == quote { i += 1; return }
            if c == 0x5C && i + 1 < n {
                switch line[i + 1] {
                case UInt8(ascii: "n"): value.append(0x0A)
                case UInt8(ascii: "t"): value.append(0x09)
                case UInt8(ascii: "r"): value.append(0x0D)
                case let e: value.append(e)
                }
                i += 2
                continue
            }
            value.append(c)
            i += 1
        }
        throw ParseError("unterminated quoted value", at: q)
    }

    mutating func addField(_ key: String, _ value: FieldValue) {
        if fields.count < Limits.maxFieldsPerEntry, !fields.contains(where: { $0.key == key }) {
            fields.append(Field(key, value))
        }
    }

    func build(defaults: ParseDefaults) -> LogEntry {
        LogEntry(timestampNanos: timestamp ?? defaults.receivedAtNanos, level: level, message: message ?? "",
                 service: service ?? defaults.service, host: host ?? defaults.host, source: source ?? defaults.source,
                 fields: fields, tags: tags)
    }
}

#if canImport(Glibc)
import Glibc
#endif
