import StrataFormat
import StrataIO

/// Parses the time arguments of `--from/--to`: RFC 3339, `now`, or relative `-15m`, `-2h`,
/// `-7d`, `-30s` (from now). Returns nanoseconds since the epoch.
public enum TimeSpec {
    public static func parse(_ text: String, now: Int64 = wallClockNanos()) -> Int64? {
        let t = text.trimmingSpaces
        if t == "now" { return now }
        if t.hasPrefix("-") || t.hasPrefix("now-") {
            let body = t.hasPrefix("now-") ? String(t.dropFirst(4)) : String(t.dropFirst())
            guard let span = DurationText.parseNanos(body) else { return nil }
            return now - span
        }
        if let ts = Timestamp.parseRFC3339(t) { return ts }
        if t.count == 10, let ts = Timestamp.parseRFC3339(t + "T00:00:00Z") { return ts }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
