/// Strict UTF-8 validation of a byte range (RFC 3629: no overlong forms, no surrogates, nothing
/// above U+10FFFF). Written out because `String(validating:)` needs a newer macOS than Strata's
/// deployment target.
enum UTF8Check {
    /// True when `bytes[start..<end]` is well-formed UTF-8. The caller guarantees the range is
    /// inside `bytes`.
    static func isValid(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end {
            let c = bytes[i]
            if c < 0x80 {
                i += 1
                continue
            }
            var need = 0
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; high = 0x9F
            case 0xF0: need = 3; low = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; high = 0x8F
            default: return false
            }
            guard end - i > need else { return false }
            let second = bytes[i + 1]
            guard second >= low, second <= high else { return false }
            var k = 2
            while k <= need {
                guard bytes[i + k] & 0xC0 == 0x80 else { return false }
                k += 1
            }
            i += need + 1
        }
        return true
    }
}
