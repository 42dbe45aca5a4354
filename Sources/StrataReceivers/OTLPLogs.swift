import StrataFormat
import StrataParse

/// OTLP/HTTP logs (`POST /v1/logs`): an `ExportLogsServiceRequest` in protobuf
/// (`application/x-protobuf`) or in the OTLP/JSON mapping (`application/json`), decoded by hand
/// against opentelemetry-proto's `logs/v1` and `common/v1` messages (field numbers below).
///
/// Mapping of a LogRecord to an entry:
/// - time: `time_unix_nano`, else `observed_time_unix_nano`, else the receive time;
/// - level: `severity_number` (1–4 TRACE and 5–8 DEBUG → DEBUG, 9–12 INFO, 13–16 WARN,
///   17–20 ERROR, 21–24 FATAL), else `severity_text` normalised;
/// - message: a string body as is; any other body as its JSON text;
/// - resource attributes, then the record's attributes, through `EntryAssembler` (so
///   `service.name` → service, `host.name` → host); other values become typed fields (arrays
///   and maps as JSON);
/// - `trace_id`/`span_id` (when not all zero) → fields `trace_id`/`span_id` in lowercase hex;
///   the scope name → field `otel.scope.name`; `event_name` → field `event.name`.
public struct OTLPLogs: Sendable {
    public var entries: [LogEntry] = []
    public var rejected = 0
    public var firstError: String?

    public init() {}

    /// An attribute or body value (`common.v1.AnyValue`).
    indirect enum AnyValue {
        case string(String), bool(Bool), int(Int64), double(Double), bytes([UInt8])
        case array([AnyValue]), kvlist([(String, AnyValue)]), empty

        var fieldValue: FieldValue {
            switch self {
            case .string(let s): .string(s)
            case .bool(let b): .bool(b)
            case .int(let i): .int(i)
            case .double(let d): .float(d)
            case .bytes(let b): .string(Hex.encode(b))
            case .array, .kvlist: .json(json)
            case .empty: .string("")
            }
        }

        var json: String { jsonValue.text }

        var jsonValue: JSONValue {
            switch self {
            case .string(let s): .string(s)
            case .bool(let b): .bool(b)
            case .int(let i): .number(String(i))
            case .double(let d): d.isFinite ? .number(String(d)) : .string(String(d))
            case .bytes(let b): .string(Hex.encode(b))
            case .empty: .null
            case .array(let a): .array(a.map(\.jsonValue))
            case .kvlist(let kv): .object(kv.map { ($0.0, $0.1.jsonValue) })
            }
        }
    }

    /// One LogRecord with its resource and scope.
    struct Record {
        var time: UInt64 = 0
        var observed: UInt64 = 0
        var severityNumber: Int = 0
        var severityText = ""
        var body: AnyValue = .empty
        var attributes: [(String, AnyValue)] = []
        var traceId: [UInt8] = []
        var spanId: [UInt8] = []
        var eventName = ""
    }

    static func level(number: Int, text: String) -> LogLevel {
        switch number {
        case 1...8: return .debug
        case 9...12: return .info
        case 13...16: return .warn
        case 17...20: return .error
        case 21...24: return .fatal
        default: return LogLevel.normalise(text) ?? .unknown
        }
    }

    mutating func add(_ r: Record, resource: [(String, AnyValue)], scope: String, defaults: ParseDefaults) {
        var a = EntryAssembler()
        let t = r.time != 0 ? r.time : r.observed
        if t != 0 && t <= UInt64(Int64.max) { a.timestamp = Int64(t) }
        a.level = Self.level(number: r.severityNumber, text: r.severityText)
        if a.level == .unknown && !r.severityText.isEmpty { a.addField("severity_text", .string(r.severityText)) }
        switch r.body {
        case .string(let s): a.message = s
        case .empty: a.message = ""
        default: a.message = r.body.json
        }
        for (k, v) in resource { a.attribute(k, v.fieldValue) }
        for (k, v) in r.attributes { a.attribute(k, v.fieldValue) }
        if r.traceId.contains(where: { $0 != 0 }) { a.addField("trace_id", .string(Hex.encode(r.traceId))) }
        if r.spanId.contains(where: { $0 != 0 }) { a.addField("span_id", .string(Hex.encode(r.spanId))) }
        if !scope.isEmpty { a.addField("otel.scope.name", .string(scope)) }
        if !r.eventName.isEmpty { a.addField("event.name", .string(r.eventName)) }
        let e = a.build(defaults: defaults)
        if let reason = e.validationError {
            rejected += 1
            if firstError == nil { firstError = reason }
        } else {
            entries.append(e)
        }
    }

    // MARK: - Protobuf

    /// Decodes `ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }`.
    public static func decodeProtobuf(_ body: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ReceiverError) -> OTLPLogs {
        var out = OTLPLogs()
        var r = ProtobufReader(body)
        while !r.atEnd {
            let (f, w) = try r.tag()
            if f == 1 && w == 2 { try resourceLogs(try r.bytes(), into: &out, defaults: defaults) } else { try r.skip(w) }
        }
        return out
    }

    /// `ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }`.
    static func resourceLogs(_ b: UnsafeRawBufferPointer, into out: inout OTLPLogs, defaults: ParseDefaults) throws(ReceiverError) {
        var r = ProtobufReader(b)
        var resource = [(String, AnyValue)]()
        var scopes = [UnsafeRawBufferPointer]()
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch (f, w) {
            case (1, 2):
                // Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
                var rr = ProtobufReader(try r.bytes())
                while !rr.atEnd {
                    let (f2, w2) = try rr.tag()
                    if f2 == 1 && w2 == 2 { resource.append(try keyValue(try rr.bytes(), depth: 0)) } else { try rr.skip(w2) }
                }
            case (2, 2): scopes.append(try r.bytes())
            default: try r.skip(w)
            }
        }
        // Scope logs may precede the resource on the wire: decode them once it is known.
        for s in scopes { try scopeLogs(s, resource: resource, into: &out, defaults: defaults) }
    }

    /// `ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }`.
    static func scopeLogs(_ b: UnsafeRawBufferPointer, resource: [(String, AnyValue)], into out: inout OTLPLogs, defaults: ParseDefaults) throws(ReceiverError) {
        var r = ProtobufReader(b)
        var scope = ""
        var records = [UnsafeRawBufferPointer]()
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch (f, w) {
            case (1, 2):
                // InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; ... }
                var sr = ProtobufReader(try r.bytes())
                while !sr.atEnd {
                    let (f2, w2) = try sr.tag()
                    if f2 == 1 && w2 == 2 { scope = try sr.string() } else { try sr.skip(w2) }
                }
            case (2, 2): records.append(try r.bytes())
            default: try r.skip(w)
            }
        }
        for rec in records { out.add(try logRecord(rec), resource: resource, scope: scope, defaults: defaults) }
    }

    /// `LogRecord`: 1 time_unix_nano (fixed64), 11 observed_time_unix_nano (fixed64),
    /// 2 severity_number (enum), 3 severity_text, 5 body (AnyValue), 6 attributes (KeyValue),
    /// 7 dropped_attributes_count, 8 flags (fixed32), 9 trace_id (bytes), 10 span_id (bytes),
    /// 12 event_name.
    static func logRecord(_ b: UnsafeRawBufferPointer) throws(ReceiverError) -> Record {
        var r = ProtobufReader(b)
        var rec = Record()
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch (f, w) {
            case (1, 1): rec.time = try r.fixed64()
            case (11, 1): rec.observed = try r.fixed64()
            case (2, 0): rec.severityNumber = Int(truncatingIfNeeded: try r.varint())
            case (3, 2): rec.severityText = try r.string()
            case (5, 2): rec.body = try anyValue(try r.bytes(), depth: 0)
            case (6, 2): rec.attributes.append(try keyValue(try r.bytes(), depth: 0))
            case (9, 2): rec.traceId = Array(try r.bytes())
            case (10, 2): rec.spanId = Array(try r.bytes())
            case (12, 2): rec.eventName = try r.string()
            default: try r.skip(w)
            }
        }
        return rec
    }

    /// `KeyValue { string key = 1; AnyValue value = 2; }`.
    static func keyValue(_ b: UnsafeRawBufferPointer, depth: Int) throws(ReceiverError) -> (String, AnyValue) {
        var r = ProtobufReader(b)
        var key = "", value = AnyValue.empty
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch (f, w) {
            case (1, 2): key = try r.string()
            case (2, 2): value = try anyValue(try r.bytes(), depth: depth + 1)
            default: try r.skip(w)
            }
        }
        return (key, value)
    }

    /// `AnyValue { oneof: 1 string, 2 bool, 3 int64, 4 double, 5 ArrayValue, 6 KeyValueList, 7 bytes }`;
    /// ArrayValue and KeyValueList hold `repeated … values = 1`.
    static func anyValue(_ b: UnsafeRawBufferPointer, depth: Int) throws(ReceiverError) -> AnyValue {
        guard depth < 32 else { throw ReceiverError("protobuf: AnyValue nested deeper than 32") }
        var r = ProtobufReader(b)
        var v = AnyValue.empty
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch (f, w) {
            case (1, 2): v = .string(try r.string())
            case (2, 0): v = .bool(try r.varint() != 0)
            case (3, 0): v = .int(Int64(bitPattern: try r.varint()))
            case (4, 1): v = .double(Double(bitPattern: try r.fixed64()))
            case (7, 2): v = .bytes(Array(try r.bytes()))
            case (5, 2):
                var ar = ProtobufReader(try r.bytes())
                var items = [AnyValue]()
                while !ar.atEnd {
                    let (f2, w2) = try ar.tag()
                    if f2 == 1 && w2 == 2 { items.append(try anyValue(try ar.bytes(), depth: depth + 1)) } else { try ar.skip(w2) }
                }
                v = .array(items)
            case (6, 2):
                var kr = ProtobufReader(try r.bytes())
                var kv = [(String, AnyValue)]()
                while !kr.atEnd {
                    let (f2, w2) = try kr.tag()
                    if f2 == 1 && w2 == 2 { kv.append(try keyValue(try kr.bytes(), depth: depth + 1)) } else { try kr.skip(w2) }
                }
                v = .kvlist(kv)
            default: try r.skip(w)
            }
        }
        return v
    }

    /// The protobuf `ExportLogsServiceResponse`: empty on full success, else
    /// `partial_success = 1 { int64 rejected_log_records = 1; string error_message = 2; }`.
    public var protobufResponse: [UInt8] {
        guard rejected > 0 else { return [] }
        var inner = [UInt8]()
        inner.append(0x08)
        appendVarint(UInt64(rejected), to: &inner)
        let msg = Array((firstError ?? "").utf8)
        inner.append(0x12)
        appendVarint(UInt64(msg.count), to: &inner)
        inner.append(contentsOf: msg)
        var out: [UInt8] = [0x0A]
        appendVarint(UInt64(inner.count), to: &out)
        return out + inner
    }

    /// The JSON `ExportLogsServiceResponse` (`{}` on full success).
    public var jsonResponse: [UInt8] {
        guard rejected > 0 else { return Array("{}".utf8) }
        var out = Array("{\"partialSuccess\":{\"rejectedLogRecords\":\"\(rejected)\",\"errorMessage\":".utf8)
        LogEntryJSON.appendString(firstError ?? "", to: &out)
        out.append(contentsOf: "}}".utf8)
        return out
    }

    func appendVarint(_ v: UInt64, to out: inout [UInt8]) {
        var v = v
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    // MARK: - JSON

    /// Decodes the OTLP/JSON mapping: lowerCamelCase keys, 64-bit integers as strings or
    /// numbers, ids as hex strings, `severityNumber` as a number (or its enum name).
    public static func decodeJSON(_ body: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ReceiverError) -> OTLPLogs {
        let doc: JSONValue
        do throws(ParseError) { doc = try JSONValue.parse(body) } catch { throw ReceiverError("the OTLP/JSON body is not JSON: \(error)") }
        guard doc.members != nil else { throw ReceiverError("the OTLP/JSON body must be an object with \"resourceLogs\"") }
        var out = OTLPLogs()
        for rl in doc["resourceLogs"]?.array ?? [] {
            let resource = (rl["resource"]?["attributes"]?.array ?? []).map(jsonKeyValue)
            for sl in rl["scopeLogs"]?.array ?? [] {
                let scope = sl["scope"]?["name"]?.string ?? ""
                for lr in sl["logRecords"]?.array ?? [] {
                    var rec = Record()
                    rec.time = lr["timeUnixNano"]?.int64.map { UInt64(bitPattern: $0) } ?? 0
                    rec.observed = lr["observedTimeUnixNano"]?.int64.map { UInt64(bitPattern: $0) } ?? 0
                    if let n = lr["severityNumber"]?.int64 {
                        rec.severityNumber = Int(clamping: n)
                    } else if let name = lr["severityNumber"]?.string {
                        rec.severityText = name.replacingPrefix("SEVERITY_NUMBER_")
                    }
                    if let t = lr["severityText"]?.string { rec.severityText = t }
                    if let b = lr["body"] { rec.body = jsonAnyValue(b, depth: 0) }
                    rec.attributes = (lr["attributes"]?.array ?? []).map(jsonKeyValue)
                    rec.traceId = Hex.decode(lr["traceId"]?.string ?? "") ?? []
                    rec.spanId = Hex.decode(lr["spanId"]?.string ?? "") ?? []
                    rec.eventName = lr["eventName"]?.string ?? ""
                    out.add(rec, resource: resource, scope: scope, defaults: defaults)
                }
            }
        }
        return out
    }

    static func jsonKeyValue(_ v: JSONValue) -> (String, AnyValue) {
        (v["key"]?.string ?? "", v["value"].map { jsonAnyValue($0, depth: 0) } ?? .empty)
    }

    static func jsonAnyValue(_ v: JSONValue, depth: Int) -> AnyValue {
        guard depth < 32 else { return .empty }
        if let s = v["stringValue"]?.string { return .string(s) }
        if case .bool(let b)? = v["boolValue"] { return .bool(b) }
        if let i = v["intValue"]?.int64 { return .int(i) }
        if let d = v["doubleValue"] {
            switch d {
            case .number(let t), .string(let t): if let x = Double(t) { return .double(x) }
            default: break
            }
        }
        if let b = v["bytesValue"]?.string { return .string(b) }
        if let a = v["arrayValue"] { return .array((a["values"]?.array ?? []).map { jsonAnyValue($0, depth: depth + 1) }) }
        if let kv = v["kvlistValue"] {
            return .kvlist((kv["values"]?.array ?? []).map { ($0["key"]?.string ?? "", $0["value"].map { jsonAnyValue($0, depth: depth + 1) } ?? .empty) })
        }
        return .empty
    }
}

extension String {
    func replacingPrefix(_ p: String) -> String { hasPrefix(p) ? String(dropFirst(p.count)) : self }
}
