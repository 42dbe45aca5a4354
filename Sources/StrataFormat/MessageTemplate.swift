/// Splitting a message into a template (its static text) and variables, CLP-style.
/// See `format-spec/message-encoding.md`.
///
/// A message is cut into tokens at delimiter bytes (ASCII other than letters, digits and
/// `. _ - + % @ ~ # $`). A token containing a decimal digit is a variable; everything else
/// is static text. A variable token that is a number is typed: **int** (`-?(0|[1-9][0-9]{0,17})`),
/// **decimal** (`-?(0|[1-9][0-9]*)\.[0-9]{1,9}`, at most 18 digits, not negative zero; stored as
/// the integer of its digits with the scale in the template) or **padded** (`0[0-9]{1,17}`, kept
/// with its width). A token holding exactly one such number amid digit-free text (`blk_123`,
/// `12.5ms`) becomes static prefix + number + static suffix. Anything else is a **string** variable.
///
/// Template bytes: static bytes verbatim (escapes below). Placeholders: `0x11` int, `0x12` string, `0x13 s` decimal with `s` (1…9)
/// fraction digits, `0x14 w` zero-padded int of `w` (2…18) digits. Field references:
/// `0x15 c` (varint column) stands for the text of the row's string field `c` where the message
/// repeats it verbatim at token boundaries; `0x16 c s` for a number equal to the row's int or
/// float field `c`, written with `s` (0…9) fraction digits. Static bytes 0x10–0x16 are escaped
/// as `0x10 b`. Decoding a template with its variables and the row's fields reproduces the
/// message exactly.
public enum MessageTemplate {
    public static let escapeByte: UInt8 = 0x10
    public static let intPlaceholder: UInt8 = 0x11
    public static let stringPlaceholder: UInt8 = 0x12
    public static let decimalPlaceholder: UInt8 = 0x13
    public static let paddedPlaceholder: UInt8 = 0x14
    /// `0x15 c`: the text of string field column `c` (varint) of the same row.
    public static let fieldTextPlaceholder: UInt8 = 0x15
    /// `0x16 c s`: the number in field column `c` (varint) of the same row, written with `s` fraction digits.
    public static let fieldNumberPlaceholder: UInt8 = 0x16
    /// Highest byte with a special meaning in templates; static bytes 0x10…this are escaped.
    public static let lastSpecialByte: UInt8 = 0x16

    /// A field of the row being split, which message text may reference instead of repeating.
    public struct RowField: Sendable {
        /// Column number of the field in the segment.
        public var column: Int
        public var value: FieldValue
        public init(column: Int, value: FieldValue) {
            self.column = column
            self.value = value
        }
    }

    /// One variable extracted from a message.
    public enum Variable: Equatable, Sendable {
        /// An int or decimal; `scale` is the number of fraction digits (0 for int).
        case number(Int64, scale: UInt8)
        /// A string variable's bytes.
        case string(ArraySlice<UInt8>)
    }

    /// Token-byte table: `true` for bytes that belong inside tokens.
    @usableFromInline static let tokenByte: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for b in 0..<256 {
            let c = UInt8(b)
            switch c {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x80...0xFF: t[b] = true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                 UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "~"), UInt8(ascii: "#"), UInt8(ascii: "$"):
                t[b] = true
            default: t[b] = false
            }
        }
        return t
    }()

    /// Splits `message` into template bytes and variables (appended to `template`/`vars`).
    /// At most `Limits.maxVariablesPerTemplate` variables are extracted; later tokens stay static.
    public static func split(_ m: [UInt8], fields: [RowField] = [], template: inout [UInt8], vars: inout [Variable]) {
        let n = m.count
        var i = 0
        let refs = fields.isEmpty ? [] : textReferences(m, fields)
        var nextRef = 0
        // Variables and references together stay within the reader's limit.
        let budget = Limits.maxVariablesPerTemplate - refs.count
        var numberRefs = 0
        while i < n {
            if nextRef < refs.count && refs[nextRef].start == i {
                template.append(fieldTextPlaceholder)
                appendVarint(UInt64(refs[nextRef].column), to: &template)
                i = refs[nextRef].end
                nextRef += 1
                continue
            }
            let b = m[i]
            if !tokenByte[Int(b)] {
                if b >= 0x10 && b <= lastSpecialByte { template.append(escapeByte) }
                template.append(b)
                i += 1
                continue
            }
            var j = i
            var firstDigit = -1
            var hasAt = false
            let limit = nextRef < refs.count ? refs[nextRef].start : n
            while j < limit && tokenByte[Int(m[j])] {
                if firstDigit < 0 && m[j] &- 0x30 < 10 { firstDigit = j }
                if m[j] == UInt8(ascii: "@") { hasAt = true }
                j += 1
            }
            if (firstDigit < 0 && !hasAt) || vars.count + numberRefs >= budget {
                // Static text; past the variable limit, the rest of a huge message stays in the template.
                template.append(contentsOf: m[i..<j])
            } else if hasAt {
                // An address (`anna.lee@example.org`, `svc@host`): one template for every user.
                template.append(stringPlaceholder)
                vars.append(.string(m[i..<j]))
            } else if let number = parseNumber(m, i, j) {
                if appendNumber(number, fields: fields, template: &template, vars: &vars) { numberRefs += 1 }
            } else if let (start, end, number) = embeddedNumber(m, i, j, firstDigit: firstDigit) {
                // One number inside an otherwise digit-free token: `blk_123`, `12.5ms`, `user42`.
                template.append(contentsOf: m[i..<start])
                if appendNumber(number, fields: fields, template: &template, vars: &vars) { numberRefs += 1 }
                template.append(contentsOf: m[end..<j])
            } else {
                template.append(stringPlaceholder)
                vars.append(.string(m[i..<j]))
            }
            i = j
        }
    }

    /// A number variable: its value and how it is written (fraction digits or zero-padded width).
    struct Number { var value: Int64; var scale: UInt8; var width: UInt8 }

    static let powers: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]

    /// Emits a number: a reference to an equal numeric field of the row (returns true), else a variable.
    static func appendNumber(_ x: Number, fields: [RowField], template: inout [UInt8], vars: inout [Variable]) -> Bool {
        if x.width == 0 {
            for f in fields where numberEquals(x, f.value) {
                template.append(fieldNumberPlaceholder)
                appendVarint(UInt64(f.column), to: &template)
                template.append(x.scale)
                return true
            }
        }
        appendPlaceholder(x, to: &template)
        vars.append(.number(x.value, scale: x.scale))
        return false
    }

    /// Whether rendering field value `v` with `x.scale` fraction digits gives exactly `x`.
    static func numberEquals(_ x: Number, _ v: FieldValue) -> Bool {
        switch v {
        case .int(let i): return x.scale == 0 && i == x.value
        case .float(let d):
            guard d.isFinite, abs(d) < 9.0e15 else { return false }
            let y = (d * powers[Int(x.scale)]).rounded()
            return y == Double(x.value) && Double(x.value) / powers[Int(x.scale)] == d
        default: return false
        }
    }

    /// The integer a field number reference renders: `v` scaled by 10^scale.
    public static func referencedNumber(_ v: FieldValue, scale: UInt8) -> Int64? {
        switch v {
        case .int(let i): return scale == 0 ? i : nil
        case .float(let d):
            let y = (d * powers[Int(scale)]).rounded()
            guard y.isFinite, abs(y) < 9.0e18 else { return nil }
            return Int64(y)
        default: return nil
        }
    }

    /// Non-overlapping occurrences of the row's string field values (≥ 4 bytes) in `m`, at token
    /// boundaries, ordered by position; each field is referenced at most once.
    static func textReferences(_ m: [UInt8], _ fields: [RowField]) -> [(start: Int, end: Int, column: Int)] {
        var out = [(start: Int, end: Int, column: Int)]()
        m.withUnsafeBufferPointer { mp in
            tokenByte.withUnsafeBufferPointer { isToken in
                for f in fields where out.count < Limits.maxVariablesPerTemplate / 2 {
                    guard case .string(var s) = f.value, s.utf8.count >= 4, s.utf8.count <= mp.count else { continue }
                    s.withUTF8 { needle in
                        let n = needle.count
                        let first = needle[0]
                        let firstIsToken = isToken[Int(first)], lastIsToken = isToken[Int(needle[n - 1])]
                        var k = 0
                        search: while k + n <= mp.count {
                            if mp[k] == first, k == 0 || !isToken[Int(mp[k - 1])] || !firstIsToken,
                               k + n == mp.count || !isToken[Int(mp[k + n])] || !lastIsToken {
                                var q = 1
                                while q < n && mp[k + q] == needle[q] { q += 1 }
                                if q == n {
                                    for r in out where k < r.end && r.start < k + n { k += 1; continue search }
                                    out.append((k, k + n, f.column))
                                    return
                                }
                            }
                            k += 1
                        }
                    }
                }
            }
        }
        return out.sorted { $0.start < $1.start }
    }

    static func appendVarint(_ v: UInt64, to out: inout [UInt8]) {
        var x = v
        while x >= 0x80 { out.append(UInt8(truncatingIfNeeded: x) | 0x80); x >>= 7 }
        out.append(UInt8(x))
    }

    static func appendPlaceholder(_ x: Number, to template: inout [UInt8]) {
        if x.width > 0 {
            template.append(paddedPlaceholder); template.append(x.width)
        } else if x.scale > 0 {
            template.append(decimalPlaceholder); template.append(x.scale)
        } else {
            template.append(intPlaceholder)
        }
    }

    /// Finds the single number inside token `m[i..<j]` (whose first digit is at `firstDigit`):
    /// a `-` sign is included only at the token start or after a non-alphanumeric byte, a
    /// fraction only when digits follow the dot. Returns nil if digits occur after the number.
    static func embeddedNumber(_ m: [UInt8], _ i: Int, _ j: Int, firstDigit d0: Int) -> (Int, Int, Number)? {
        var start = d0
        if d0 > i, m[d0 - 1] == UInt8(ascii: "-"), d0 - 1 == i || !isAlphanumeric(m[d0 - 2]) { start = d0 - 1 }
        var end = d0
        while end < j, m[end] &- 0x30 < 10 { end += 1 }
        if end + 1 < j, m[end] == UInt8(ascii: "."), m[end + 1] &- 0x30 < 10 {
            end += 1
            while end < j, m[end] &- 0x30 < 10 { end += 1 }
        }
        for k in end..<j where m[k] &- 0x30 < 10 { return nil }
        // A hex id with one run of digits (`cbff4e`, `a3f`) is one value, not text around a
        // number: hex letters touching the number make the token a string variable.
        if start == d0, hexLetterRun(m, from: d0 - 1, step: -1, stop: i) || hexLetterRun(m, from: end, step: 1, stop: j - 1) {
            return nil
        }
        guard let x = parseNumber(m, start, end) else { return nil }
        return (start, end, x)
    }

    /// Whether the letters adjacent to a number, read from `from` by `step` up to the token's
    /// edge `stop` (inclusive) or the first non-letter, are at least one and all hex (`a-f`).
    static func hexLetterRun(_ m: [UInt8], from: Int, step: Int, stop: Int) -> Bool {
        var k = from, n = 0
        while step < 0 ? k >= stop : k <= stop {
            let c = m[k] | 0x20
            guard c &- 0x61 < 26 else { break }
            if c > UInt8(ascii: "f") { return false }
            n += 1
            k += step
        }
        return n > 0
    }

    @inline(__always) static func isAlphanumeric(_ c: UInt8) -> Bool {
        c &- 0x30 < 10 || (c | 0x20) &- 0x61 < 26
    }

    /// Parses `m[start..<end]` as an int, a decimal or a zero-padded int in canonical form.
    static func parseNumber(_ m: [UInt8], _ start: Int, _ end: Int) -> Number? {
        var i = start
        var negative = false
        if m[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let intStart = i
        var value: Int64 = 0
        var digits = 0
        while i < end && m[i] &- 0x30 < 10 {
            value = value &* 10 &+ Int64(m[i] &- 0x30)
            digits += 1; i += 1
        }
        let intDigits = i - intStart
        guard intDigits > 0 else { return nil }
        let leadingZero = intDigits > 1 && m[intStart] == UInt8(ascii: "0")
        var scale = 0
        if i < end {
            guard m[i] == UInt8(ascii: "."), !leadingZero else { return nil }
            i += 1
            while i < end && m[i] &- 0x30 < 10 {
                value = value &* 10 &+ Int64(m[i] &- 0x30)
                digits += 1; scale += 1; i += 1
            }
            guard i == end, scale >= 1, scale <= 9 else { return nil }
        }
        guard digits <= 18 else { return nil }
        if leadingZero {
            // `081109`: kept exactly by recording the width in the template.
            guard !negative else { return nil }
            return Number(value: value, scale: 0, width: UInt8(intDigits))
        }
        if negative {
            if value == 0 { return nil }
            value = -value
        }
        return Number(value: value, scale: UInt8(scale), width: 0)
    }

    /// Appends the text of a number variable to `out` (`width` > 0: zero-padded to that many digits).
    public static func appendNumber(_ value: Int64, scale: UInt8, width: UInt8 = 0, to out: inout [UInt8]) {
        if width > 0 {
            let digits = Array(String(value.magnitude).utf8)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            if digits.count < Int(width) { out.append(contentsOf: repeatElement(0x30, count: Int(width) - digits.count)) }
            out.append(contentsOf: digits)
            return
        }
        if scale == 0 {
            out.append(contentsOf: String(value).utf8)
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let mag = value.magnitude
        var digits = Array(String(mag).utf8)
        let s = Int(scale)
        if digits.count <= s { digits = [UInt8](repeating: 0x30, count: s + 1 - digits.count) + digits }
        out.append(contentsOf: digits[..<(digits.count - s)])
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: digits[(digits.count - s)...])
    }

    /// A parsed template: static runs and variable slots, in order.
    public enum Part: Equatable, Sendable {
        case text([UInt8])
        case number(scale: UInt8)
        /// A zero-padded integer of `width` digits.
        case padded(width: UInt8)
        case string
        /// The text of the row's string field in column `column`.
        case fieldText(column: Int)
        /// The row's numeric field in column `column`, with `scale` fraction digits.
        case fieldNumber(column: Int, scale: UInt8)
    }

    /// Parses template bytes into parts.
    ///
    /// - Throws: `FormatError` for a dangling escape, a bad placeholder or a bad scale.
    public static func parse(_ t: UnsafeRawBufferPointer, section: String, offset: Int) throws(FormatError) -> [Part] {
        var parts = [Part]()
        var run = [UInt8]()
        var i = 0
        var variables = 0
        func bad(_ what: String) -> FormatError { FormatError.invalid(section, at: offset + i, what) }
        while i < t.count {
            let b = t[i]
            switch b {
            case escapeByte:
                guard i + 1 < t.count, t[i + 1] >= 0x10 && t[i + 1] <= lastSpecialByte else { throw bad("dangling escape in template") }
                run.append(t[i + 1]); i += 2
            case intPlaceholder, stringPlaceholder:
                if !run.isEmpty { parts.append(.text(run)); run = [] }
                parts.append(b == intPlaceholder ? .number(scale: 0) : .string); i += 1
                variables += 1
            case paddedPlaceholder:
                guard i + 1 < t.count, t[i + 1] >= 2 && t[i + 1] <= 18 else { throw bad("bad padded width in template") }
                if !run.isEmpty { parts.append(.text(run)); run = [] }
                parts.append(.padded(width: t[i + 1])); i += 2
                variables += 1
            case fieldTextPlaceholder, fieldNumberPlaceholder:
                var column: UInt64 = 0
                var shift: UInt64 = 0
                var k = i + 1
                while true {
                    guard k < t.count, shift < 28 else { throw bad("bad field column in template") }
                    column |= UInt64(t[k] & 0x7F) << shift
                    k += 1
                    if t[k - 1] & 0x80 == 0 { break }
                    shift += 7
                }
                guard column < UInt64(Limits.maxColumnsPerSegment) else { throw bad("field column \(column) out of range") }
                if !run.isEmpty { parts.append(.text(run)); run = [] }
                variables += 1
                if b == fieldTextPlaceholder {
                    parts.append(.fieldText(column: Int(column)))
                    i = k
                } else {
                    guard k < t.count, t[k] <= 9 else { throw bad("bad field number scale in template") }
                    parts.append(.fieldNumber(column: Int(column), scale: t[k]))
                    i = k + 1
                }
            case decimalPlaceholder:
                guard i + 1 < t.count, t[i + 1] >= 1 && t[i + 1] <= 9 else { throw bad("bad decimal scale in template") }
                if !run.isEmpty { parts.append(.text(run)); run = [] }
                parts.append(.number(scale: t[i + 1])); i += 2
                variables += 1
            default:
                run.append(b); i += 1
            }
            if variables > Limits.maxVariablesPerTemplate { throw bad("more than \(Limits.maxVariablesPerTemplate) variables in template") }
        }
        if !run.isEmpty { parts.append(.text(run)) }
        return parts
    }
}
