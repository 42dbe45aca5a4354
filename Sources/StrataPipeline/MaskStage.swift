import StrataFormat
import StrataParse

/// `mask: {fields: [message], patterns: [email, credit_card, ipv4, "secret=\\S+"], replacement: "[REDACTED]"}`
/// — redacts matches of built-in or custom patterns in string parts.
///
/// Built-ins: `email`; `credit_card` (13–19 digits, optionally grouped by spaces or dashes,
/// that pass the Luhn check, so order numbers and timestamps survive); `ipv4`; `ipv6`;
/// `uuid`; `bearer` (an `Authorization: Bearer …` token). Anything else is a PCRE regex.
///
/// Invariant: only the matched bytes change; a part with no match is not rebuilt.
final class MaskStage: PipelineStage {
    let kind = "mask"
    let fields: [String]
    let rules: [(PCRERegex, luhn: Bool)]
    let replacement: [UInt8]

    static let builtins: [String: (String, Bool)] = [
        "email": (#"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#, false),
        "credit_card": (#"\b(?:[0-9][ -]?){12,18}[0-9]\b"#, true),
        "ipv4": (#"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b"#, false),
        "ipv6": (#"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?\b"#, false),
        "uuid": (#"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b"#, false),
        "bearer": (#"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]+"#, false),
    ]

    init(fields: [String], patterns: [String], replacement: String, path: String) throws(PipelineConfigError) {
        self.fields = fields.isEmpty ? ["message"] : fields
        var rules: [(PCRERegex, luhn: Bool)] = []
        for p in patterns {
            let (text, luhn) = MaskStage.builtins[p] ?? (p, false)
            do { rules.append((try PCRERegex(text), luhn)) } catch { throw PipelineConfigError.invalid(path: path + ".patterns", expected: "a built-in name or a valid regex: \(error)") }
        }
        guard !rules.isEmpty else { throw PipelineConfigError.missing(path: path + ".patterns") }
        self.rules = rules
        self.replacement = Array(replacement.utf8)
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        for i in entries.indices {
            for f in fields {
                guard let text = entries[i].text(of: f), f != "timestamp", f != "level" else { continue }
                var bytes = Array(text.utf8)
                var changed = false
                for (regex, luhn) in rules {
                    let replaced = bytes.withUnsafeBytes { p in
                        luhn ? regex.replacingMatches(in: p, with: replacement, refine: MaskStage.cardSpan)
                             : regex.replacingMatches(in: p, with: replacement)
                    }
                    if let replaced { bytes = replaced; changed = true }
                }
                if changed { entries[i].set(f, .string(String(decoding: bytes, as: UTF8.self))) }
            }
        }
    }

    /// The longest run of whole digit groups inside a candidate that is a card number (13–19
    /// digits passing Luhn), e.g. `4111 1111 1111 1111` inside `2 4111 1111 1111 1111`.
    static func cardSpan(_ p: UnsafeRawBufferPointer) -> Range<Int>? {
        var groups: [Range<Int>] = []
        var i = 0
        while i < p.count {
            while i < p.count, !(p[i] >= 0x30 && p[i] <= 0x39) { i += 1 }
            let s = i
            while i < p.count, p[i] >= 0x30 && p[i] <= 0x39 { i += 1 }
            if i > s { groups.append(s..<i) }
        }
        var best: Range<Int>?
        for a in groups.indices {
            for b in a..<groups.count {
                let span = groups[a].lowerBound..<groups[b].upperBound
                if span.count > (best?.count ?? 0), passesLuhn(UnsafeRawBufferPointer(rebasing: p[span])) { best = span }
            }
        }
        return best
    }

    /// The Luhn checksum over the digits of `p` (separators skipped), 13–19 digits.
    static func passesLuhn(_ p: UnsafeRawBufferPointer) -> Bool {
        var digits: [Int] = []
        for c in p where c >= 0x30 && c <= 0x39 { digits.append(Int(c - 0x30)) }
        guard (13...19).contains(digits.count) else { return false }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            if i % 2 == 1 { let x = d * 2; sum += x > 9 ? x - 9 : x } else { sum += d }
        }
        return sum % 10 == 0
    }
}
