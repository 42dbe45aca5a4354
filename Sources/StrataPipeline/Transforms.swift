import StrataFormat
import StrataParse

/// The transform processors: rename, remove, add (constants and `{field}` templates), convert
/// (types), map (value tables), mask (redaction), timestamp (layouts and zones) and level
/// (normalisation). Each is an `EntryStage` that never drops entries.
///
/// Invariant: a transform that cannot apply to an entry (missing field, unconvertible value)
/// leaves that entry as it was.
enum Transforms {
    /// `rename: {fields: {from: to}}` — moves values; an existing target is overwritten.
    static func rename(_ pairs: [(String, String)]) -> EntryStage {
        EntryStage("rename") { e in
            for (from, to) in pairs where from != to {
                if let v = e.value(of: from), e.set(to, v) { e.remove(from) }
            }
            return true
        }
    }

    /// `remove: {fields: [a, b]}`.
    static func remove(_ keys: [String]) -> EntryStage {
        EntryStage("remove") { e in
            for k in keys { e.remove(k) }
            return true
        }
    }

    /// `add: {fields: {key: "text {other} more"}, overwrite: false}` — `{name}` is replaced by
    /// that part's text (empty when absent); constants are typed by inference.
    static func add(_ pairs: [(String, String)], overwrite: Bool) -> EntryStage {
        let templates = pairs.map { ($0.0, Template($0.1)) }
        return EntryStage("add") { e in
            for (key, t) in templates where overwrite || e.value(of: key) == nil {
                if let constant = t.constant {
                    e.set(key, Array(constant.utf8).withUnsafeBytes { FieldInference.value($0) })
                } else {
                    e.set(key, .string(t.render(e)))
                }
            }
            return true
        }
    }

    /// `convert: {fields: {status: int, latency: float, ok: bool, code: string}}`.
    static func convert(_ pairs: [(String, String)], path: String) throws(PipelineConfigError) -> EntryStage {
        var typed: [(String, String)] = []
        for (k, t) in pairs {
            guard ["int", "integer", "float", "double", "bool", "boolean", "string"].contains(t) else {
                throw PipelineConfigError.invalid(path: "\(path).fields.\(k)", expected: "int, float, bool or string; got '\(t)'")
            }
            typed.append((k, t))
        }
        let conversions = typed
        return EntryStage("convert") { e in
            for (k, t) in conversions {
                guard let v = e.field(k) else { continue }
                if let c = convert(v, to: t) { e.set(k, c) }
            }
            return true
        }
    }

    static func convert(_ v: FieldValue, to type: String) -> FieldValue? {
        let text = v.text
        switch type {
        case "int", "integer":
            if let i = Int64(text) { return .int(i) }
            if let d = Double(text), d.isFinite, d.magnitude < 9e18 { return .int(Int64(d)) }
            if case .bool(let b) = v { return .int(b ? 1 : 0) }
            return nil
        case "float", "double":
            if let d = Double(text), d.isFinite { return .float(d) }
            return nil
        case "bool", "boolean":
            switch text.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: return nil
            }
        default: return .string(text)
        }
    }

    /// `map: {field: status, target: status_class, values: {"200": ok}, default: other}`.
    static func map(field: String, target: String, table: [String: String], fallback: String?) -> EntryStage {
        EntryStage("map") { e in
            guard let v = e.text(of: field) else { return true }
            if let m = table[v] ?? fallback {
                e.set(target, Array(m.utf8).withUnsafeBytes { FieldInference.value($0) })
            }
            return true
        }
    }

    /// `timestamp: {field: time, formats: ["%d/%b/%Y:%H:%M:%S %z"], timezone: Europe/Paris, remove: true}`
    /// — the first layout that parses sets the entry's time (formats `auto` and `rfc3339` also work).
    static func timestamp(field: String, formats: [String], zone: TimeZoneRule, removeField: Bool, path: String) throws(PipelineConfigError) -> EntryStage {
        var layouts: [TimestampFormat?] = []
        for f in formats {
            if f == "auto" || f == "rfc3339" { layouts.append(nil); continue }
            do { layouts.append(try TimestampFormat(f)) } catch { throw PipelineConfigError.invalid(path: path + ".formats", expected: "a valid layout: \(error)") }
        }
        if layouts.isEmpty { layouts = [nil] }
        let tried = layouts
        return EntryStage("timestamp") { e in
            guard let text = e.text(of: field) else { return true }
            let year = Timestamp.civilFromDays(Int(e.timestampNanos / 86_400_000_000_000)).year
            let parsed: Int64? = Array(text.utf8).withUnsafeBytes { p in
                for l in tried {
                    if let t = l.map({ $0.parse(p, zone: zone, defaultYear: year) }) ?? FlexibleTimestamp.parse(p, zone: zone, defaultYear: year) { return t }
                }
                return nil
            }
            if let parsed, parsed >= Limits.minTimestampNanos, parsed <= Limits.maxTimestampNanos {
                e.timestampNanos = parsed
                if removeField && field != "timestamp" { e.remove(field) }
            } else {
                e.set("timestamp_error", .string("unparsed time '\(text)'"))
            }
            return true
        }
    }

    /// `level: {field: severity, mapping: {"sev3": error}, remove: false}` — sets the entry's
    /// level from a field, through the mapping first, then the usual spellings.
    static func level(field: String, mapping: [String: String], removeField: Bool) -> EntryStage {
        EntryStage("level") { e in
            guard let raw = e.text(of: field) else { return true }
            let text = mapping[raw] ?? mapping[raw.lowercased()] ?? raw
            if let l = LogLevel.normalise(text) {
                e.level = l
                if removeField && field != "level" { e.remove(field) }
            }
            return true
        }
    }
}

/// A `{name}` template: literal text with references to entry parts.
struct Template: Sendable {
    enum Piece: Sendable { case text(String), ref(String) }
    let pieces: [Piece]
    /// Set when the template has no references.
    let constant: String?

    init(_ s: String) {
        var pieces: [Piece] = []
        var rest = Substring(s)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { pieces.append(.text(String(rest[..<open]))) }
            pieces.append(.ref(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
        constant = pieces.contains(where: { if case .ref = $0 { return true }; return false }) ? nil : s
    }

    func render(_ e: LogEntry) -> String {
        var out = ""
        for p in pieces {
            switch p {
            case .text(let t): out += t
            case .ref(let k): out += e.text(of: k) ?? ""
            }
        }
        return out
    }
}
