import StrataFormat

/// The input formats `strata ingest` understands.
public enum InputFormat: String, CaseIterable, Sendable {
    case auto, ndjson, logfmt, syslog, nginx, apache, raw
    case nginxError = "nginx_error", apacheError = "apache_error"
}

/// Parses lines of a given format (or guesses per line for `auto`: `{` → NDJSON, `k=v k=v` →
/// logfmt, else raw). `nginx`/`apache` try the combined, then the common access-log layout,
/// then the error-log layout of that server; `syslog` is RFC 5424/3164 (never rejects).
public struct LineParser: Sendable {
    public let format: InputFormat

    public init(format: InputFormat) { self.format = format }

    /// Parses one line (without its newline; a trailing `\r` is removed). Empty or
    /// whitespace-only lines return nil.
    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ParseError) -> LogEntry? {
        var end = line.count
        while end > 0, line[end - 1] == 0x0D || line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        var start = 0
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        if start == end { return nil }
        let l = UnsafeRawBufferPointer(rebasing: line[start..<end])
        switch format {
        case .ndjson: return try JSONLineParser().parse(l, defaults: defaults)
        case .logfmt: return try LogfmtParser().parse(l, defaults: defaults)
        case .raw: return RawLineParser().parse(UnsafeRawBufferPointer(rebasing: line[0..<end]), defaults: defaults)
        case .syslog: return SyslogParser.parse(UnsafeRawBufferPointer(rebasing: line[0..<end]), defaults: defaults)
        case .nginx:
            if let e = AccessLogFormat.nginxCombined.parse(l, defaults: defaults) ?? AccessLogFormat.nginxCommon.parse(l, defaults: defaults) { return e }
            do { return try ErrorLogParser(.nginx).parse(l, defaults: defaults) } catch { throw ParseError("neither an nginx access-log line (combined or common) nor an error-log line: \(error.reason)", at: error.offset) }
        case .apache:
            if let e = AccessLogFormat.apacheCombined.parse(l, defaults: defaults) ?? AccessLogFormat.apacheCommon.parse(l, defaults: defaults) { return e }
            do { return try ErrorLogParser(.apache).parse(l, defaults: defaults) } catch { throw ParseError("neither an Apache access-log line (combined or common) nor an error-log line: \(error.reason)", at: error.offset) }
        case .nginxError: return try ErrorLogParser(.nginx).parse(l, defaults: defaults)
        case .apacheError: return try ErrorLogParser(.apache).parse(l, defaults: defaults)
        case .auto:
            if l[0] == UInt8(ascii: "{") { return try JSONLineParser().parse(l, defaults: defaults) }
            if LogfmtParser.looksLikeLogfmt(l) { return try LogfmtParser().parse(l, defaults: defaults) }
            return RawLineParser().parse(UnsafeRawBufferPointer(rebasing: line[0..<end]), defaults: defaults)
        }
    }

    /// Calls `body` with each line of `buffer` (split on `\n`), the last one even without a newline.
    public static func forEachLine(in buffer: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let base = buffer.baseAddress else { return }
        var start = 0
        let n = buffer.count
        while start < n {
            let rest = n - start
            let hit = memchr(base + start, 0x0A, rest)
            let end = hit.map { base.distance(to: UnsafeRawPointer($0)) } ?? n
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
            start = end + 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
