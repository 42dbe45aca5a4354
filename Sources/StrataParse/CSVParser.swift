#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a CSV input is read: its separator bytes, its header handling and the column mapping.
///
/// `delimiter` and `quote` must be different single ASCII bytes, and neither may be CR or LF.
public struct CSVOptions: Sendable {
    /// Where a CSV input's column names come from.
    public enum HeaderMode: Sendable, Equatable {
        /// The first record is the header when it looks like one: every cell is a non-empty
        /// identifier-like token (an ASCII letter, `_` or `@`, then letters, digits, `_ - . @ /`) and no
        /// cell reads as a number, a boolean or `null`. Otherwise it is data and columns are named
        /// as with `.absent`.
        case auto
        /// The first record is always the header and never data.
        case present
        /// There is no header; columns are named `column1`, `column2`, … (1-based).
        case absent
        /// There is no header; columns take these names, in order. The first record is data.
        case columns([String])
    }

    /// The field separator, `,` by default (`\t` for TSV).
    public var delimiter: UInt8
    /// The byte that opens and closes a quoted field, `"` by default; doubled inside one it stands for itself.
    public var quote: UInt8
    /// How the column names are found.
    public var header: HeaderMode
    /// When true, spaces and tabs (other than the delimiter) around a field — and around a quoted
    /// field's quotes — are dropped. Bytes inside quotes are always kept.
    public var trimSpaces: Bool
    /// Output key for a column, by its source name (header cell, given name or `columnN`); unlisted columns keep their name.
    public var rename: [String: String]
    /// Columns left out of parsed records, by source name (before `rename`).
    public var skip: Set<String>

    /// Options with RFC 4180 defaults: comma, double quote, header auto-detected, no trimming, no mapping.
    public init(
        delimiter: UInt8 = UInt8(ascii: ","),
        quote: UInt8 = UInt8(ascii: "\""),
        header: HeaderMode = .auto,
        trimSpaces: Bool = false,
        rename: [String: String] = [:],
        skip: Set<String> = []
    ) {
        self.delimiter = delimiter
        self.quote = quote
        self.header = header
        self.trimSpaces = trimSpaces
        self.rename = rename
        self.skip = skip
    }
}

/// Reads RFC 4180 CSV on bytes: splits a buffer into records, a record into fields, and maps
/// fields onto column names.
///
/// Field rules: a field that starts with the quote byte is quoted — it runs to the next lone
/// quote, may hold delimiters, CR and LF, and a doubled quote inside it stands for one quote; only
/// the delimiter (or the end of the record) may follow its closing quote. Any other field is
/// unquoted and taken literally up to the next delimiter, stray quote bytes included. Error
/// offsets are byte offsets within the record handed in.
///
/// The parser is stateful only for the header: `parse(record:)` resolves the column names on the
/// first non-blank record and keeps them; `fields(of:)` and `splitRecords` are stateless.
public struct CSVParser: Sendable {
    /// The options this parser was made with.
    public let options: CSVOptions
    /// The column names (before `rename`) once the first non-blank record was parsed, else nil.
    /// Empty for `.absent`, and for `.auto` when the first record was data.
    public private(set) var columns: [String]?
    /// Output key per column position, nil when skipped; grows as wider records arrive.
    private var keys: [String?] = []

    /// A parser that has not seen a record yet.
    public init(options: CSVOptions = CSVOptions()) {
        self.options = options
    }

    // MARK: Records

    /// Calls `body` with each record of `buffer`, in order, without its LF or CRLF terminator.
    ///
    /// A LF ends a record except inside a quoted field (quoted fields may hold newlines). The last
    /// record needs no terminator. Blank records (empty, or a lone CR) are skipped. A quoted field
    /// still open at the end of `buffer` makes the rest of the buffer one record, which
    /// `fields(of:)` then rejects — so `buffer` should end on a record boundary.
    public static func splitRecords(
        in buffer: UnsafeRawBufferPointer,
        options: CSVOptions = CSVOptions(),
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        let n = buffer.count
        var start = 0
        while start < n {
            let end = recordEnd(in: buffer, from: start, options: options)
            var stop = end
            if stop > start && buffer[stop - 1] == cr { stop -= 1 }
            if stop > start {
                try body(UnsafeRawBufferPointer(rebasing: buffer[start..<stop]))
            }
            start = end + 1
        }
    }

    /// The index of the LF that ends the record starting at `start`, or `buffer.count`.
    private static func recordEnd(in buf: UnsafeRawBufferPointer, from start: Int, options: CSVOptions) -> Int {
        let n = buf.count
        let lf = find(Self.lf, in: buf, from: start, to: n)
        if find(options.quote, in: buf, from: start, to: lf) == lf { return lf }
        // A quote before the LF: walk the fields so a newline inside quotes is not taken as the end.
        var i = start
        var atFieldStart = true
        while i < n {
            let c = buf[i]
            if c == Self.lf { return i }
            if c == options.delimiter {
                atFieldStart = true
                i += 1
            } else if atFieldStart && c == options.quote {
                i += 1
                while true {
                    let close = find(options.quote, in: buf, from: i, to: n)
                    if close == n { return n }
                    i = close + 1
                    guard i < n && buf[i] == options.quote else { break }
                    i += 1
                }
                atFieldStart = false
            } else {
                if !(atFieldStart && options.trimSpaces && isBlank(c)) { atFieldStart = false }
                i += 1
            }
        }
        return n
    }

    // MARK: Fields

    /// The fields of one record, decoded as UTF-8 (invalid sequences become U+FFFD).
    ///
    /// A field is decoded straight from the record's bytes; only a quoted field holding a doubled
    /// quote goes through a scratch copy. A trailing LF, CRLF or CR is ignored. An empty record has no fields; otherwise there is
    /// one more field than there are delimiters outside quotes (`a,` is `["a", ""]`).
    /// Throws "unterminated quoted field" at the opening quote, and "expected delimiter after
    /// closing quote" at the first byte after a closing quote that is not a delimiter.
    public func fields(of record: UnsafeRawBufferPointer) throws(ParseError) -> [String] {
        var n = record.count
        if n > 0 && record[n - 1] == Self.lf { n -= 1 }
        if n > 0 && record[n - 1] == Self.cr { n -= 1 }
        guard n > 0 else { return [] }
        let delimiter = options.delimiter, quote = options.quote, trim = options.trimSpaces
        var out: [String] = []
        var unescaped: [UInt8] = []
        var i = 0
        while true {
            var s = i
            if trim { while s < n && record[s] != delimiter && Self.isBlank(record[s]) { s += 1 } }
            if s < n && record[s] == quote {
                let open = s
                var segment = s + 1
                var scan = segment
                var doubled = false
                var close: Int
                while true {
                    close = Self.find(quote, in: record, from: scan, to: n)
                    guard close < n else { throw ParseError("unterminated quoted field", at: open) }
                    guard close + 1 < n && record[close + 1] == quote else { break }
                    if !doubled { unescaped.removeAll(keepingCapacity: true); doubled = true }
                    unescaped.append(contentsOf: UnsafeRawBufferPointer(rebasing: record[segment...close]))
                    scan = close + 2
                    segment = scan
                }
                let tail = UnsafeRawBufferPointer(rebasing: record[segment..<close])
                if doubled {
                    unescaped.append(contentsOf: tail)
                    out.append(String(decoding: unescaped, as: UTF8.self))
                } else {
                    out.append(String(decoding: tail, as: UTF8.self))
                }
                var k = close + 1
                if trim { while k < n && record[k] != delimiter && Self.isBlank(record[k]) { k += 1 } }
                if k == n { return out }
                guard record[k] == delimiter else {
                    throw ParseError("expected delimiter after closing quote", at: k)
                }
                i = k + 1
            } else {
                let end = Self.find(delimiter, in: record, from: s, to: n)
                var t = end
                if trim { while t > s && Self.isBlank(record[t - 1]) { t -= 1 } }
                out.append(String(decoding: UnsafeRawBufferPointer(rebasing: record[s..<t]), as: UTF8.self))
                if end == n { return out }
                i = end + 1
            }
        }
    }

    // MARK: Columns

    /// Maps one record onto `(column, value)` pairs, or returns nil when the record yields no data.
    ///
    /// Nil means the record was the header (consumed per `options.header`) or blank. The first
    /// non-blank record fixes the columns; a UTF-8 byte-order mark before it is ignored (error
    /// offsets still count it). Pairs come in column order: a cell past the known columns is named
    /// `columnN` (its 1-based position), a missing cell is left out, a header cell that is empty
    /// is named `columnN` too. `skip` removes pairs by source name, `rename` then changes keys.
    public mutating func parse(record: UnsafeRawBufferPointer) throws(ParseError) -> [(key: String, value: String)]? {
        var cells: [String]
        if columns == nil, record.count >= 3, record[0] == 0xEF, record[1] == 0xBB, record[2] == 0xBF {
            do {
                cells = try fields(of: UnsafeRawBufferPointer(rebasing: record[3...]))
            } catch {
                throw ParseError(error.reason, at: error.offset + 3)
            }
        } else {
            cells = try fields(of: record)
        }
        if cells.isEmpty { return nil }
        if columns == nil {
            switch options.header {
            case .present:
                adopt(cells)
                return nil
            case .auto:
                if Self.looksLikeHeader(cells) {
                    adopt(cells)
                    return nil
                }
                adopt([])
            case .absent:
                adopt([])
            case .columns(let names):
                adopt(names)
            }
        }
        if cells.count > keys.count {
            for position in keys.count..<cells.count { keys.append(key(forSource: "column\(position + 1)")) }
        }
        var pairs: [(key: String, value: String)] = []
        pairs.reserveCapacity(cells.count)
        for position in cells.indices {
            if let k = keys[position] { pairs.append((key: k, value: cells[position])) }
        }
        return pairs
    }

    /// Fixes the column names; empty names become `columnN`.
    private mutating func adopt(_ names: [String]) {
        let named = names.enumerated().map { $0.element.isEmpty ? "column\($0.offset + 1)" : $0.element }
        columns = named
        keys = named.map { key(forSource: $0) }
    }

    private func key(forSource name: String) -> String? {
        options.skip.contains(name) ? nil : (options.rename[name] ?? name)
    }

    /// Whether `cells` reads as a header row under `.auto` (see `CSVOptions.HeaderMode.auto`).
    static func looksLikeHeader(_ cells: [String]) -> Bool {
        cells.allSatisfy { cell in
            guard let first = cell.utf8.first, isLetter(first) || first == UInt8(ascii: "_") || first == UInt8(ascii: "@") else { return false }
            let tokenLike = cell.utf8.allSatisfy { c in
                isLetter(c) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "@") || c == UInt8(ascii: "/")
            }
            guard tokenLike else { return false }
            switch cell.lowercased() {
            case "true", "false", "null", "nil", "none": return false
            default: return Double(cell) == nil  // "inf", "nan", "infinity" read as numbers
            }
        }
    }

    // MARK: Bytes

    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D

    @inline(__always) private static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    @inline(__always) private static func isLetter(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A)
    }

    /// The index of the first `byte` in `buf[from..<end]`, or `end` when there is none.
    @inline(__always)
    private static func find(_ byte: UInt8, in buf: UnsafeRawBufferPointer, from: Int, to end: Int) -> Int {
        guard from < end, let base = buf.baseAddress else { return end }
        guard let hit = memchr(base + from, Int32(byte), end - from) else { return end }
        return base.distance(to: UnsafeRawPointer(hit))
    }
}
