import StrataFormat

/// A parsed JSON document, for protocol bodies whose structure matters (Loki pushes, OTLP/JSON):
/// objects keep their keys in order, numbers keep their text (so 64-bit integers sent as
/// numbers lose nothing). Nesting is limited to 64 levels.
package enum JSONValue: Equatable, Sendable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    package static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let x), .array(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        default: false
        }
    }

    /// Parses a whole document (trailing bytes other than whitespace are an error).
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> JSONValue {
        var s = JSONScanner(bytes)
        let v = try value(&s, depth: 0)
        s.skipSpace()
        guard s.atEnd else { throw ParseError("trailing bytes after the JSON document", at: s.pos) }
        return v
    }

    static func value(_ s: inout JSONScanner, depth: Int) throws(ParseError) -> JSONValue {
        guard depth < 64 else { throw ParseError("nesting deeper than 64", at: s.pos) }
        s.skipSpace()
        guard let c = s.peek() else { throw ParseError("expected a value", at: s.pos) }
        switch c {
        case UInt8(ascii: "{"):
            s.pos += 1
            var members = [(String, JSONValue)]()
            s.skipSpace()
            if s.peek() == UInt8(ascii: "}") { s.pos += 1; return .object(members) }
            while true {
                s.skipSpace()
                let at = s.pos
                let raw = try s.readStringRaw()
                let key = raw.escaped ? try s.decodeString(raw.span, at: at) : String(decoding: raw.span, as: UTF8.self)
                s.skipSpace()
                try s.expect(UInt8(ascii: ":"))
                members.append((key, try value(&s, depth: depth + 1)))
                s.skipSpace()
                guard let sep = s.peek() else { throw ParseError("unterminated object", at: s.pos) }
                s.pos += 1
                if sep == UInt8(ascii: "}") { return .object(members) }
                guard sep == UInt8(ascii: ",") else { throw ParseError("expected ',' or '}' in object", at: s.pos - 1) }
            }
        case UInt8(ascii: "["):
            s.pos += 1
            var items = [JSONValue]()
            s.skipSpace()
            if s.peek() == UInt8(ascii: "]") { s.pos += 1; return .array(items) }
            while true {
                items.append(try value(&s, depth: depth + 1))
                s.skipSpace()
                guard let sep = s.peek() else { throw ParseError("unterminated array", at: s.pos) }
                s.pos += 1
                if sep == UInt8(ascii: "]") { return .array(items) }
                guard sep == UInt8(ascii: ",") else { throw ParseError("expected ',' or ']' in array", at: s.pos - 1) }
            }
        case UInt8(ascii: "\""):
            let at = s.pos
            let raw = try s.readStringRaw()
            return .string(raw.escaped ? try s.decodeString(raw.span, at: at) : String(decoding: raw.span, as: UTF8.self))
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try s.readBool())
        case UInt8(ascii: "n"):
            try s.readNull()
            return .null
        default:
            let start = s.pos
            _ = try s.readNumber()
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: s.buf[start..<s.pos]), as: UTF8.self))
        }
    }

    /// The member `key` of an object (first match), else nil.
    package subscript(key: String) -> JSONValue? {
        guard case .object(let m) = self else { return nil }
        return m.first { $0.0 == key }?.1
    }

    package var string: String? { if case .string(let s) = self { s } else { nil } }
    package var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    package var members: [(String, JSONValue)]? { if case .object(let m) = self { m } else { nil } }

    /// An integer from a number or a numeric string (OTLP/JSON sends int64 as strings).
    package var int64: Int64? {
        switch self {
        case .number(let t), .string(let t): Int64(t) ?? Double(t).flatMap { $0.rounded() == $0 && abs($0) < 9.2e18 ? Int64($0) : nil }
        default: nil
        }
    }

    /// Compact JSON text of this value.
    package var text: String {
        var out = [UInt8]()
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    package func append(to out: inout [UInt8]) {
        switch self {
        case .object(let m):
            out.append(0x7B)
            for (i, (k, v)) in m.enumerated() {
                if i > 0 { out.append(0x2C) }
                LogEntryJSON.appendString(k, to: &out)
                out.append(0x3A)
                v.append(to: &out)
            }
            out.append(0x7D)
        case .array(let a):
            out.append(0x5B)
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(0x2C) }
                v.append(to: &out)
            }
            out.append(0x5D)
        case .string(let s): LogEntryJSON.appendString(s, to: &out)
        case .number(let t): out.append(contentsOf: t.utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        }
    }
}
