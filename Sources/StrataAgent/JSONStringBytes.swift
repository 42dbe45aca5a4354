import StrataParse

/// JSON string unescaping into a caller-owned byte buffer.
///
/// `JSONScanner.readStringRaw` finds a string's bounds; `JSONScanner.decodeString` turns its
/// escapes into a `String`, which costs two allocations per call. Docker escapes every line's
/// trailing newline and every `<`, `>`, `&` and control byte, so the json-file hot path would pay
/// that on every line. This is the same decoding, byte for byte (the tests compare the two on
/// random input), appending to a buffer the tailer reuses: no allocation once it has grown.
///
/// Semantics (identical to `decodeString`): `\" \\ \/ \b \f \n \r \t` and `\uXXXX`; a
/// `\uD800-\uDBFF` followed by `\uDC00-\uDFFF` is one supplementary scalar; an unpaired surrogate
/// becomes U+FFFD; any other escape, a bad hex digit or a truncated `\u` is an error. Bytes that
/// are not escapes are copied as they are.
enum JSONStringBytes {
    /// Appends the unescaped form of `span` (a string's bytes between its quotes) to `out`.
    ///
    /// - Parameters:
    ///   - span: the raw string contents, as `readStringRaw` returns them.
    ///   - baseOffset: offset of `span[0]` in the line, used to locate errors.
    /// - Throws: `ContainerLogError.malformedJSON` on a bad escape; `out` may then hold part of
    ///   the string (callers roll back).
    /// - Complexity: O(`span.count`).
    static func appendUnescaped(_ span: UnsafeRawBufferPointer, baseOffset: Int, to out: inout [UInt8]) throws(ContainerLogError) {
        let n = span.count
        var i = 0
        var runStart = 0
        while i < n {
            guard span[i] == UInt8(ascii: "\\") else { i += 1; continue }
            if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: span[runStart..<i])) }
            guard i + 1 < n else { throw .malformedJSON(reason: "dangling backslash", offset: baseOffset + i) }
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
                var scalar = try hex4(span, at: i, baseOffset: baseOffset)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= n,
                   span[i] == UInt8(ascii: "\\"), span[i + 1] == UInt8(ascii: "u") {
                    let low = try hex4(span, at: i + 2, baseOffset: baseOffset)
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                UTF8Repair.appendScalar(scalar, to: &out)
            default:
                throw .malformedJSON(reason: "unknown escape '\\\(Character(Unicode.Scalar(e)))'", offset: baseOffset + i - 2)
            }
            runStart = i
        }
        if runStart < n { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: span[runStart..<n])) }
    }

    /// The value of the four hex digits at `span[at..<at+4]`.
    private static func hex4(_ span: UnsafeRawBufferPointer, at: Int, baseOffset: Int) throws(ContainerLogError) -> UInt32 {
        guard at + 4 <= span.count else {
            throw .malformedJSON(reason: "truncated \\u escape", offset: baseOffset + at)
        }
        var v: UInt32 = 0
        for k in at..<at + 4 {
            let c = span[k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw .malformedJSON(reason: "bad hex digit in \\u escape", offset: baseOffset + k)
            }
            v = v << 4 | d
        }
        return v
    }
}
