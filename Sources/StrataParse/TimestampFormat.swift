import StrataFormat

/// A strftime-style timestamp layout compiled once and applied to bytes.
///
/// Directives: `%Y` year, `%y` two-digit year (69–99 → 19xx), `%m` month, `%d`/`%e` day
/// (`%e` may be space-padded), `%H` hour, `%I` 12-hour clock with `%p` AM/PM, `%M` minute,
/// `%S` second, `%f` fraction (1–9 digits, also after `,`), `%b`/`%B` month name
/// (abbreviated or full, any case), `%a`/`%A` weekday name (checked for shape, ignored),
/// `%z` offset (`Z`, `+hh`, `+hhmm`, `+hh:mm`), `%s` Unix seconds (with optional fraction),
/// `%%` a percent sign; a space matches one or more spaces. Any other byte must match itself.
///
/// Invariants: parsing never reads outside the span and never traps on any input (years outside
/// 1678–2261, which nanoseconds in an Int64 cannot hold, are refused); a layout
/// without a year uses `defaultYear` (syslog's `Mmm dd hh:mm:ss`); a layout without `%z`
/// is read in the zone given to `parse` (UTC by default).
public struct TimestampFormat: Sendable, Equatable {
    enum Item: Sendable, Equatable {
        case literal(UInt8), spaces, year, year2, month, day, dayPadded, hour, hour12, ampm, minute, second, fraction, monthName, weekdayName, offset, epoch
    }
    let items: [Item]
    /// The layout text as given.
    public let layout: String

    /// Compiles `layout`; throws on an unknown directive.
    public init(_ layout: String) throws(ParseError) {
        self.layout = layout
        var items: [Item] = []
        let b = Array(layout.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: " ") { items.append(.spaces); i += 1; continue }
            guard c == UInt8(ascii: "%") else { items.append(.literal(c)); i += 1; continue }
            guard i + 1 < b.count else { throw ParseError("timestamp layout ends with '%'", at: i) }
            switch b[i + 1] {
            case UInt8(ascii: "Y"): items.append(.year)
            case UInt8(ascii: "y"): items.append(.year2)
            case UInt8(ascii: "m"): items.append(.month)
            case UInt8(ascii: "d"): items.append(.day)
            case UInt8(ascii: "e"): items.append(.dayPadded)
            case UInt8(ascii: "H"): items.append(.hour)
            case UInt8(ascii: "I"): items.append(.hour12)
            case UInt8(ascii: "p"): items.append(.ampm)
            case UInt8(ascii: "M"): items.append(.minute)
            case UInt8(ascii: "S"): items.append(.second)
            case UInt8(ascii: "f"): items.append(.fraction)
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"): items.append(.monthName)
            case UInt8(ascii: "a"), UInt8(ascii: "A"): items.append(.weekdayName)
            case UInt8(ascii: "z"), UInt8(ascii: "Z"): items.append(.offset)
            case UInt8(ascii: "s"): items.append(.epoch)
            case UInt8(ascii: "%"): items.append(.literal(c))
            default: throw ParseError("unknown timestamp directive '%\(Character(Unicode.Scalar(b[i + 1])))'", at: i)
            }
            i += 2
        }
        self.items = items
    }

    /// Parses the whole of `text`; nil when it does not fit the layout or names an impossible date.
    /// - Parameters:
    ///   - zone: applied when the layout carries no offset.
    ///   - defaultYear: used when the layout has no year.
    public func parse(_ text: UnsafeRawBufferPointer, zone: TimeZoneRule = .utc, defaultYear: Int = 1970) -> Int64? {
        var r = Cursor(text)
        var year = defaultYear, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos: Int64 = 0
        var pm: Bool?
        var offsetSeconds: Int?
        var epoch: Int64?
        for item in items {
            switch item {
            case .literal(let c): guard r.take(c) else { return nil }
            case .spaces: guard r.spaces() else { return nil }
            case .year: guard let v = r.digits(4, 4) else { return nil }; year = v
            case .year2: guard let v = r.digits(2, 2) else { return nil }; year = v >= 69 ? 1900 + v : 2000 + v
            case .month: guard let v = r.digits(1, 2) else { return nil }; month = v
            case .day: guard let v = r.digits(1, 2) else { return nil }; day = v
            case .dayPadded: _ = r.spaces(); guard let v = r.digits(1, 2) else { return nil }; day = v
            case .hour, .hour12: guard let v = r.digits(1, 2) else { return nil }; hour = v
            case .ampm:
                guard let w = r.word(), w.count == 2 else { return nil }
                let a = w[0] | 0x20
                guard a == UInt8(ascii: "a") || a == UInt8(ascii: "p"), w[1] | 0x20 == UInt8(ascii: "m") else { return nil }
                pm = a == UInt8(ascii: "p")
            case .minute: guard let v = r.digits(2, 2) else { return nil }; minute = v
            case .second: guard let v = r.digits(2, 2) else { return nil }; second = v
            case .fraction:
                guard let f = r.fraction() else { return nil }; nanos = f
            case .monthName: guard let w = r.word(), let m = TimestampFormat.month(w) else { return nil }; month = m
            case .weekdayName: guard let w = r.word(), w.count >= 3 else { return nil }
            case .offset: guard let o = r.offset() else { return nil }; offsetSeconds = o
            case .epoch:
                guard let s = r.digits(1, 12) else { return nil }
                var frac: Int64 = 0
                if r.take(UInt8(ascii: ".")) { guard let f = r.fraction() else { return nil }; frac = f }
                let (n, overflow) = Int64(s).multipliedReportingOverflow(by: 1_000_000_000)
                guard !overflow, n <= Int64.max - frac else { return nil }
                epoch = n + frac
            }
        }
        guard r.atEnd else { return nil }
        if let epoch { return epoch }
        if let pm {
            guard hour >= 1 && hour <= 12 else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        // Nanoseconds since 1970 in an Int64 reach from 1677 to 2262; other years cannot be stored.
        guard (1678...2261).contains(year), month >= 1 && month <= 12, day >= 1 && day <= TimestampFormat.daysIn(month, year),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        let days = Int64(Timestamp.daysFromCivil(year: year, month: month, day: day))
        let local = (days * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000_000 + nanos
        let offset = offsetSeconds ?? zone.offsetSeconds(forLocalNanos: local)
        return local - Int64(offset) * 1_000_000_000
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Month number of an English month name or its three-letter abbreviation, any case.
    static func month(_ w: UnsafeRawBufferPointer) -> Int? {
        guard w.count >= 3 else { return nil }
        let key = (UInt32(w[0] | 0x20) << 16) | (UInt32(w[1] | 0x20) << 8) | UInt32(w[2] | 0x20)
        let names: [UInt32] = [0x6a616e, 0x666562, 0x6d6172, 0x617072, 0x6d6179, 0x6a756e, 0x6a756c, 0x617567, 0x736570, 0x6f6374, 0x6e6f76, 0x646563]
        guard let m = names.firstIndex(of: key) else { return nil }
        return m + 1
    }

    /// A forward-only reader over the timestamp text.
    struct Cursor {
        let p: UnsafeRawBufferPointer
        var i = 0
        init(_ p: UnsafeRawBufferPointer) { self.p = p }
        var atEnd: Bool { i == p.count }
        mutating func take(_ c: UInt8) -> Bool {
            guard i < p.count, p[i] == c else { return false }
            i += 1
            return true
        }
        mutating func spaces() -> Bool {
            let s = i
            while i < p.count, p[i] == 0x20 { i += 1 }
            return i > s
        }
        mutating func digits(_ minCount: Int, _ maxCount: Int) -> Int? {
            var v = 0, n = 0
            while n < maxCount, i < p.count, p[i] >= 0x30, p[i] <= 0x39 { v = v * 10 + Int(p[i] - 0x30); i += 1; n += 1 }
            return n >= minCount ? v : nil
        }
        mutating func fraction() -> Int64? {
            var v: Int64 = 0, n = 0
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39 {
                if n < 9 { v = v * 10 + Int64(p[i] - 0x30) }
                i += 1; n += 1
            }
            guard n > 0 else { return nil }
            for _ in min(n, 9)..<9 { v *= 10 }
            return v
        }
        mutating func word() -> UnsafeRawBufferPointer? {
            let s = i
            while i < p.count, (p[i] | 0x20) >= 0x61, (p[i] | 0x20) <= 0x7A { i += 1 }
            return i > s ? UnsafeRawBufferPointer(rebasing: p[s..<i]) : nil
        }
        mutating func offset() -> Int? {
            guard i < p.count else { return nil }
            if p[i] == UInt8(ascii: "Z") || p[i] == UInt8(ascii: "z") { i += 1; return 0 }
            if i + 3 <= p.count, (p[i] | 0x20) == UInt8(ascii: "u"), (p[i + 1] | 0x20) == UInt8(ascii: "t"), (p[i + 2] | 0x20) == UInt8(ascii: "c") { i += 3; return 0 }
            if i + 3 <= p.count, (p[i] | 0x20) == UInt8(ascii: "g"), (p[i + 1] | 0x20) == UInt8(ascii: "m"), (p[i + 2] | 0x20) == UInt8(ascii: "t") { i += 3; return 0 }
            let sign: Int
            switch p[i] {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            default: return nil
            }
            i += 1
            guard let h = digits(2, 2), h <= 23 else { return nil }
            var m = 0
            if take(UInt8(ascii: ":")) { guard let mm = digits(2, 2) else { return nil }; m = mm }
            else if let mm = digits(2, 2) { m = mm }
            guard m <= 59 else { return nil }
            return sign * (h * 3600 + m * 60)
        }
    }
}
