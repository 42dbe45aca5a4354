/// A typed value of a dynamic field.
public enum FieldValue: Sendable, Equatable, Hashable {
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    /// A JSON array (or other value kept verbatim) as compact JSON text.
    case json(String)

    /// One-byte type tag used in the WAL entry encoding and in field columns.
    public var typeTag: UInt8 {
        switch self {
        case .int: 1
        case .float: 2
        case .bool: 3
        case .string: 4
        case .json: 5
        }
    }

    /// The value as query text: integers and floats in canonical decimal, bools as `true`/`false`.
    public var text: String {
        switch self {
        case .int(let v): String(v)
        case .float(let v): formatDouble(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let s), .json(let s): s
        }
    }
}

/// Formats a double the way JSON readers expect: integral values keep a `.0`.
public func formatDouble(_ v: Double) -> String {
    if v.isNaN || v.isInfinite { return "null" }
    return v.description
}

/// One key/value pair of an entry's dynamic fields.
public struct Field: Sendable, Equatable, Hashable {
    public var key: String
    public var value: FieldValue
    public init(_ key: String, _ value: FieldValue) {
        self.key = key
        self.value = value
    }
}

/// One log entry: the unit Strata ingests, stores and returns.
///
/// Invariants: `message` ≤ `Limits.maxMessageBytes`; service/host/source/tags/keys ≤
/// `Limits.maxShortStringBytes`; field keys are unique within an entry. The pair
/// (`timestampNanos`, `sequence`) is the entry's stable id (`LogID`).
public struct LogEntry: Sendable, Equatable {
    /// Event time, nanoseconds since the Unix epoch (UTC).
    public var timestampNanos: Int64
    /// Ingest sequence number, unique per data directory, assigned when the entry is logged to the WAL.
    public var sequence: UInt64
    public var level: LogLevel
    public var message: String
    public var service: String
    public var host: String
    public var source: String
    public var fields: [Field]
    public var tags: [String]

    public init(timestampNanos: Int64, sequence: UInt64 = 0, level: LogLevel = .unknown, message: String,
                service: String = "", host: String = "", source: String = "",
                fields: [Field] = [], tags: [String] = []) {
        self.timestampNanos = timestampNanos
        self.sequence = sequence
        self.level = level
        self.message = message
        self.service = service
        self.host = host
        self.source = source
        self.fields = fields
        self.tags = tags
    }

    /// The entry's stable id.
    public var id: LogID { LogID(timestampNanos: timestampNanos, sequence: sequence) }

    /// Looks up a field by key.
    public func field(_ key: String) -> FieldValue? {
        for f in fields where f.key == key { return f.value }
        return nil
    }

    /// Why this entry cannot be stored (a `Limits` bound it exceeds), or nil when it can.
    /// Writers check this before logging an entry: every reader refuses what exceeds a limit.
    public var validationError: String? {
        if timestampNanos < Limits.minTimestampNanos || timestampNanos > Limits.maxTimestampNanos {
            return "timestamp outside the supported range (years 1823–2225)"
        }
        if message.utf8.count > Limits.maxMessageBytes { return "message longer than \(Limits.maxMessageBytes) bytes" }
        for (name, s) in [("service", service), ("host", host), ("source", source)] where s.utf8.count > Limits.maxShortStringBytes {
            return "\(name) longer than \(Limits.maxShortStringBytes) bytes"
        }
        if fields.count > Limits.maxFieldsPerEntry { return "more than \(Limits.maxFieldsPerEntry) fields" }
        for f in fields {
            if f.key.utf8.count > Limits.maxShortStringBytes { return "field key longer than \(Limits.maxShortStringBytes) bytes" }
            switch f.value {
            case .string(let s), .json(let s):
                if s.utf8.count > Limits.maxFieldValueBytes { return "field \(f.key) longer than \(Limits.maxFieldValueBytes) bytes" }
            default: break
            }
        }
        if tags.count > Limits.maxTagsPerEntry { return "more than \(Limits.maxTagsPerEntry) tags" }
        for t in tags where t.utf8.count > Limits.maxShortStringBytes { return "tag longer than \(Limits.maxShortStringBytes) bytes" }
        if approximateBytes > Limits.maxWALRecordBytes / 2 { return "entry larger than \(Limits.maxWALRecordBytes / 2) bytes in total" }
        return nil
    }

    /// Approximate in-memory size, used to bound the memtable.
    public var approximateBytes: Int {
        var n = 64 + message.utf8.count + service.utf8.count + host.utf8.count + source.utf8.count
        for f in fields {
            n += 24 + f.key.utf8.count
            switch f.value {
            case .string(let s), .json(let s): n += s.utf8.count
            default: n += 8
            }
        }
        for t in tags { n += 16 + t.utf8.count }
        return n
    }
}

/// A time-ordered, stable entry id: 16 hex digits of the timestamp then 16 of the sequence.
///
/// Ids sort like (time, sequence) as strings and survive compaction, which never changes
/// either part.
public struct LogID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var timestampNanos: Int64
    public var sequence: UInt64

    public init(timestampNanos: Int64, sequence: UInt64) {
        self.timestampNanos = timestampNanos
        self.sequence = sequence
    }

    /// Parses the 32-hex-digit form; returns nil on anything else.
    public init?(_ text: String) {
        let u = Array(text.utf8)
        guard u.count == 32 else { return nil }
        func hex(_ s: ArraySlice<UInt8>) -> UInt64? {
            var v: UInt64 = 0
            for c in s {
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x61...0x66: d = c - 0x61 + 10
                case 0x41...0x46: d = c - 0x41 + 10
                default: return nil
                }
                v = v << 4 | UInt64(d)
            }
            return v
        }
        guard let t = hex(u[0..<16]), let s = hex(u[16..<32]) else { return nil }
        timestampNanos = Int64(bitPattern: t)
        sequence = s
    }

    public var description: String { hex16(UInt64(bitPattern: timestampNanos)) + hex16(sequence) }

    public static func < (a: LogID, b: LogID) -> Bool {
        (a.timestampNanos, a.sequence) < (b.timestampNanos, b.sequence)
    }
}
