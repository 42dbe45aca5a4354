/// UTF-8 validation and repair on raw bytes, without `String`.
///
/// Well-formed means RFC 3629 / Unicode Table 3-7: no overlong forms, no surrogates, nothing above
/// U+10FFFF. Repair replaces each *maximal subpart* of an ill-formed sequence with one U+FFFD
/// (`EF BF BD`), the Unicode-recommended practice that `String(decoding:as: UTF8.self)` also
/// follows, so the agent and the store agree on what a broken line looks like.
enum UTF8Repair {
    /// U+FFFD REPLACEMENT CHARACTER in UTF-8.
    static let replacement: (UInt8, UInt8, UInt8) = (0xEF, 0xBF, 0xBD)

    /// Appends `src` to `out` with every ill-formed subsequence replaced by U+FFFD.
    ///
    /// - Returns: how many replacements were made (0 when `src` is well-formed).
    /// - Complexity: O(`src.count`); runs of valid bytes are copied in one call.
    @discardableResult
    static func appendRepaired(_ src: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Int {
        let n = src.count
        var replaced = 0
        var i = 0
        var runStart = 0
        while i < n {
            if src[i] < 0x80 { i += 1; continue }
            let bad = illFormedLength(src, at: i)
            if bad == 0 {
                i += sequenceLength(src[i])
                continue
            }
            if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[runStart..<i])) }
            appendReplacement(to: &out)
            replaced += 1
            i += bad
            runStart = i
        }
        if runStart < n { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[runStart..<n])) }
        return replaced
    }

    /// Whether `src` is well-formed UTF-8.
    /// - Complexity: O(`src.count`).
    static func isValid(_ src: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < src.count {
            if src[i] < 0x80 { i += 1; continue }
            guard illFormedLength(src, at: i) == 0 else { return false }
            i += sequenceLength(src[i])
        }
        return true
    }

    /// How many bytes at the end of `src` are the start of a multi-byte sequence that `src` cuts
    /// short (a lead byte followed by fewer continuation bytes than it announces), 0 if none.
    /// Used to cut a truncated line before a split character instead of leaving half of it.
    static func incompleteSuffixLength(_ src: UnsafeRawBufferPointer) -> Int {
        let n = src.count
        var k = 1
        while k <= min(3, n) {
            let b = src[n - k]
            if b & 0xC0 != 0x80 {
                let need = b >= 0xC2 && b <= 0xF4 ? sequenceLength(b) : 0
                return need > k ? k : 0
            }
            k += 1
        }
        return 0
    }

    /// Appends the UTF-8 form of `scalar` (≤ 0x10FFFF by construction); a surrogate becomes U+FFFD.
    @inline(__always)
    static func appendScalar(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0xD800..<0xE000:
            out.append(0xEF); out.append(0xBF); out.append(0xBD)
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Appends U+FFFD.
    @inline(__always)
    static func appendReplacement(to out: inout [UInt8]) {
        out.append(replacement.0); out.append(replacement.1); out.append(replacement.2)
    }

    /// The length a lead byte announces (1 for ASCII and for bytes that cannot start a sequence).
    @inline(__always)
    private static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }

    /// 0 if a well-formed sequence starts at `src[i]` (a byte ≥ 0x80), else the length of the
    /// maximal subpart to replace (≥ 1).
    @inline(__always)
    private static func illFormedLength(_ src: UnsafeRawBufferPointer, at i: Int) -> Int {
        let lead = src[i]
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xE0: low = 0xA0
        case 0xED: high = 0x9F
        case 0xF0: low = 0x90
        case 0xF4: high = 0x8F
        case 0xC2...0xDF, 0xE1...0xEC, 0xEE...0xEF, 0xF1...0xF3: break
        default: return 1
        }
        let need = sequenceLength(lead) - 1
        var k = 1
        while k <= need {
            guard i + k < src.count else { return k }
            let b = src[i + k]
            if k == 1 {
                guard b >= low && b <= high else { return 1 }
            } else {
                guard b & 0xC0 == 0x80 else { return k }
            }
            k += 1
        }
        return 0
    }
}
