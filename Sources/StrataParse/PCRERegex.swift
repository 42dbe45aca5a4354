import CPCRE2

/// A compiled Perl-compatible regular expression (PCRE2, JIT-compiled where the platform allows),
/// matched over raw bytes.
///
/// Invariants: the pattern is compiled once in byte mode (no UTF decoding, so any input bytes
/// are safe and `.` matches one byte); the compiled code is immutable after `init`, so one
/// instance may be shared by threads — every match allocates its own match data. Used by the
/// regex and grok parsers, whose patterns use Oniguruma/PCRE syntax (named groups `(?<n>…)`,
/// atomic groups, possessive quantifiers, `\b`).
public final class PCRERegex: @unchecked Sendable {
    private let code: OpaquePointer
    /// The source pattern.
    public let pattern: String
    /// Number of capturing groups (group 0, the whole match, not counted).
    public let captureCount: Int
    /// Whether JIT compilation succeeded (matching works either way).
    public let isJITCompiled: Bool
    /// Compiled to match whole subjects only (both ends anchored at compile time, which keeps the
    /// JIT in use; anchoring at match time would fall back to the interpreter).
    public let isWholeSubject: Bool

    /// Compiles `pattern`. `caseInsensitive` sets `(?i)` and `dotMatchesNewline` `(?s)` for the
    /// whole pattern; `wholeSubject` anchors both ends (every match is then a whole match).
    /// - Throws: `RegexSyntaxError` naming the offset and PCRE2's message.
    public init(_ pattern: String, caseInsensitive: Bool = false, dotMatchesNewline: Bool = false, wholeSubject: Bool = false) throws(RegexSyntaxError) {
        self.pattern = pattern
        isWholeSubject = wholeSubject
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options: UInt32 = (caseInsensitive ? PCRE2_CASELESS : 0) | (dotMatchesNewline ? PCRE2_DOTALL : 0)
            | (wholeSubject ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0)
        let compiled: OpaquePointer? = pattern.utf8.withContiguousStorageIfAvailable { p in
            pcre2_compile_8(p.baseAddress, p.count, options, &errorCode, &errorOffset, nil)
        } ?? {
            let bytes = Array(pattern.utf8)
            return bytes.withUnsafeBufferPointer { pcre2_compile_8($0.baseAddress, $0.count, options, &errorCode, &errorOffset, nil) }
        }()
        guard let compiled else {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
            let message = n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "error \(errorCode)"
            throw RegexSyntaxError(pattern: pattern, offset: errorOffset, message: message)
        }
        code = compiled
        isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        var count: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
        captureCount = Int(count)
    }

    deinit { pcre2_code_free_8(code) }

    /// The group number of the named group `name`, or nil.
    public func groupNumber(of name: String) -> Int? {
        let n = name.withCString { pcre2_substring_number_from_name_8(code, UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self)) }
        return n > 0 ? Int(n) : nil
    }

    /// Whether the pattern matches somewhere in `subject` (or the whole of it with `whole`).
    public func matches(_ subject: UnsafeRawBufferPointer, whole: Bool = false) -> Bool {
        withMatch(subject, whole: whole) { _ in () } != nil
    }

    /// The range of the first match in `subject` at or after `offset`, or nil.
    public func firstMatch(in subject: UnsafeRawBufferPointer, from offset: Int = 0) -> Range<Int>? {
        guard offset <= subject.count, let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return nil }
        defer { pcre2_match_data_free_8(data) }
        var empty: UInt8 = 0
        let rc = withUnsafePointer(to: &empty) { e in
            pcre2_match_8(code, subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? e, subject.count, offset, 0, data, nil)
        }
        guard rc > 0, let ov = pcre2_get_ovector_pointer_8(data), ov[0] <= ov[1] else { return nil }
        return ov[0]..<ov[1]
    }

    /// `subject` with every match replaced by `replacement` (`nil` when nothing matched, so
    /// callers can skip rebuilding). `refine` may narrow a match to the part to replace (a range
    /// within the match's bytes) or veto it (nil: the search resumes one byte after the match's
    /// start, so a shorter valid span inside a rejected match is still found).
    public func replacingMatches(in subject: UnsafeRawBufferPointer, with replacement: [UInt8],
                                 refine: (UnsafeRawBufferPointer) -> Range<Int>? = { 0..<$0.count }) -> [UInt8]? {
        var out: [UInt8] = []
        var copied = 0, at = 0, changed = false
        while at <= subject.count, let r = firstMatch(in: subject, from: at) {
            guard let sub = refine(UnsafeRawBufferPointer(rebasing: subject[r])), sub.lowerBound >= 0, sub.upperBound <= r.count else {
                at = r.lowerBound + 1
                continue
            }
            let s = r.lowerBound + sub.lowerBound, e = r.lowerBound + sub.upperBound
            out.append(contentsOf: subject[copied..<s])
            out.append(contentsOf: replacement)
            copied = e
            changed = true
            at = e > r.lowerBound ? e : r.upperBound + 1
        }
        guard changed else { return nil }
        out.append(contentsOf: subject[copied...])
        return out
    }

    /// Matches `subject` and, on success, calls `body` with a view of the group ranges.
    /// `whole` anchors the match at both ends. Returns nil when there is no match.
    public func withMatch<R>(_ subject: UnsafeRawBufferPointer, whole: Bool = false, _ body: (MatchGroups) throws -> R) rethrows -> R? {
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return nil }
        defer { pcre2_match_data_free_8(data) }
        let options: UInt32 = whole && !isWholeSubject ? UInt32(PCRE2_ANCHORED | PCRE2_ENDANCHORED) : 0
        var empty: UInt8 = 0
        let rc = withUnsafePointer(to: &empty) { e in
            pcre2_match_8(code, subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? e, subject.count, 0, options, data, nil)
        }
        guard rc > 0 else { return nil }
        let ovector = pcre2_get_ovector_pointer_8(data)!
        return try body(MatchGroups(ovector: ovector, count: min(Int(pcre2_get_ovector_count_8(data)), captureCount + 1)))
    }
}

/// Group ranges of one match, valid only inside `PCRERegex.withMatch`'s closure.
public struct MatchGroups {
    let ovector: UnsafeMutablePointer<Int>
    /// Groups including group 0.
    public let count: Int

    /// The byte range of group `i` in the subject, or nil if it did not take part.
    public subscript(i: Int) -> Range<Int>? {
        guard i < count else { return nil }
        let s = ovector[2 * i], e = ovector[2 * i + 1]
        if s == -1 || e < s { return nil }
        return s..<e
    }
}

/// A pattern that does not compile: where and why.
public struct RegexSyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
    public var pattern: String
    public var offset: Int
    public var message: String
    public var description: String { "invalid regular expression at offset \(offset): \(message) in /\(pattern)/" }
}
