import StrataFormat

/// Turns one source's text lines into the NDJSON entry objects `POST /api/logs` reads, with the
/// source's constant metadata rendered once, not per line.
///
/// A plain line becomes `{"timestamp":T,"message":LINE,"source":…,"host":…,"service":…,
/// "fields":{…},"tags":[…]}`. With format `auto`, a line that is one JSON object is sent as
/// that object with the metadata keys put first (so the line's own keys win on the server) and
/// no timestamp (the line's own `timestamp`/`ts`/`time` is used, else the receive time).
///
/// Invariant: every appended object is valid JSON on one line, ending in `\n`, whatever bytes
/// the line held (the caller passes valid UTF-8; JSON-looking lines are validated first).
public struct EntryEncoder: Sendable {
    let format: FileInputConfig.Format
    /// `,"source":…,"host":…,"service":…,"fields":{` plus the constant fields (no closing brace).
    private let plainMiddle: [UInt8]
    /// Whether `plainMiddle` already holds a field (a comma is needed before the next).
    private let hasFields: Bool
    /// `},"tags":[…]}\n`.
    private let plainTail: [UInt8]
    /// `"source":…,"host":…,"service":…,"k":"v",…` for JSON-object lines (no trailing comma).
    private let jsonKeys: [UInt8]

    /// - Parameters:
    ///   - fields: constant fields (input `fields`, processors, container metadata).
    public init(source: String, host: String, service: String?, fields: [(String, String)], tags: [String], format: FileInputConfig.Format) {
        self.format = format
        var m = Array(#","source":"#.utf8)
        LogEntryJSON.appendString(source, to: &m)
        m.append(contentsOf: #","host":"#.utf8)
        LogEntryJSON.appendString(host, to: &m)
        var keys = Array(#""source":"#.utf8)
        LogEntryJSON.appendString(source, to: &keys)
        keys.append(contentsOf: #","host":"#.utf8)
        LogEntryJSON.appendString(host, to: &keys)
        if let service {
            m.append(contentsOf: #","service":"#.utf8)
            LogEntryJSON.appendString(service, to: &m)
            keys.append(contentsOf: #","service":"#.utf8)
            LogEntryJSON.appendString(service, to: &keys)
        }
        m.append(contentsOf: #","fields":{"#.utf8)
        for (i, (k, v)) in fields.enumerated() {
            if i > 0 { m.append(0x2C) }
            LogEntryJSON.appendString(k, to: &m)
            m.append(0x3A)
            LogEntryJSON.appendString(v, to: &m)
            keys.append(0x2C)
            LogEntryJSON.appendString(k, to: &keys)
            keys.append(0x3A)
            LogEntryJSON.appendString(v, to: &keys)
        }
        var t = Array(#"},"tags":["#.utf8)
        for (i, tag) in tags.enumerated() {
            if i > 0 { t.append(0x2C) }
            LogEntryJSON.appendString(tag, to: &t)
        }
        if !tags.isEmpty {
            keys.append(contentsOf: #","tags":["#.utf8)
            for (i, tag) in tags.enumerated() {
                if i > 0 { keys.append(0x2C) }
                LogEntryJSON.appendString(tag, to: &keys)
            }
            keys.append(0x5D)
        }
        t.append(contentsOf: "]}\n".utf8)
        plainMiddle = m
        hasFields = !fields.isEmpty
        plainTail = t
        jsonKeys = keys
    }

    /// Appends the entry for `line` (UTF-8, without its terminator). `stream` (stdout/stderr of
    /// a container) becomes the field `stream`.
    public func append(line: UnsafeRawBufferPointer, timestampNanos: Int64, stream: String? = nil, to out: inout [UInt8]) {
        if format == .auto, let open = JSONObjectCheck.objectBody(line) {
            out.append(0x7B)
            out.append(contentsOf: jsonKeys)
            if let stream {
                out.append(contentsOf: #","stream":"#.utf8)
                LogEntryJSON.appendString(stream, to: &out)
            }
            // `open` is the line after its `{`; an empty object needs no comma.
            if !JSONObjectCheck.startsWithClosingBrace(open) { out.append(0x2C) }
            // A multiline event may hold line breaks between JSON tokens (valid JSON has them
            // only as whitespace there): one NDJSON line must not.
            let start = out.count
            out.append(contentsOf: open)
            for i in start..<out.count where out[i] == 0x0A || out[i] == 0x0D { out[i] = 0x20 }
            out.append(0x0A)
            return
        }
        out.append(contentsOf: #"{"timestamp":""#.utf8)
        Timestamp.append(timestampNanos, to: &out)
        out.append(contentsOf: #"","message":"#.utf8)
        LogEntryJSON.appendString(bytes: line, to: &out)
        out.append(contentsOf: plainMiddle)
        if let stream {
            if hasFields { out.append(0x2C) }
            out.append(contentsOf: #""stream":"#.utf8)
            LogEntryJSON.appendString(stream, to: &out)
        }
        out.append(contentsOf: plainTail)
    }
}
