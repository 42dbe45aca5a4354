#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a local (offset-less) timestamp maps to UTC: UTC itself, a fixed offset, or a named
/// IANA zone from the system's tz database (daylight saving applied).
///
/// Invariant: `offsetSeconds(forLocalNanos:)` is total — an unknown zone name is rejected when
/// the rule is made, never when a line is parsed.
public enum TimeZoneRule: Sendable, Equatable {
    case utc
    case fixed(seconds: Int)
    case named(String)

    /// Parses `UTC`, `Z`, `+02:00`, `-0530` or an IANA name such as `Europe/Paris`.
    public init(_ text: String) throws(ParseError) {
        if text.isEmpty || text == "UTC" || text == "Z" || text == "utc" { self = .utc; return }
        let bytes = Array(text.utf8)
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") {
            var c = TimestampFormat.Cursor(UnsafeRawBufferPointer(start: nil, count: 0))
            let o: Int? = bytes.withUnsafeBytes { p in
                c = TimestampFormat.Cursor(p)
                let v = c.offset()
                return c.atEnd ? v : nil
            }
            guard let o else { throw ParseError("invalid time zone offset '\(text)'", at: 0) }
            self = .fixed(seconds: o)
            return
        }
        guard TimeZone(identifier: text) != nil else { throw ParseError("unknown time zone '\(text)'", at: 0) }
        self = .named(text)
    }

    /// Seconds east of UTC in force at the local wall-clock time `localNanos` (nanoseconds since
    /// the epoch as if the local time were UTC).
    public func offsetSeconds(forLocalNanos localNanos: Int64) -> Int {
        switch self {
        case .utc: return 0
        case .fixed(let s): return s
        case .named(let name):
            guard let tz = TimeZone(identifier: name) else { return 0 }
            let local = Double(localNanos / 1_000_000_000)
            let guess = tz.secondsFromGMT(for: Date(timeIntervalSince1970: local))
            return tz.secondsFromGMT(for: Date(timeIntervalSince1970: local - Double(guess)))
        }
    }
}
