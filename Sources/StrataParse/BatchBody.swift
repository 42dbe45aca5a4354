import StrataFormat

/// Turns a batch body (`POST /api/logs`) into entries: a JSON array of objects, or NDJSON (one object
/// a line). Each record parses on its own, so one bad record is rejected with its reason and
/// the others are kept.
///
/// Invariants: `entries.count + rejected == records`; `errors` lists the first
/// `maxListedErrors` rejections in body order, each with the record's 0-based `index` (array
/// element, or NDJSON line counting blank lines).
public struct BatchBody: Sendable {
    public struct RecordError: Sendable, Equatable {
        public var index: Int
        public var reason: String
    }

    public static let maxListedErrors = 100

    public var entries: [LogEntry] = []
    public var rejected = 0
    public var errors: [RecordError] = []

    mutating func reject(_ index: Int, _ reason: String) {
        rejected += 1
        if errors.count < Self.maxListedErrors { errors.append(RecordError(index: index, reason: reason)) }
    }

    /// Why a whole body is refused (rather than some of its records).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Record `index` (0-based; an NDJSON line or an array element) is larger than the limit.
        case recordTooLarge(index: Int, isLine: Bool, bytes: Int, limit: Int)
        /// The JSON array is not well formed, so record boundaries are unknown.
        case malformedArray(String)

        public var description: String {
            switch self {
            case .recordTooLarge(let i, let isLine, let n, let limit):
                isLine ? "line \(i + 1) is \(n) bytes; the limit is \(limit)" : "record \(i) is \(n) bytes; the limit is \(limit)"
            case .malformedArray(let s): s
            }
        }
    }

    /// Parses `body`. Throws if a record exceeds `maxRecordBytes` or a JSON array is not well
    /// formed; then no entry of the body should be stored.
    public static func parse(_ body: UnsafeRawBufferPointer, defaults: ParseDefaults, maxRecordBytes: Int) throws(Failure) -> BatchBody {
        var out = BatchBody()
        var i = 0
        while i < body.count, isSpace(body[i]) { i += 1 }
        if i < body.count && body[i] == UInt8(ascii: "[") {
            let ranges = try arrayElements(body, from: i)
            for (k, r) in ranges.enumerated() where r.count > maxRecordBytes {
                throw .recordTooLarge(index: k, isLine: false, bytes: r.count, limit: maxRecordBytes)
            }
            for (k, r) in ranges.enumerated() {
                out.add(UnsafeRawBufferPointer(rebasing: body[r]), index: k, defaults: defaults)
            }
            return out
        }
        var index = 0
        var tooLarge: Failure?
        LineParser.forEachLine(in: body) { line in
            if tooLarge == nil && line.count > maxRecordBytes {
                tooLarge = .recordTooLarge(index: index, isLine: true, bytes: line.count, limit: maxRecordBytes)
            }
            index += 1
        }
        if let tooLarge { throw tooLarge }
        index = 0
        LineParser.forEachLine(in: body) { line in
            out.add(line, index: index, defaults: defaults)
            index += 1
        }
        return out
    }

    mutating func add(_ record: UnsafeRawBufferPointer, index: Int, defaults: ParseDefaults) {
        var s = 0, e = record.count
        while s < e, Self.isSpace(record[s]) { s += 1 }
        while e > s, Self.isSpace(record[e - 1]) { e -= 1 }
        guard s < e else { return }   // a blank line is not a record
        guard record[s] == UInt8(ascii: "{") else {
            reject(index, "expected a JSON object")
            return
        }
        do throws(ParseError) {
            let entry = try JSONLineParser().parse(UnsafeRawBufferPointer(rebasing: record[s..<e]), defaults: defaults)
            if let reason = entry.validationError {
                reject(index, reason)
            } else {
                entries.append(entry)
            }
        } catch {
            reject(index, error.description)
        }
    }

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    /// The byte ranges of the top-level elements of the array starting at `start`.
    static func arrayElements(_ b: UnsafeRawBufferPointer, from start: Int) throws(Failure) -> [Range<Int>] {
        var ranges = [Range<Int>]()
        var i = start + 1
        var depth = 0
        var elementStart = -1
        var inString = false
        while i < b.count {
            let c = b[i]
            if inString {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                inString = true
                if elementStart < 0 { elementStart = i }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if elementStart < 0 { elementStart = i }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 {
                    guard c == UInt8(ascii: "]") else { throw .malformedArray("unbalanced '}' at byte \(i) of the JSON array") }
                    if elementStart >= 0 { ranges.append(elementStart..<i) }
                    var j = i + 1
                    while j < b.count, isSpace(b[j]) { j += 1 }
                    guard j == b.count else { throw .malformedArray("unexpected bytes after the JSON array at byte \(j)") }
                    return ranges
                }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 0 {
                    guard elementStart >= 0 else { throw .malformedArray("empty element in the JSON array at byte \(i)") }
                    ranges.append(elementStart..<i)
                    elementStart = -1
                }
            default:
                if !isSpace(c) && elementStart < 0 { elementStart = i }
            }
            i += 1
        }
        throw .malformedArray("the JSON array is not closed (\(b.count) bytes read)")
    }
}
