/// Converting one raw line to UTF-8.
///
/// The output is always well-formed UTF-8: invalid UTF-8 and unpaired UTF-16 surrogates become
/// U+FFFD (one per maximal ill-formed subpart, one per unpaired surrogate, one for a dangling odd
/// byte in UTF-16), and Latin-1 bytes ≥ 0x80 become two bytes. The conversion appends to a buffer
/// the caller reuses, so a steady stream of lines allocates nothing.
extension TextEncoding {
    /// Appends the UTF-8 form of `rawLine`, without its line terminator, to `out`.
    ///
    /// One trailing newline code unit (as `nextLineEnd` includes it) is dropped, then one
    /// trailing carriage return, so `CRLF` and `LF` lines give the same text.
    ///
    /// - Parameters:
    ///   - rawLine: one line of raw file bytes, starting at a code-unit boundary (every line
    ///     start found by `nextLineEnd` is one).
    ///   - out: the buffer to append to.
    /// - Returns: how many U+FFFD replacements were made (0 for clean input).
    /// - Complexity: O(`rawLine.count`).
    @discardableResult
    public func appendUTF8(ofLine rawLine: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Int {
        switch self {
        case .utf8:
            return UTF8Repair.appendRepaired(Self.strippingTerminator(rawLine), to: &out)
        case .latin1:
            let line = Self.strippingTerminator(rawLine)
            var runStart = 0
            for i in 0..<line.count where line[i] >= 0x80 {
                if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[runStart..<i])) }
                out.append(0xC0 | line[i] >> 6)
                out.append(0x80 | line[i] & 0x3F)
                runStart = i + 1
            }
            if runStart < line.count { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[runStart..<line.count])) }
            return 0
        case .utf16LE, .utf16BE:
            return appendUTF16(rawLine, bigEndian: self == .utf16BE, to: &out)
        }
    }

    /// `line` without one trailing `0A` and then one trailing `0D` (single-byte encodings).
    private static func strippingTerminator(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var n = line.count
        if n > 0 && line[n - 1] == 0x0A { n -= 1 }
        if n > 0 && line[n - 1] == 0x0D { n -= 1 }
        return UnsafeRawBufferPointer(rebasing: line[0..<n])
    }

    /// UTF-16 → UTF-8 with surrogate pairs joined and unpaired surrogates replaced.
    private func appendUTF16(_ raw: UnsafeRawBufferPointer, bigEndian: Bool, to out: inout [UInt8]) -> Int {
        @inline(__always) func unit(_ at: Int) -> UInt32 {
            bigEndian ? UInt32(raw[at]) << 8 | UInt32(raw[at + 1]) : UInt32(raw[at + 1]) << 8 | UInt32(raw[at])
        }
        let dangling = raw.count & 1 == 1
        var n = raw.count & ~1
        if !dangling {
            if n >= 2 && unit(n - 2) == 0x0A { n -= 2 }
            if n >= 2 && unit(n - 2) == 0x0D { n -= 2 }
        }
        var replaced = 0
        var i = 0
        while i < n {
            let u = unit(i)
            i += 2
            if u < 0x80 {
                out.append(UInt8(u))
            } else if u & 0xFC00 == 0xD800, i < n, unit(i) & 0xFC00 == 0xDC00 {
                let scalar = 0x10000 + ((u - 0xD800) << 10) + (unit(i) - 0xDC00)
                i += 2
                UTF8Repair.appendScalar(scalar, to: &out)
            } else {
                if u & 0xF800 == 0xD800 { replaced += 1 }   // unpaired surrogate → U+FFFD
                UTF8Repair.appendScalar(u, to: &out)
            }
        }
        if dangling {
            UTF8Repair.appendReplacement(to: &out)
            replaced += 1
        }
        return replaced
    }
}
