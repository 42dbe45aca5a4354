import StrataFormat

/// The columns of one block that a scan asked for, decoded to plain arrays.
///
/// Invariant: every non-nil array has exactly `rowCount` elements; columns that were not
/// requested are nil. Row *i* of every array belongs to the same entry.
public struct DecodedBlock: Sendable {
    public let rowCount: Int
    public var timestamps: [Int64]?
    public var sequences: [UInt64]?
    public var levels: [UInt8]?
    public var services: KeywordColumn?
    public var hosts: KeywordColumn?
    public var sources: KeywordColumn?
    /// Each row's tag bytes (see `tagList`), kept as a view: a row's bytes are copied only when read.
    public var tags: StringColumnView?
    public var messages: [[UInt8]]?
    /// The unrendered messages, when the selection asked for them (`renderMessages` false).
    public var messageBlock: MessageBlock?
    /// The segment's column names by column number (for message field references).
    public var columnNames: [String] = []
    /// The block's Bloom filter when its segment keys variable-region tokens apart (format v4):
    /// a token it rules out under `BloomKey.variableToken` is in no variable of the block.
    public var variableTokens: BloomFilter?
    /// Field columns by key; a key absent from the block maps to nil in every row.
    public var fields: [String: [FieldValue?]] = [:]
    /// Field values of the selected rows only (`ColumnSelection.fieldRows`), by key then row.
    public var rowFields: [String: [Int: FieldValue]] = [:]
    /// Field columns decoded as views (`ColumnSelection.fieldsAsViews`): values built on demand.
    public var fieldViews: [String: FieldColumnView] = [:]

    public init(rowCount: Int) { self.rowCount = rowCount }

    /// Builds the entry at `row` from the decoded columns (missing columns give empty values).
    public func entry(at row: Int) -> LogEntry {
        var fieldList = [Field]()
        for key in fields.keys.sorted() {
            if let v = fields[key]![row] { fieldList.append(Field(key, v)) }
        }
        if !fieldViews.isEmpty {
            for key in fieldViews.keys.sorted() {
                if let v = fieldViews[key]!.value(row) { fieldList.append(Field(key, v)) }
            }
            if !fields.isEmpty { fieldList.sort { $0.key < $1.key } }
        }
        if !rowFields.isEmpty {
            for key in rowFields.keys.sorted() {
                if let v = rowFields[key]![row] { fieldList.append(Field(key, v)) }
            }
            if !fields.isEmpty || !fieldViews.isEmpty { fieldList.sort { $0.key < $1.key } }
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

    /// The entry at `row`, rendering its message from `messageBlock` if messages were not
    /// rendered up front (so a page of hits costs one message each, not the whole block).
    public func materialize(_ row: Int) throws(FormatError) -> LogEntry {
        var e = entry(at: row)
        if messages == nil, let mb = messageBlock {
            // Field values decoded for this row (a page's rows) serve the message's references.
            let names = columnNames
            let m = try mb.message(row) { c in c < names.count ? rowFields[names[c]] : nil }
            e.message = String(decoding: m, as: UTF8.self)
        }
        return e
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

    /// With `_msg.tpl` selected: render every message (true) or keep them as a `MessageBlock`.
    public var renderMessages: Bool
    /// If set, field values are built only for these rows, into `DecodedBlock.rowFields`.
    public var fieldRows: Set<Int>?
    /// Decode the selected fields into `fieldViews` instead of `fields` (for filtering: string
    /// values are compared in place, never built).
    public var fieldsAsViews = false

    public init(system: Set<SystemColumn>, fields: Set<String>?, renderMessages: Bool = true) {
        self.system = system
        self.fields = fields
        self.renderMessages = renderMessages
    }

    /// Every column: what materialising whole entries needs.
    public static let all = ColumnSelection(system: Set(SystemColumn.allCases), fields: nil)
}

/// The messages of one block kept as parsed streams: a row's message is rendered only when
/// asked for, and queries can test templates first (`streams.templates`, `streams.codes`).
public final class MessageBlock: @unchecked Sendable {
    public let streams: MessageStreams
    /// Decodes a referenced field column of the block on first use (nil: the block lacks it).
    /// Referenced columns are kept as views: a value is built only for a row that is rendered.
    private let load: (Int) throws(FormatError) -> FieldColumnView?
    private let loadRaw: (Int) throws(FormatError) -> [UInt8]?
    private var referenced: [Int: FieldColumnView?] = [:]

    init(streams: MessageStreams, load: @escaping (Int) throws(FormatError) -> FieldColumnView?,
         loadRaw: @escaping (Int) throws(FormatError) -> [UInt8]?) {
        self.streams = streams
        self.load = load
        self.loadRaw = loadRaw
    }

    /// The decompressed chunk of a referenced field column (nil if the block lacks it): every
    /// string value appears in it verbatim, except hex-mode values (stored as binary).
    public func referencedChunk(_ column: Int) throws(FormatError) -> [UInt8]? { try loadRaw(column) }

    private func values(_ column: Int) throws(FormatError) -> FieldColumnView? {
        if let v = referenced[column] { return v }
        let v = try load(column)
        referenced[column] = .some(v)
        return v
    }

    final class Failure { var error: FormatError? }

    /// Field lookup for rendering; a load failure is remembered and rethrown by the caller.
    private func lookup(_ failure: Failure) -> (Int, Int) -> FieldValue? {
        { [self] column, row in
            do throws(FormatError) { return try values(column)?.value(row) } catch {
                failure.error = error
                return nil
            }
        }
    }

    /// The message of `row`. `decoded(column)`, when it returns a column's values by row
    /// (decoded for at least this row), serves references to that column instead of a
    /// whole-column view.
    public func message(_ row: Int, decoded: (Int) -> [Int: FieldValue]? = { _ in nil }) throws(FormatError) -> [UInt8] {
        let failure = Failure()
        let m: [UInt8]
        let viaViews = lookup(failure)
        let field: (Int, Int) -> FieldValue? = { column, r in
            if let values = decoded(column) { return values[r] }
            return viaViews(column, r)
        }
        do throws(FormatError) { m = try streams.render(row: row, field: field) } catch {
            throw failure.error ?? error
        }
        if let e = failure.error { throw e }
        return m
    }

    /// The values of a field column the templates reference (nil if the block lacks it).
    public func referencedValues(_ column: Int) throws(FormatError) -> FieldColumnView? { try values(column) }

    /// Whether `body` is true for some variable region of `row` (see `MessageStreams`).
    public func anyVariableRegion(_ row: Int, _ body: ([UInt8]) -> Bool) throws(FormatError) -> Bool {
        let failure = Failure()
        let r: Bool
        do throws(FormatError) { r = try streams.anyVariableRegion(row: row, field: lookup(failure), body) } catch {
            throw failure.error ?? error
        }
        if let e = failure.error { throw e }
        return r
    }
}
