import StrataFormat
import StrataParse

/// The Loki push API body in JSON (`POST /loki/api/v1/push`):
/// `{"streams":[{"stream":{label: value…},"values":[["<unix ns>","line"(, {metadata})]…]}]}`.
/// Labels and structured metadata map to columns by `EntryAssembler`'s names (so `service_name`,
/// `job` or `app` give the service, `level`/`detected_level` the level), the rest become string
/// fields; the line is the message. Unknown keys of a stream object are ignored (some clients
/// add their own).
///
/// A body that is not this shape is refused whole; a value with a bad timestamp or line is
/// rejected alone (`rejected` counts it, `errors` describes the first few).
public struct LokiPush: Sendable {
    public var entries: [LogEntry] = []
    public var rejected = 0
    public var errors: [String] = []

    public static func parse(_ body: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ReceiverError) -> LokiPush {
        let doc: JSONValue
        do throws(ParseError) { doc = try JSONValue.parse(body) } catch { throw ReceiverError("the push body is not JSON: \(error)") }
        guard let streams = doc["streams"]?.array else { throw ReceiverError("expected an object with a \"streams\" array") }
        var out = LokiPush()
        for (si, stream) in streams.enumerated() {
            guard stream.members != nil else { throw ReceiverError("streams[\(si)] is not an object") }
            let labels = stream["stream"]?.members ?? []
            guard let values = stream["values"]?.array else { throw ReceiverError("streams[\(si)] has no \"values\" array") }
            for (vi, value) in values.enumerated() {
                guard let tuple = value.array, tuple.count >= 2, let tsText = tuple[0].string, let line = tuple[1].string else {
                    out.reject("streams[\(si)].values[\(vi)]: expected [\"<unix ns>\", \"line\"(, {metadata})]")
                    continue
                }
                guard let ns = Int64(tsText) else {
                    out.reject("streams[\(si)].values[\(vi)]: timestamp '\(tsText)' is not an integer of nanoseconds")
                    continue
                }
                var a = EntryAssembler()
                a.timestamp = ns
                a.message = line
                for (k, v) in labels { if let s = v.string { a.attribute(k, .string(s)) } }
                if tuple.count > 2, let meta = tuple[2].members {
                    for (k, v) in meta { if let s = v.string { a.attribute(k, .string(s)) } }
                }
                // A line that is a JSON document (as loki-logger-handler sends them) is parsed
                // like an NDJSON line: its message, level and keys; the push's time is kept.
                if line.utf8.first == UInt8(ascii: "{"), let doc = Self.jsonLine(line, defaults: defaults) {
                    a.message = doc.message
                    if a.level == .unknown { a.level = doc.level }
                    if a.service == nil && !doc.service.isEmpty { a.service = doc.service }
                    if a.host == nil && !doc.host.isEmpty { a.host = doc.host }
                    for f in doc.fields { a.addField(f.key, f.value) }
                }
                let e = a.build(defaults: defaults)
                if let reason = e.validationError {
                    out.reject("streams[\(si)].values[\(vi)]: \(reason)")
                } else {
                    out.entries.append(e)
                }
            }
        }
        return out
    }

    static func jsonLine(_ line: String, defaults: ParseDefaults) -> LogEntry? {
        var l = line
        return l.withUTF8 { p in try? JSONLineParser().parse(UnsafeRawBufferPointer(p), defaults: defaults) }
    }

    mutating func reject(_ reason: String) {
        rejected += 1
        if errors.count < 20 { errors.append(reason) }
    }
}

extension LokiPush {
    /// The protobuf push (`Content-Type: application/x-protobuf`, snappy-compressed body), as
    /// Promtail and Grafana Alloy send by default: `PushRequest { repeated StreamAdapter streams = 1 }`,
    /// `StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2 }`,
    /// `EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPair structuredMetadata = 3 }`,
    /// `Timestamp { int64 seconds = 1; int32 nanos = 2 }`, `LabelPair { string name = 1; string value = 2 }`.
    /// `labels` is Prometheus label text: `{job="varlogs", filename="/var/log/x"}`.
    public static func parseProtobuf(_ snappyBody: UnsafeRawBufferPointer, defaults: ParseDefaults, limit: Int) throws(ReceiverError) -> LokiPush {
        let raw = try Snappy.decompress(snappyBody, limit: limit)
        var out = LokiPush()
        try withBytes(raw) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in
            var r = ProtobufReader(p)
            while !r.atEnd {
                let (f, w) = try r.tag()
                guard f == 1 && w == 2 else { try r.skip(w); continue }
                var s = ProtobufReader(try r.bytes())
                var labels = [(String, String)]()
                var entries = [UnsafeRawBufferPointer]()
                while !s.atEnd {
                    let (f2, w2) = try s.tag()
                    switch (f2, w2) {
                    case (1, 2): labels = try Self.labelText(try s.string())
                    case (2, 2): entries.append(try s.bytes())
                    default: try s.skip(w2)
                    }
                }
                for e in entries { try out.addProtobufEntry(e, labels: labels, defaults: defaults) }
            }
        }
        return out
    }

    mutating func addProtobufEntry(_ b: UnsafeRawBufferPointer, labels: [(String, String)], defaults: ParseDefaults) throws(ReceiverError) {
        var r = ProtobufReader(b)
        var seconds: Int64 = 0, nanos: Int64 = 0, line = ""
        var metadata = [(String, String)]()
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch (f, w) {
            case (1, 2):
                var t = ProtobufReader(try r.bytes())
                while !t.atEnd {
                    let (f2, w2) = try t.tag()
                    switch (f2, w2) {
                    case (1, 0): seconds = Int64(bitPattern: try t.varint())
                    case (2, 0): nanos = Int64(Int32(truncatingIfNeeded: try t.varint()))
                    default: try t.skip(w2)
                    }
                }
            case (2, 2): line = try r.string()
            case (3, 2):
                var m = ProtobufReader(try r.bytes())
                var name = "", value = ""
                while !m.atEnd {
                    let (f2, w2) = try m.tag()
                    switch (f2, w2) {
                    case (1, 2): name = try m.string()
                    case (2, 2): value = try m.string()
                    default: try m.skip(w2)
                    }
                }
                metadata.append((name, value))
            default: try r.skip(w)
            }
        }
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else {
            reject("timestamp \(seconds) s is out of range")
            return
        }
        var a = EntryAssembler()
        a.timestamp = ns &+ nanos
        a.message = line
        for (k, v) in labels { a.attribute(k, .string(v)) }
        for (k, v) in metadata { a.attribute(k, .string(v)) }
        let e = a.build(defaults: defaults)
        if let reason = e.validationError { reject(reason) } else { entries.append(e) }
    }

    /// Parses Prometheus label text `{a="b", c="d\"e"}` (escapes `\"`, `\\`, `\n`).
    static func labelText(_ s: String) throws(ReceiverError) -> [(String, String)] {
        let u = Array(s.utf8)
        var i = 0
        func skipSpace() { while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 } }
        skipSpace()
        guard i < u.count, u[i] == UInt8(ascii: "{") else { throw ReceiverError("labels '\(s)' do not start with '{'") }
        i += 1
        var out = [(String, String)]()
        while true {
            skipSpace()
            guard i < u.count else { throw ReceiverError("labels '\(s)' are not closed") }
            if u[i] == UInt8(ascii: "}") { return out }
            let nameStart = i
            while i < u.count, u[i] != UInt8(ascii: "="), u[i] != 0x20 { i += 1 }
            let name = String(decoding: u[nameStart..<i], as: UTF8.self)
            skipSpace()
            guard i + 1 < u.count, u[i] == UInt8(ascii: "="), u[i + 1] == UInt8(ascii: "\"") else { throw ReceiverError("labels '\(s)': expected =\" after \(name)") }
            i += 2
            var value = [UInt8]()
            while true {
                guard i < u.count else { throw ReceiverError("labels '\(s)': unterminated value of \(name)") }
                let c = u[i]
                i += 1
                if c == UInt8(ascii: "\"") { break }
                if c == UInt8(ascii: "\\"), i < u.count {
                    value.append(u[i] == UInt8(ascii: "n") ? 0x0A : u[i])
                    i += 1
                } else {
                    value.append(c)
                }
            }
            out.append((name, String(decoding: value, as: UTF8.self)))
            skipSpace()
            if i < u.count, u[i] == UInt8(ascii: ",") { i += 1 }
        }
    }
}
