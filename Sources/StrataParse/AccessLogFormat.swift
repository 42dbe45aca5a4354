#if canImport(Glibc)
import Glibc
#endif
import StrataFormat

/// A web-server access-log layout — nginx `log_format` (`$remote_addr - $remote_user …`) or
/// Apache `LogFormat` (`%h %l %u %t "%r" %>s %b …`) — compiled into literals and fields and
/// matched over bytes without a regular expression.
///
/// Matching walks the layout left to right: each field ends where the next literal text
/// occurs (a field inside quotes skips backslash-escaped quotes; the last literal is anchored
/// at the end of the line). Fields become entry parts: the request line is the message (and
/// its verb the `method` field), the time is the timestamp, the status sets the level (5xx
/// error, 4xx warn, else info), and the rest become fields with inferred types; a `-` value
/// means absent and is dropped.
///
/// Invariant: `match` is total over any bytes — it returns nil, never traps.
public struct AccessLogFormat: Sendable {
    /// What one layout field holds.
    public enum Role: Sendable, Equatable {
        case timestampCLF, timestampISO, timestampEpoch, request, status, field(String, numeric: Bool)
    }

    struct Item: Sendable {
        var literal: [UInt8]   // text that precedes the field (may be empty)
        var role: Role?        // nil only for the trailing literal
    }

    let items: [Item]
    /// The layout text as given.
    public let layout: String
    /// The source name entries get when the caller gives none (`nginx` or `apache`).
    public let sourceName: String

    /// nginx's predefined `combined` layout.
    public static let nginxCombined = try! AccessLogFormat(nginx: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#)
    /// Common log format as nginx writes it.
    public static let nginxCommon = try! AccessLogFormat(nginx: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#)
    /// Apache's `combined` nickname.
    public static let apacheCombined = try! AccessLogFormat(apache: #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#)
    /// Apache's `common` nickname.
    public static let apacheCommon = try! AccessLogFormat(apache: #"%h %l %u %t "%r" %>s %b"#)

    /// Compiles an nginx `log_format` string (`$name` or `${name}` variables).
    public init(nginx layout: String) throws(ParseError) {
        self.layout = layout
        sourceName = "nginx"
        var items: [Item] = []
        var literal: [UInt8] = []
        let b = Array(layout.utf8)
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "$") else { literal.append(b[i]); i += 1; continue }
            var j = i + 1
            var name: [UInt8] = []
            if j < b.count, b[j] == UInt8(ascii: "{") {
                j += 1
                while j < b.count, b[j] != UInt8(ascii: "}") { name.append(b[j]); j += 1 }
                guard j < b.count else { throw ParseError("unterminated ${ in log_format", at: i) }
                j += 1
            } else {
                while j < b.count, AccessLogFormat.isNameByte(b[j]) { name.append(b[j]); j += 1 }
            }
            guard !name.isEmpty else { throw ParseError("empty variable name in log_format", at: i) }
            if let last = items.last, last.role != nil, literal.isEmpty {
                throw ParseError("two variables without text between them", at: i)
            }
            items.append(Item(literal: literal, role: AccessLogFormat.nginxRole(String(decoding: name, as: UTF8.self))))
            literal = []
            i = j
        }
        items.append(Item(literal: literal, role: nil))
        self.items = items
    }

    /// Compiles an Apache `LogFormat` string (`%h`, `%>s`, `%{Header}i`, …).
    public init(apache layout: String) throws(ParseError) {
        self.layout = layout
        sourceName = "apache"
        var items: [Item] = []
        var literal: [UInt8] = []
        let b = Array(layout.utf8)
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "%") else { literal.append(b[i]); i += 1; continue }
            var j = i + 1
            if j < b.count, b[j] == UInt8(ascii: "%") { literal.append(b[j]); i = j + 1; continue }
            var argument: String?
            while j < b.count, b[j] == UInt8(ascii: ">") || b[j] == UInt8(ascii: "<") || b[j] == UInt8(ascii: "!") || (b[j] >= 0x30 && b[j] <= 0x39) || b[j] == UInt8(ascii: ",") { j += 1 }
            if j < b.count, b[j] == UInt8(ascii: "{") {
                let s = j + 1
                while j < b.count, b[j] != UInt8(ascii: "}") { j += 1 }
                guard j < b.count else { throw ParseError("unterminated %{ in LogFormat", at: i) }
                argument = String(decoding: b[s..<j], as: UTF8.self)
                j += 1
            }
            guard j < b.count else { throw ParseError("LogFormat ends inside a directive", at: i) }
            guard let role = AccessLogFormat.apacheRole(b[j], argument) else {
                throw ParseError("unknown LogFormat directive '%\(Character(Unicode.Scalar(b[j])))'", at: i)
            }
            if let last = items.last, last.role != nil, literal.isEmpty {
                throw ParseError("two directives without text between them", at: i)
            }
            // `%t` prints `[time]`: the brackets are layout text, so the space inside the time
            // does not end the field.
            let bracketed = b[j] == UInt8(ascii: "t") && argument == nil
            items.append(Item(literal: bracketed ? literal + [UInt8(ascii: "[")] : literal, role: role))
            literal = bracketed ? [UInt8(ascii: "]")] : []
            i = j + 1
        }
        items.append(Item(literal: literal, role: nil))
        self.items = items
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
    }

    static func nginxRole(_ name: String) -> Role {
        switch name {
        case "time_local": return .timestampCLF
        case "time_iso8601": return .timestampISO
        case "msec": return .timestampEpoch
        case "request": return .request
        case "status": return .status
        case "remote_addr": return .field("client_ip", numeric: false)
        case "remote_user": return .field("user", numeric: false)
        case "body_bytes_sent": return .field("bytes", numeric: true)
        case "http_referer": return .field("referer", numeric: false)
        case "http_user_agent": return .field("user_agent", numeric: false)
        case "request_method": return .field("method", numeric: false)
        case "host", "hostname": return .field("http_host", numeric: false)
        default:
            let numeric = ["bytes_sent", "request_length", "request_time", "upstream_response_time", "upstream_connect_time",
                           "upstream_header_time", "upstream_status", "connection", "connection_requests", "pid", "server_port", "remote_port"].contains(name)
            return .field(name, numeric: numeric)
        }
    }

    static func apacheRole(_ c: UInt8, _ argument: String?) -> Role? {
        switch c {
        case UInt8(ascii: "h"), UInt8(ascii: "a"): return .field("client_ip", numeric: false)
        case UInt8(ascii: "l"): return .field("ident", numeric: false)
        case UInt8(ascii: "u"): return .field("user", numeric: false)
        case UInt8(ascii: "t"): return .timestampCLF
        case UInt8(ascii: "r"): return .request
        case UInt8(ascii: "s"): return .status
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return .field("bytes", numeric: true)
        case UInt8(ascii: "D"): return .field("duration_us", numeric: true)
        case UInt8(ascii: "T"): return .field("duration_s", numeric: true)
        case UInt8(ascii: "v"), UInt8(ascii: "V"): return .field("server_name", numeric: false)
        case UInt8(ascii: "p"): return .field("port", numeric: true)
        case UInt8(ascii: "P"): return .field("pid", numeric: true)
        case UInt8(ascii: "m"): return .field("method", numeric: false)
        case UInt8(ascii: "U"): return .field("path", numeric: false)
        case UInt8(ascii: "q"): return .field("query_string", numeric: false)
        case UInt8(ascii: "H"): return .field("protocol", numeric: false)
        case UInt8(ascii: "I"): return .field("bytes_in", numeric: true)
        case UInt8(ascii: "O"): return .field("bytes_out", numeric: true)
        case UInt8(ascii: "S"): return .field("bytes_transferred", numeric: true)
        case UInt8(ascii: "X"): return .field("connection_status", numeric: false)
        case UInt8(ascii: "k"): return .field("keepalive_requests", numeric: true)
        case UInt8(ascii: "L"): return .field("log_id", numeric: false)
        case UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "e"), UInt8(ascii: "n"), UInt8(ascii: "C"):
            guard let argument, !argument.isEmpty else { return nil }
            let key = String(argument.lowercased().map { $0 == "-" ? "_" : $0 })
            if c == UInt8(ascii: "i") && key == "referer" { return .field("referer", numeric: false) }
            if c == UInt8(ascii: "i") && key == "user_agent" { return .field("user_agent", numeric: false) }
            let prefix = c == UInt8(ascii: "o") ? "response_" : c == UInt8(ascii: "i") ? "" : "env_"
            return .field(prefix + key, numeric: false)
        default: return nil
        }
    }

    /// Matches `line` and builds its entry; nil when the line does not follow the layout.
    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) -> LogEntry? {
        guard let base = line.baseAddress else { return nil }
        let n = line.count
        var b = EntryBuilder()
        var pos = 0
        var i = 0
        while i < items.count {
            let item = items[i]
            // The literal preceding this field (or the trailing literal) must be at `pos`.
            let lit = item.literal
            if !lit.isEmpty {
                guard n - pos >= lit.count, lit.withUnsafeBytes({ memcmp(base + pos, $0.baseAddress!, lit.count) }) == 0 else { return nil }
                pos += lit.count
            }
            guard let role = item.role else { break }
            let next = items[i + 1].literal
            let end: Int
            if next.isEmpty {
                end = n   // the field runs to the end of the line
            } else if i + 1 == items.count - 1 {
                // The trailing literal is anchored at the end of the line.
                guard n - pos >= next.count, next.withUnsafeBytes({ memcmp(base + n - next.count, $0.baseAddress!, next.count) }) == 0 else { return nil }
                end = n - next.count
            } else {
                let quoted = lit.last == UInt8(ascii: "\"")
                guard let e = AccessLogFormat.find(next, in: line, from: pos, skipEscapes: quoted) else { return nil }
                end = e
            }
            guard assign(role, UnsafeRawBufferPointer(rebasing: line[pos..<end]), to: &b) else { return nil }
            pos = end
            i += 1
        }
        if b.source == nil && defaults.source.isEmpty { b.source = sourceName }
        if b.message == nil { b.message = String(decoding: line, as: UTF8.self) }
        return b.build(defaults: defaults)
    }

    /// The offset of the first occurrence of `needle` at or after `from`; with `skipEscapes`,
    /// a quote preceded by an odd number of backslashes is skipped (Apache writes `\"` for a
    /// quote and `\\` for a backslash inside quotes).
    static func find(_ needle: [UInt8], in hay: UnsafeRawBufferPointer, from: Int, skipEscapes: Bool) -> Int? {
        guard let base = hay.baseAddress else { return nil }
        var start = from
        while start <= hay.count - needle.count {
            guard let hit = memchr(base + start, Int32(needle[0]), hay.count - start) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            guard at <= hay.count - needle.count else { return nil }
            if needle.count > 1, needle.withUnsafeBytes({ memcmp(base + at + 1, $0.baseAddress! + 1, needle.count - 1) }) != 0 {
                start = at + 1
                continue
            }
            if skipEscapes, needle.first == UInt8(ascii: "\"") {
                // Escaped when preceded by an odd run of backslashes (Apache writes `\\` for one).
                var k = at, run = 0
                while k > from, hay[k - 1] == UInt8(ascii: "\\") { k -= 1; run += 1 }
                if run % 2 == 1 { start = at + 1; continue }
            }
            return at
        }
        return nil
    }

    /// Puts one field's bytes into the entry; false when a numeric field holds something else
    /// (the line then does not follow this layout).
    func assign(_ role: Role, _ v: UnsafeRawBufferPointer, to b: inout EntryBuilder) -> Bool {
        if v.count == 1 && v[0] == UInt8(ascii: "-") { return true }
        switch role {
        case .timestampCLF:
            guard let t = AccessLogFormat.clf.parse(v) ?? FlexibleTimestamp.parse(v) else { return false }
            b.timestamp = t
        case .timestampISO:
            guard let t = Timestamp.parseRFC3339(v) ?? FlexibleTimestamp.parse(v) else { return false }
            b.timestamp = t
        case .timestampEpoch:
            guard let t = FlexibleTimestamp.epoch(v) else { return false }
            b.timestamp = t
        case .request:
            b.message = String(decoding: v, as: UTF8.self)
            if let sp = v.firstIndex(of: 0x20), sp > 0, sp <= 16 {
                b.addField("method", .string(String(decoding: v[0..<sp], as: UTF8.self)))
            }
        case .status:
            if let s = FieldInference.integer(v) {
                b.addField("status", .int(s))
                b.level = s >= 500 ? .error : s >= 400 ? .warn : .info
            } else {
                return false
            }
        case .field(let key, let numeric):
            if numeric {
                let value = FieldInference.value(v)
                if case .string = value, !AccessLogFormat.isNumberList(v) { return false }
                b.addField(key, value)
            } else {
                b.addField(key, .string(String(decoding: v, as: UTF8.self)))
            }
        }
        return true
    }

    /// nginx writes several upstream timings as `0.001, 0.002` or `0.001 : 0.002`.
    static func isNumberList(_ v: UnsafeRawBufferPointer) -> Bool {
        v.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ",") || $0 == 0x20 || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }
    }

    static let clf = try! TimestampFormat("%d/%b/%Y:%H:%M:%S %z")
}
