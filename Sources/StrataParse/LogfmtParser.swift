import StrataFormat

/// Parses logfmt (`key=value key2="quoted value"`) into an entry.
///
/// Values are typed by inference: `true`/`false` → bool, integers → int, decimals → float,
/// anything else (or a quoted value) → string. A bare word without `=` is kept as a `true`
/// bool field. Quoted values support `\"`, `\\`, `\n`, `\t`, `\r`.
public struct LogfmtParser {
    public init() {}

    /// Whether `line` looks like logfmt: it starts with `key=` and holds at least two pairs.
    public static func looksLikeLogfmt(_ line: UnsafeRawBufferPointer) -> Bool {
        var pairs = 0
        var i = 0
        let n = line.count
        while i < n && pairs < 2 {
            while i < n && line[i] == 0x20 { i += 1 }
            let k = i
            while i < n, isKeyByte(line[i]) { i += 1 }
            guard i > k, i < n, line[i] == UInt8(ascii: "=") else { return false }
            pairs += 1
            i += 1
            if i < n && line[i] == 0x22 {
                i += 1
                while i < n && line[i] != 0x22 { if line[i] == 0x5C { i += 1 }; i += 1 }
                i += 1
            } else {
                while i < n && line[i] != 0x20 { i += 1 }
            }
        }
        return pairs >= 2
    }

    @inline(__always) static func isKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
            || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: "@") || c == UInt8(ascii: "/")
    }

    /// Parses one logfmt line.
    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ParseError) -> LogEntry {
        var b = EntryBuilder()
        var i = 0
        let n = line.count
        var sawPair = false
        while i < n {
            while i < n && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
            if i >= n { break }
            let keyStart = i
            while i < n, line[i] != UInt8(ascii: "="), line[i] != 0x20, line[i] != 0x09 { i += 1 }
            let keySpan = UnsafeRawBufferPointer(rebasing: line[keyStart..<i])
            guard !keySpan.isEmpty else { throw ParseError("empty key", at: keyStart) }
            let key = String(decoding: keySpan, as: UTF8.self)
            if i >= n || line[i] != UInt8(ascii: "=") {
                b.addField(key, .bool(true))
                continue
            }
            sawPair = true
            i += 1
            var value: [UInt8] = []
            var quoted = false
            if i < n && line[i] == 0x22 {
                quoted = true
                try EntryBuilder.readQuoted(line, at: &i, quote: 0x22, into: &value)
            } else {
                let v = i
                while i < n && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
                value = Array(line[v..<i])
            }
            let text = String(decoding: value, as: UTF8.self)
            switch EntryBuilder.role(of: keySpan) {
            case .timestamp where b.timestamp == nil:
                if let ts = value.withUnsafeBytes({ Timestamp.parseRFC3339($0) }) ?? Double(text).flatMap({ Timestamp.fromEpoch($0) }) {
                    b.timestamp = ts
                } else {
                    b.addField(key, .string(text))
                }
            case .message where b.message == nil: b.message = text
            case .level where b.level == .unknown:
                if let l = LogLevel.normalise(text) { b.level = l } else { b.addField(key, .string(text)) }
            case .service where b.service == nil: b.service = text
            case .host where b.host == nil: b.host = text
            case .source where b.source == nil: b.source = text
            case .tags where b.tags.isEmpty:
                b.tags = text.split(separator: ",").map(String.init)
            default:
                b.addField(key, quoted ? .string(text) : Self.infer(text))
            }
        }
        guard sawPair else { throw ParseError("no key=value pair", at: 0) }
        return b.build(defaults: defaults)
    }

    /// Infers the type of an unquoted value.
    public static func infer(_ text: String) -> FieldValue {
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if let v = Int64(text) { return .int(v) }
        if let first = text.utf8.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39),
           text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "+") }),
           let d = Double(text), d.isFinite {
            return .float(d)
        }
        return .string(text)
    }
}
