import StrataFormat

/// Parses one JSON object (an NDJSON line) into an entry, on bytes.
///
/// Nested objects are flattened into dotted field keys (`{"http":{"status":200}}` →
/// `http.status`), except a top-level `fields` object, whose keys are the fields themselves
/// (Strata's own entry JSON reads back unchanged); arrays are kept as compact JSON text (`tags`, when an array of strings,
/// becomes the entry's tags); `null` values are dropped. Numbers without fraction or exponent
/// that fit in Int64 are ints, other numbers floats.
public struct JSONLineParser {
    public init() {}

    /// Parses `line` (one JSON object; surrounding whitespace allowed).
    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ParseError) -> LogEntry {
        var s = JSONScanner(line)
        var b = EntryBuilder()
        s.skipSpace()
        try s.expect(UInt8(ascii: "{"))
        try parseObject(&s, prefix: "", builder: &b, topLevel: true)
        s.skipSpace()
        guard s.atEnd else { throw ParseError("trailing bytes after JSON object", at: s.pos) }
        return b.build(defaults: defaults)
    }

    private func parseObject(_ s: inout JSONScanner, prefix: String, builder b: inout EntryBuilder, topLevel: Bool) throws(ParseError) {
        s.skipSpace()
        if s.peek() == UInt8(ascii: "}") { s.pos += 1; return }
        while true {
            s.skipSpace()
            let keyStart = s.pos
            let keyBytes = try s.readStringRaw()
            let role: EntryBuilder.Role = topLevel && !keyBytes.escaped ? EntryBuilder.role(of: keyBytes.span) : .other
            let key = prefix + (keyBytes.escaped ? try s.decodeString(keyBytes.span, at: keyStart) : String(decoding: keyBytes.span, as: UTF8.self))
            s.skipSpace()
            try s.expect(UInt8(ascii: ":"))
            s.skipSpace()
            let valueStart = s.pos
            guard let c = s.peek() else { throw ParseError("unexpected end of line, expected a value", at: s.pos) }
            switch c {
            case UInt8(ascii: "{"):
                s.pos += 1
                // `fields` holds the dynamic fields in Strata's own entry JSON (DESIGN §4), so
                // `strata query` output and forwarded entries read back as the same entry.
                let own = topLevel && !keyBytes.escaped && EntryBuilder.eq(keyBytes.span, "fields")
                try parseObject(&s, prefix: own ? "" : key + ".", builder: &b, topLevel: false)
            case UInt8(ascii: "["):
                let range = try s.skipValue()
                if role == .tags, let tags = try? stringArray(s, range) {
                    b.tags = tags
                } else {
                    b.addField(key, .json(s.compact(range)))
                }
            case UInt8(ascii: "\""):
                let raw = try s.readStringRaw()
                let text = raw.escaped ? try s.decodeString(raw.span, at: valueStart) : String(decoding: raw.span, as: UTF8.self)
                apply(role, key: key, string: text, span: raw.escaped ? nil : raw.span, builder: &b)
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                let v = try s.readBool()
                if role == .message, b.message == nil { b.message = v ? "true" : "false" } else { b.addField(key, .bool(v)) }
            case UInt8(ascii: "n"):
                try s.readNull()
            default:
                let num = try s.readNumber()
                switch role {
                case .timestamp where b.timestamp == nil:
                    switch num {
                    case .int(let v): b.timestamp = Timestamp.fromEpoch(v)
                    case .float(let v): b.timestamp = Timestamp.fromEpoch(v)
                    default: break
                    }
                    if b.timestamp == nil { b.addField(key, num) }
                case .level where b.level == .unknown:
                    if case .int(let v) = num, let l = LogLevel.normalise(String(v)) { b.level = l } else { b.addField(key, num) }
                case .message where b.message == nil:
                    b.message = num.text
                default:
                    b.addField(key, num)
                }
            }
            s.skipSpace()
            guard let sep = s.peek() else { throw ParseError("unexpected end of line, expected ',' or '}'", at: s.pos) }
            s.pos += 1
            if sep == UInt8(ascii: "}") { return }
            guard sep == UInt8(ascii: ",") else { throw ParseError("expected ',' or '}'", at: s.pos - 1) }
        }
    }

    private func apply(_ role: EntryBuilder.Role, key: String, string text: String, span: UnsafeRawBufferPointer?, builder b: inout EntryBuilder) {
        switch role {
        case .timestamp where b.timestamp == nil:
            var t = text
            if let ts = t.withUTF8({ Timestamp.parseRFC3339(UnsafeRawBufferPointer($0)) }) {
                b.timestamp = ts
            } else if let v = Double(text), let ts = Timestamp.fromEpoch(v) {
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
        case .tags where b.tags.isEmpty: b.tags = [text]
        default: b.addField(key, .string(text))
        }
    }

    private func stringArray(_ s: JSONScanner, _ range: Range<Int>) throws(ParseError) -> [String] {
        var sub = JSONScanner(UnsafeRawBufferPointer(rebasing: s.buf[range]))
        try sub.expect(UInt8(ascii: "["))
        var out = [String]()
        sub.skipSpace()
        if sub.peek() == UInt8(ascii: "]") { return [] }
        while true {
            sub.skipSpace()
            let at = sub.pos
            guard sub.peek() == UInt8(ascii: "\"") else { throw ParseError("not a string", at: at) }
            let raw = try sub.readStringRaw()
            out.append(raw.escaped ? try sub.decodeString(raw.span, at: at) : String(decoding: raw.span, as: UTF8.self))
            sub.skipSpace()
            guard let c = sub.peek() else { throw ParseError("end", at: sub.pos) }
            sub.pos += 1
            if c == UInt8(ascii: "]") { return out }
        }
    }
}
