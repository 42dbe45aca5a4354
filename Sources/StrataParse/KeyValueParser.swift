import StrataFormat

/// Key-value lines with configurable punctuation: `pairSeparator` between pairs (default
/// space), `keyValueSeparator` between key and value (default `=`), `quote` around values
/// that hold separators (backslash escapes inside: `\\n`, `\\t`, `\\r`, else the byte itself). Values are typed by inference (integers,
/// decimals, `true`/`false`), quoted values stay strings; the usual keys take their roles
/// (time, message, level, service, host, source). `key: value, other: 1` is
/// `pairSeparator: ","`, `keyValueSeparator: ":"` (spaces around pairs are trimmed).
///
/// Invariant: total over any bytes; a line with no pair throws, an unterminated quote throws
/// at its offset.
public struct KeyValueParser: Sendable {
    public var pairSeparator: UInt8
    public var keyValueSeparator: UInt8
    public var quote: UInt8

    public init(pairSeparator: UInt8 = 0x20, keyValueSeparator: UInt8 = UInt8(ascii: "="), quote: UInt8 = UInt8(ascii: "\"")) {
        self.pairSeparator = pairSeparator
        self.keyValueSeparator = keyValueSeparator
        self.quote = quote
    }

    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ParseError) -> LogEntry {
        var b = EntryBuilder()
        var i = 0
        let n = line.count
        var pairs = 0
        @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        while i < n {
            while i < n, line[i] == pairSeparator || isSpace(line[i]) { i += 1 }
            if i >= n { break }
            let ks = i
            while i < n, line[i] != keyValueSeparator, line[i] != pairSeparator { i += 1 }
            var ke = i
            while ke > ks, isSpace(line[ke - 1]) { ke -= 1 }
            guard i < n, line[i] == keyValueSeparator, ke > ks else {
                // A bare word (or a separator with no key before it) is not a pair: skip it.
                if i < n, line[i] == keyValueSeparator { i += 1 }
                continue
            }
            let key = UnsafeRawBufferPointer(rebasing: line[ks..<ke])
            i += 1
            while i < n, isSpace(line[i]), !isSpace(pairSeparator) { i += 1 }
            var value: [UInt8] = []
            var quoted = false
            if i < n, line[i] == quote {
                quoted = true
                try EntryBuilder.readQuoted(line, at: &i, quote: quote, into: &value)
            } else {
                let vs = i
                while i < n, line[i] != pairSeparator { i += 1 }
                var ve = i
                while ve > vs, isSpace(line[ve - 1]) { ve -= 1 }
                value = Array(line[vs..<ve])
            }
            pairs += 1
            let keyText = String(decoding: key, as: UTF8.self)
            let text = String(decoding: value, as: UTF8.self)
            switch EntryBuilder.role(of: key) {
            case .timestamp where b.timestamp == nil:
                if let t = value.withUnsafeBytes({ FlexibleTimestamp.parse($0) }) { b.timestamp = t } else { b.addField(keyText, .string(text)) }
            case .message where b.message == nil: b.message = text
            case .level where b.level == .unknown:
                if let l = LogLevel.normalise(text) { b.level = l } else { b.addField(keyText, .string(text)) }
            case .service where b.service == nil: b.service = text
            case .host where b.host == nil: b.host = text
            case .source where b.source == nil: b.source = text
            default: b.addField(keyText, quoted ? .string(text) : value.withUnsafeBytes { FieldInference.value($0) })
            }
        }
        guard pairs > 0 else { throw ParseError("no key\(Character(Unicode.Scalar(keyValueSeparator)))value pair", at: 0) }
        return b.build(defaults: defaults)
    }
}
