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
