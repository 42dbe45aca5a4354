import StrataFormat

/// A bounds-checked cursor over JSON text, used by `JSONLineParser`.
package struct JSONScanner {
    package let buf: UnsafeRawBufferPointer
    package var pos = 0

    package init(_ buf: UnsafeRawBufferPointer) { self.buf = buf }

    package var atEnd: Bool { pos >= buf.count }

    @inline(__always) package func peek() -> UInt8? { pos < buf.count ? buf[pos] : nil }

    package mutating func skipSpace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    package mutating func expect(_ c: UInt8) throws(ParseError) {
        guard pos < buf.count, buf[pos] == c else {
            throw ParseError("expected '\(Character(Unicode.Scalar(c)))'", at: pos)
        }
        pos += 1
    }

    /// Reads a string's raw bytes (between the quotes) and whether it contains escapes.
    package mutating func readStringRaw() throws(ParseError) -> (span: UnsafeRawBufferPointer, escaped: Bool) {
        try expect(UInt8(ascii: "\""))
        let start = pos
        var escaped = false
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let span = UnsafeRawBufferPointer(rebasing: buf[start..<pos])
                pos += 1
                return (span, escaped)
            }
            if c == UInt8(ascii: "\\") { escaped = true; pos += 2; continue }
            if c < 0x20 { throw ParseError("control character in string", at: pos) }
            pos += 1
        }
        throw ParseError("unterminated string", at: start - 1)
    }

    /// Decodes the escapes of a raw string span.
    package func decodeString(_ span: UnsafeRawBufferPointer, at offset: Int) throws(ParseError) -> String {
        var out = [UInt8]()
        out.reserveCapacity(span.count)
        try Self.appendUnescaped(span, at: offset, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the unescaped bytes of `span` (a string's contents between its quotes, as
    /// `readStringRaw` returns them) to `out`, copying runs without escapes at once; no
    /// allocation once `out` has grown, so hot paths reuse one buffer.
    ///
    /// `\" \\ \/ \b \f \n \r \t` and `\uXXXX`; a `\uD800-\uDBFF` followed by `\uDC00-\uDFFF` is
    /// one supplementary scalar; an unpaired surrogate becomes U+FFFD; any other escape, a bad hex
    /// digit or a truncated `\u` throws (with `offset` = where `span` starts in the input), and
    /// `out` may then hold part of the string. Other bytes are copied as they are.
    package static func appendUnescaped(_ span: UnsafeRawBufferPointer, at offset: Int, to out: inout [UInt8]) throws(ParseError) {
        func hex4(_ at: Int) throws(ParseError) -> UInt32 {
            guard at + 4 <= span.count else { throw ParseError("truncated \\u escape", at: offset + at) }
            var v: UInt32 = 0
            for k in at..<at + 4 {
                let c = span[k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw ParseError("bad hex digit in \\u escape", at: offset + k)
                }
                v = v << 4 | d
            }
            return v
        }
        let n = span.count
        var i = 0
        var runStart = 0
        while i < n {
            guard span[i] == UInt8(ascii: "\\") else { i += 1; continue }
            if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: span[runStart..<i])) }
            guard i + 1 < n else { throw ParseError("dangling backslash", at: offset + i) }
            let e = span[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= n, span[i] == 0x5C, span[i + 1] == UInt8(ascii: "u") {
                    let low = try hex4(i + 2)
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                for b in u.utf8 { out.append(b) }
            default:
                throw ParseError("unknown escape '\\\(Character(Unicode.Scalar(e)))'", at: offset + i - 2)
            }
            runStart = i
        }
        if runStart < n { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: span[runStart..<n])) }
    }

    package mutating func readBool() throws(ParseError) -> Bool {
        if matches("true") { pos += 4; return true }
        if matches("false") { pos += 5; return false }
        throw ParseError("invalid literal", at: pos)
    }

    package mutating func readNull() throws(ParseError) {
        guard matches("null") else { throw ParseError("invalid literal", at: pos) }
        pos += 4
    }

    private func matches(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard pos + n <= buf.count else { return false }
        for k in 0..<n where buf[pos + k] != word.utf8Start[k] { return false }
        return true
    }

    /// Reads a JSON number as an int (if integral and in range) or a float.
    package mutating func readNumber() throws(ParseError) -> FieldValue {
        let start = pos
        if peek() == UInt8(ascii: "-") { pos += 1 }
        var integral = true
        let digitsStart = pos
        while pos < buf.count, buf[pos] &- 0x30 < 10 { pos += 1 }
        guard pos > digitsStart else { throw ParseError("expected a value", at: start) }
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            integral = false
            pos += 1
            let f = pos
            while pos < buf.count, buf[pos] &- 0x30 < 10 { pos += 1 }
            guard pos > f else { throw ParseError("expected digits after '.'", at: pos) }
        }
        if pos < buf.count, buf[pos] | 0x20 == UInt8(ascii: "e") {
            integral = false
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            let e = pos
            while pos < buf.count, buf[pos] &- 0x30 < 10 { pos += 1 }
            guard pos > e else { throw ParseError("expected exponent digits", at: pos) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        if integral, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw ParseError("bad number", at: start) }
        return .float(d)
    }

    /// Skips one value (of any type) and returns its byte range.
    package mutating func skipValue(depth: Int = 0) throws(ParseError) -> Range<Int> {
        guard depth < 64 else { throw ParseError("nesting deeper than 64", at: pos) }
        skipSpace()
        let start = pos
        guard let c = peek() else { throw ParseError("expected a value", at: pos) }
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close: UInt8 = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            pos += 1
            skipSpace()
            if peek() == close { pos += 1; return start..<pos }
            while true {
                if close == UInt8(ascii: "}") {
                    skipSpace()
                    _ = try readStringRaw()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                }
                _ = try skipValue(depth: depth + 1)
                skipSpace()
                guard let sep = peek() else { throw ParseError("unterminated container", at: start) }
                pos += 1
                if sep == close { return start..<pos }
                guard sep == UInt8(ascii: ",") else { throw ParseError("expected ',' in container", at: pos - 1) }
            }
        case UInt8(ascii: "\""): _ = try readStringRaw()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
        case UInt8(ascii: "n"): try readNull()
        default: _ = try readNumber()
        }
        return start..<pos
    }

    /// The JSON text in `range` without insignificant whitespace.
    package func compact(_ range: Range<Int>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(range.count)
        var inString = false
        var i = range.lowerBound
        while i < range.upperBound {
            let c = buf[i]
            if inString {
                out.append(c)
                if c == 0x5C, i + 1 < range.upperBound { out.append(buf[i + 1]); i += 1 } else if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true; out.append(c)
            } else if c != 0x20 && c != 0x09 && c != 0x0A && c != 0x0D {
                out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
