/// Conversions between nanoseconds since the Unix epoch and RFC 3339 text, on bytes.
///
/// Parsing accepts `YYYY-MM-DD[T ]hh:mm:ss[.f{1,9}](Z|±hh:mm|±hhmm)` (a missing zone means
/// UTC) and integer or fractional epoch numbers, whose unit is guessed from the magnitude
/// (seconds < 10¹¹ ≤ milliseconds < 10¹⁴ ≤ microseconds < 10¹⁷ ≤ nanoseconds).
public enum Timestamp {
    public static let nanosPerSecond: Int64 = 1_000_000_000

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Formats as RFC 3339 UTC with 9 fraction digits, e.g. `2026-11-29T03:00:00.123456789Z`.
    public static func format(_ nanos: Int64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(30)
        append(nanos, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the RFC 3339 form of `nanos` to `out`.
    public static func append(_ nanos: Int64, to out: inout [UInt8]) {
        var secs = nanos / nanosPerSecond
        var frac = nanos % nanosPerSecond
        if frac < 0 { frac += nanosPerSecond; secs -= 1 }
        var days = Int(secs / 86_400)
        var rem = Int(secs % 86_400)
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        func digits(_ v: Int, _ n: Int) {
            var buf = [UInt8](repeating: 0x30, count: n)
            var x = v
            for i in stride(from: n - 1, through: 0, by: -1) { buf[i] = UInt8(0x30 + x % 10); x /= 10 }
            out.append(contentsOf: buf)
        }
        digits(y, 4); out.append(0x2D); digits(m, 2); out.append(0x2D); digits(d, 2)
        out.append(0x54)
        digits(rem / 3600, 2); out.append(0x3A); digits(rem / 60 % 60, 2); out.append(0x3A); digits(rem % 60, 2)
        out.append(0x2E); digits(Int(frac), 9); out.append(0x5A)
    }

    /// A compact UTC label for partition directories: `YYYYMMDDTHHMMSSZ`.
    public static func compactLabel(_ nanos: Int64) -> String {
        let s = format(nanos)
        let u = Array(s.utf8)
        var pick = [UInt8]()
        for r in [0..<4, 5..<7, 8..<10] { pick.append(contentsOf: u[r]) }
        pick.append(0x54)
        for r in [11..<13, 14..<16, 17..<19] { pick.append(contentsOf: u[r]) }
        pick.append(0x5A)
        return String(decoding: pick, as: UTF8.self)
    }

    /// Parses RFC 3339 (or `YYYY-MM-DD hh:mm:ss`) text.
    public static func parseRFC3339(_ p: UnsafeRawBufferPointer) -> Int64? {
        let n = p.count
        guard n >= 19 else { return nil }
        func num(_ at: Int, _ len: Int) -> Int? {
            var v = 0
            for i in at..<at + len {
                let d = p[i] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard let y = num(0, 4), p[4] == 0x2D, let mo = num(5, 2), p[7] == 0x2D, let d = num(8, 2),
              p[10] == 0x54 || p[10] == 0x74 || p[10] == 0x20,
              let h = num(11, 2), p[13] == 0x3A, let mi = num(14, 2), p[16] == 0x3A, let s = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var frac: Int64 = 0
        if i < n && (p[i] == 0x2E || p[i] == 0x2C) {
            i += 1
            var digits = 0
            while i < n, p[i] &- 0x30 < 10 {
                if digits < 9 { frac = frac * 10 + Int64(p[i] &- 0x30) }
                digits += 1; i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 9 { for _ in digits..<9 { frac *= 10 } }   // digits beyond 9 are truncated
        }
        var offset = 0
        if i < n {
            switch p[i] {
            case 0x5A, 0x7A: i += 1
            case 0x2B, 0x2D:
                let sign = p[i] == 0x2D ? -1 : 1
                guard i + 3 <= n, let oh = num(i + 1, 2) else { return nil }
                i += 3
                var om = 0
                if i < n && p[i] == 0x3A { i += 1 }
                if i + 2 <= n, let m = num(i, 2) { om = m; i += 2 }
                offset = sign * (oh * 3600 + om * 60)
            default: return nil
            }
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year: y, month: mo, day: d)
        let secs = Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
        let (r, o) = secs.multipliedReportingOverflow(by: nanosPerSecond)
        guard !o else { return nil }
        let (t, o2) = r.addingReportingOverflow(frac)
        return o2 ? nil : t
    }

    /// Parses RFC 3339 from a String.
    public static func parseRFC3339(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { parseRFC3339(UnsafeRawBufferPointer($0)) }
    }

    /// Interprets an epoch number, guessing the unit from its magnitude.
    public static func fromEpoch(_ v: Double) -> Int64? {
        guard v.isFinite, v >= 0 else { return nil }
        let scaled: Double
        if v < 1e11 { scaled = v * 1e9 } else if v < 1e14 { scaled = v * 1e6 } else if v < 1e17 { scaled = v * 1e3 } else { scaled = v }
        guard scaled < 9.2e18 else { return nil }
        return Int64(scaled)
    }

    /// Interprets an integer epoch, guessing the unit from its magnitude (exact for integers);
    /// nil when negative or when the value in nanoseconds would not fit in 64 bits.
    public static func fromEpoch(_ v: Int64) -> Int64? {
        guard v >= 0 else { return nil }
        let scale: Int64
        if v < 100_000_000_000 { scale = 1_000_000_000 } else if v < 100_000_000_000_000 { scale = 1_000_000 }
        else if v < 100_000_000_000_000_000 { scale = 1_000 } else { scale = 1 }
        let (r, overflow) = v.multipliedReportingOverflow(by: scale)
        return overflow ? nil : r
    }
}
