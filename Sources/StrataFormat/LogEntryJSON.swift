/// Renders entries as the JSON object of DESIGN §4:
/// `{"id","timestamp","level","message","source","host","service","fields":{…},"tags":[…]}`.
public enum LogEntryJSON {
    /// Appends the JSON object of `e` to `out`.
    public static func append(_ e: LogEntry, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":""#.utf8)
        out.append(contentsOf: e.id.description.utf8)
        out.append(contentsOf: #"","timestamp":""#.utf8)
        appendBody(e, to: &out)
    }

    /// Appends the object without its `id` — what one Strata sends another (`POST /api/logs`
    /// reads it back as the same entry; the receiver assigns its own id).
    public static func appendForIngest(_ e: LogEntry, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"timestamp":""#.utf8)
        appendBody(e, to: &out)
    }

    private static func appendBody(_ e: LogEntry, to out: inout [UInt8]) {
        Timestamp.append(e.timestampNanos, to: &out)
        out.append(contentsOf: #"","level":"#.utf8)
        appendString(e.level.description, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        appendString(e.message, to: &out)
        out.append(contentsOf: #","source":"#.utf8)
        appendString(e.source, to: &out)
        out.append(contentsOf: #","host":"#.utf8)
        appendString(e.host, to: &out)
        out.append(contentsOf: #","service":"#.utf8)
        appendString(e.service, to: &out)
        out.append(contentsOf: #","fields":{"#.utf8)
        for (i, f) in e.fields.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendString(f.key, to: &out)
            out.append(0x3A)
            appendValue(f.value, to: &out)
        }
        out.append(contentsOf: #"},"tags":["#.utf8)
        for (i, t) in e.tags.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendString(t, to: &out)
        }
        out.append(contentsOf: "]}".utf8)
    }

    /// The JSON object of `e` as a String.
    public static func string(_ e: LogEntry) -> String {
        var out = [UInt8]()
        append(e, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends a field value as JSON.
    public static func appendValue(_ v: FieldValue, to out: inout [UInt8]) {
        switch v {
        case .int(let x): out.append(contentsOf: String(x).utf8)
        case .float(let x): out.append(contentsOf: formatDouble(x).utf8)
        case .bool(let x): out.append(contentsOf: (x ? "true" : "false").utf8)
        case .string(let s): appendString(s, to: &out)
        case .json(let s): out.append(contentsOf: s.utf8)
        }
    }

    /// Appends `s` as a JSON string literal with the required escapes.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString(bytes: UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends the UTF-8 text `bytes` as a JSON string literal with the required escapes;
    /// runs of bytes that need none are copied at once.
    public static func appendString(bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(0x22)
        var run = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C { i += 1; continue }
            if run < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<i])) }
            switch c {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            default:
                let hex: StaticString = "0123456789abcdef"
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex.utf8Start[Int(c >> 4)], hex.utf8Start[Int(c & 15)]])
            }
            i += 1
            run = i
        }
        if run < n { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<n])) }
        out.append(0x22)
    }
}
