import StrataFormat

/// Recognises the timestamp spellings common in logs without being told the layout: RFC 3339
/// (also with a space or comma), HTTP/CLF `10/Oct/2000:13:55:36 -0700`, syslog `Oct 11 22:14:15`,
/// nginx error `2026/11/29 10:00:00`, Apache error `Sun Dec 04 04:47:44 2005`, and Unix epochs
/// (seconds, ms, µs or ns by magnitude, optional fraction).
///
/// Invariant: total over any bytes (nil when nothing fits); offset-less forms are read in `zone`;
/// forms without a year take `defaultYear`.
public enum FlexibleTimestamp {
    static let layouts: [TimestampFormat] = [
        "%Y-%m-%d %H:%M:%S,%f", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S,%f",
        "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S %z",
        "%d/%b/%Y:%H:%M:%S %z", "%d/%b/%Y:%H:%M:%S.%f %z", "%b %e %H:%M:%S", "%b %e %H:%M:%S.%f", "%b %e %Y %H:%M:%S",
        "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M:%S.%f", "%a %b %e %H:%M:%S %Y", "%a %b %e %H:%M:%S.%f %Y",
        "%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%Y%m%d %H:%M:%S", "%Y-%m-%d-%H.%M.%S.%f",
    ].map { try! TimestampFormat($0) }

    /// Parses `text` as one of the known spellings.
    public static func parse(_ text: UnsafeRawBufferPointer, zone: TimeZoneRule = .utc, defaultYear: Int = 1970) -> Int64? {
        guard let first = text.first else { return nil }
        if first >= 0x30 && first <= 0x39 {
            if let t = Timestamp.parseRFC3339(text) { return t }
            if let t = epoch(text) { return t }
        }
        for layout in layouts {
            if let t = layout.parse(text, zone: zone, defaultYear: defaultYear) { return t }
        }
        return nil
    }

    /// Unix time in seconds (≤ 11 digits), milliseconds (12–14), microseconds (15–17) or
    /// nanoseconds (18–19), with an optional fraction of the unit.
    static func epoch(_ p: UnsafeRawBufferPointer) -> Int64? {
        var i = 0, v: Int64 = 0
        while i < p.count, p[i] >= 0x30, p[i] <= 0x39, i < 19 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (sum, o2) = m.addingReportingOverflow(Int64(p[i] - 0x30))
            guard !o1, !o2 else { return nil }
            v = sum
            i += 1
        }
        let digits = i
        guard digits >= 9 else { return nil }
        var frac = 0.0, place = 0.1
        if i < p.count, p[i] == UInt8(ascii: ".") {
            i += 1
            let s = i
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { frac += Double(p[i] - 0x30) * place; place /= 10; i += 1 }
            guard i > s else { return nil }
        }
        guard i == p.count else { return nil }
        let scale: Int64 = digits <= 11 ? 1_000_000_000 : digits <= 14 ? 1_000_000 : digits <= 17 ? 1_000 : 1
        let (nanos, overflow) = v.multipliedReportingOverflow(by: scale)
        guard !overflow, nanos <= Int64.max - scale else { return nil }
        return nanos + Int64(frac * Double(scale))
    }
}
