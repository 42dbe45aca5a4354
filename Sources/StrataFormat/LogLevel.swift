/// A normalised severity. Stored as one byte; raw values are part of the format.
public enum LogLevel: UInt8, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// No level was given or recognised.
    case unknown = 0
    case debug = 1
    case info = 2
    case warn = 3
    case error = 4
    case fatal = 5

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    /// Upper-case name as printed (`""` for `unknown`).
    public var description: String {
        switch self {
        case .unknown: ""
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }

    /// Normalises a level spelling (any case): trace/debug → DEBUG, info/notice → INFO,
    /// warn/warning → WARN, err/error → ERROR, fatal/crit/critical/emerg/alert/panic → FATAL;
    /// syslog severity digits 0–7 map the same way. Returns `nil` when unrecognised.
    public static func normalise(_ bytes: UnsafeRawBufferPointer) -> LogLevel? {
        let n = bytes.count
        guard n > 0 && n <= 11 else { return nil }
        var w: UInt64 = 0
        for i in 0..<n {
            var b = bytes[i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            w = w << 8 | UInt64(b)
        }
        if n > 8 {
            // Only "information" and "informational" are longer than 8 bytes.
            var s = [UInt8](); s.reserveCapacity(n)
            for i in 0..<n { s.append(bytes[i] | 0x20) }
            if s == Array("information".utf8) || s == Array("informational".utf8) { return .info }
            return nil
        }
        switch w {
        case key("trace"), key("debug"), key("dbg"), key("verbose"), key("d"), key("7"), key("trc"): return .debug
        case key("info"), key("inf"), key("notice"), key("i"), key("6"), key("5"): return .info
        case key("warn"), key("warning"), key("wrn"), key("w"), key("4"): return .warn
        case key("error"), key("err"), key("eror"), key("e"), key("3"): return .error
        case key("fatal"), key("crit"), key("critical"), key("emerg"), key("alert"), key("panic"),
             key("f"), key("0"), key("1"), key("2"), key("severe"): return .fatal
        default: return nil
        }
    }

    /// Normalises a level name given as a String.
    public static func normalise(_ s: String) -> LogLevel? {
        var s = s
        return s.withUTF8 { normalise(UnsafeRawBufferPointer($0)) }
    }

    private static func key(_ s: StaticString) -> UInt64 {
        var w: UInt64 = 0
        s.withUTF8Buffer { for b in $0 { w = w << 8 | UInt64(b) } }
        return w
    }
}
