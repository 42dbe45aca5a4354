import StrataFormat

/// The columns of one block that a scan asked for, decoded to plain arrays.
///
/// Invariant: every non-nil array has exactly `rowCount` elements; columns that were not
/// requested are nil. Row *i* of every array belongs to the same entry.
public struct DecodedBlock {
    public let rowCount: Int
    public var timestamps: [Int64]?
    public var sequences: [UInt64]?
    public var levels: [UInt8]?
    public var services: [[UInt8]]?
    public var hosts: [[UInt8]]?
    public var sources: [[UInt8]]?
    public var tags: [[UInt8]]?
    public var messages: [[UInt8]]?
    /// Field columns by key; a key absent from the block maps to nil in every row.
    public var fields: [String: [FieldValue?]] = [:]

    public init(rowCount: Int) { self.rowCount = rowCount }

    /// Builds the entry at `row` from the decoded columns (missing columns give empty values).
    public func entry(at row: Int) -> LogEntry {
        var fieldList = [Field]()
        for key in fields.keys.sorted() {
            if let v = fields[key]![row] { fieldList.append(Field(key, v)) }
        }
        return LogEntry(timestampNanos: timestamps?[row] ?? 0,
                        sequence: sequences?[row] ?? 0,
                        level: levels.flatMap { LogLevel(rawValue: $0[row]) } ?? .unknown,
                        message: messages.map { String(decoding: $0[row], as: UTF8.self) } ?? "",
                        service: services.map { String(decoding: $0[row], as: UTF8.self) } ?? "",
                        host: hosts.map { String(decoding: $0[row], as: UTF8.self) } ?? "",
                        source: sources.map { String(decoding: $0[row], as: UTF8.self) } ?? "",
                        fields: fieldList,
                        tags: tags.map { Self.tagList($0[row]) } ?? [])
    }

    /// Splits a row's tag bytes (`varint length` + bytes, repeated) into strings.
    public static func tagList(_ bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else { return [] }
        return bytes.withUnsafeBytes { p in
            var r = ByteReader(p, section: "tags")
            var out = [String]()
            while !r.isAtEnd, let s = try? r.readString(limit: Limits.maxShortStringBytes) { out.append(s) }
            return out
        }
    }
}

/// Which columns a scan needs decoded.
public struct ColumnSelection: Sendable {
    public var system: Set<SystemColumn>
    /// Field keys to decode; nil means every field column.
    public var fields: Set<String>?

    public init(system: Set<SystemColumn>, fields: Set<String>?) {
        self.system = system
        self.fields = fields
    }

    /// Every column: what materialising whole entries needs.
    public static let all = ColumnSelection(system: Set(SystemColumn.allCases), fields: nil)
}
