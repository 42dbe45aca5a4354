import StrataFormat
import StrataParse

/// One line of a Docker json-file log (`/var/lib/docker/containers/<id>/<id>-json.log`).
///
/// Docker writes one JSON object per line:
///
///     {"log":"GET / 200\n","stream":"stdout","time":"2026-11-29T10:00:00.123456789Z"}
///     {"log":"first 16 KiB of a long line…","stream":"stdout","attrs":{"tag":"web"},"time":"…"}
///
/// - `log`: the container's output, JSON-escaped. Docker escapes `"`, `\`, `\n`, `\r`, `<`, `>`,
///   `&`, control bytes (`\u00XX`), U+2028/U+2029, and writes invalid UTF-8 as `\ufffd`. A complete
///   line ends in `\n`; a line longer than 16 KiB is cut into chunks, and every chunk but the last
///   lacks the `\n` (it is *partial*). Docker omits `log` only for an empty chunk.
/// - `stream`: `stdout` or `stderr`.
/// - `time`: RFC 3339 with up to 9 fraction digits (Go's `RFC3339Nano`, which drops trailing
///   zeros and may carry a `±hh:mm` offset).
/// - anything else (`attrs` with `--log-opt labels/env/tag`, future keys) is skipped.
///
/// Keys may come in any order. The JSON structure is walked with StrataParse's `JSONScanner`;
/// the `log` value is unescaped straight into the caller's buffer (`JSONScanner.appendUnescaped`), so decoding
/// allocates nothing once that buffer has grown.
public struct DockerJSONLine: Sendable, Equatable {
    /// Which output the container wrote the line to.
    public var stream: LogStream
    /// The `time` field, in nanoseconds since the Unix epoch (UTC).
    public var timestampNanos: Int64
    /// True when `log` did not end in `\n`: this is a chunk of a longer line and more follow
    /// (see `PartialLineJoiner`).
    public var isPartial: Bool
    /// Where the unescaped `log` bytes (without the trailing `\n`) were appended in the buffer
    /// passed to `decode(from:appendingLogTo:)`.
    public var logRange: Range<Int>

    /// Creates a decoded line; decoders use `decode(from:appendingLogTo:)`.
    public init(stream: LogStream, timestampNanos: Int64, isPartial: Bool, logRange: Range<Int>) {
        self.stream = stream
        self.timestampNanos = timestampNanos
        self.isPartial = isPartial
        self.logRange = logRange
    }

    /// Decodes one json-file line and appends its `log` text to `log`.
    ///
    /// The appended text is well-formed UTF-8: escapes always decode to it, and raw bytes that are
    /// not (which Docker never writes) are repaired to U+FFFD.
    ///
    /// - Parameters:
    ///   - line: one line, with or without its trailing newline (whitespace around the object is
    ///     allowed).
    ///   - log: a buffer the caller reuses across lines; the text is appended at `logRange`.
    /// - Throws: `ContainerLogError` locating the fault in `line`: malformed JSON, not an object,
    ///   `stream`/`time` missing, duplicated or of the wrong type, an unknown stream, a bad
    ///   timestamp, bytes after the object. On error `log` is left exactly as it was.
    /// - Complexity: O(`line.count`).
    public static func decode(from line: UnsafeRawBufferPointer, appendingLogTo log: inout [UInt8]) throws(ContainerLogError) -> DockerJSONLine {
        let logStart = log.count
        do {
            return try decodeFields(line, logStart: logStart, log: &log)
        } catch {
            log.removeSubrange(logStart...)
            throw error
        }
    }

    private static func decodeFields(_ line: UnsafeRawBufferPointer, logStart: Int, log: inout [UInt8]) throws(ContainerLogError) -> DockerJSONLine {
        var s = JSONScanner(line)
        s.skipSpace()
        guard s.peek() == UInt8(ascii: "{") else { throw .notAnObject(offset: s.pos) }
        s.pos += 1
        var sawLog = false
        var stream: LogStream?
        var timestamp: Int64?
        s.skipSpace()
        if s.peek() == UInt8(ascii: "}") {
            s.pos += 1
        } else {
            while true {
                s.skipSpace()
                let keyOffset = s.pos
                let key = try scanned { () throws(ParseError) in try s.readStringRaw() }
                s.skipSpace()
                try scanned { () throws(ParseError) in try s.expect(UInt8(ascii: ":")) }
                s.skipSpace()
                let valueOffset = s.pos
                switch Field(key.escaped ? nil : key.span) {
                case .log:
                    guard !sawLog else { throw .duplicateField("log", offset: keyOffset) }
                    sawLog = true
                    let value = try readString(&s, field: "log")
                    if value.escaped {
                        do throws(ParseError) {
                            try JSONScanner.appendUnescaped(value.span, at: valueOffset + 1, to: &log)
                        } catch {
                            throw .malformedJSON(reason: error.reason, offset: error.offset)
                        }
                    } else {
                        log.append(contentsOf: value.span)
                    }
                case .stream:
                    guard stream == nil else { throw .duplicateField("stream", offset: keyOffset) }
                    let value = try readString(&s, field: "stream")
                    guard !value.escaped, let named = LogStream(name: value.span) else {
                        throw .unknownStream(offset: valueOffset)
                    }
                    stream = named
                case .time:
                    guard timestamp == nil else { throw .duplicateField("time", offset: keyOffset) }
                    let value = try readString(&s, field: "time")
                    guard !value.escaped, let nanos = Timestamp.parseRFC3339(value.span) else {
                        throw .badTimestamp(offset: valueOffset)
                    }
                    timestamp = nanos
                case nil:
                    _ = try scanned { () throws(ParseError) in try s.skipValue() }
                }
                s.skipSpace()
                guard let separator = s.peek() else {
                    throw .malformedJSON(reason: "unterminated object", offset: s.pos)
                }
                s.pos += 1
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else {
                    throw .malformedJSON(reason: "expected ',' or '}' in object", offset: s.pos - 1)
                }
            }
        }
        let end = s.pos
        s.skipSpace()
        guard s.atEnd else { throw .trailingBytes(offset: s.pos) }
        guard let stream else { throw .missingField("stream", offset: end) }
        guard let timestamp else { throw .missingField("time", offset: end) }
        let isPartial = log.count == logStart || log[log.count - 1] != 0x0A
        if !isPartial { log.removeLast() }
        try repairIfNeeded(&log, from: logStart)
        return DockerJSONLine(stream: stream, timestampNanos: timestamp, isPartial: isPartial, logRange: logStart..<log.count)
    }

    /// The three keys Docker's decoder cares about, matched on raw (unescaped) key bytes.
    private enum Field {
        case log, stream, time

        init?(_ key: UnsafeRawBufferPointer?) {
            guard let key else { return nil }
            switch key.count {
            case 3 where key[0] == UInt8(ascii: "l") && key[1] == UInt8(ascii: "o") && key[2] == UInt8(ascii: "g"): self = .log
            case 4 where key.elementsEqual("time".utf8): self = .time
            case 6 where key.elementsEqual("stream".utf8): self = .stream
            default: return nil
            }
        }
    }

    /// Reads a string value, refusing any other JSON type.
    private static func readString(_ s: inout JSONScanner, field: String) throws(ContainerLogError) -> (span: UnsafeRawBufferPointer, escaped: Bool) {
        guard s.peek() == UInt8(ascii: "\"") else {
            throw .invalidField(field, expected: "a string", offset: s.pos)
        }
        return try scanned { () throws(ParseError) in try s.readStringRaw() }
    }

    /// Replaces ill-formed UTF-8 appended since `start` (only raw bytes can be; never in files
    /// Docker wrote, so the copy this makes is off the hot path).
    private static func repairIfNeeded(_ log: inout [UInt8], from start: Int) throws(ContainerLogError) {
        let valid = log.withUnsafeBytes { UTF8Repair.isValid(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        guard !valid else { return }
        let raw = Array(log[start...])
        log.removeSubrange(start...)
        raw.withUnsafeBytes { _ = UTF8Repair.appendRepaired($0, to: &log) }
    }
}

/// Runs a `JSONScanner` step, turning its `ParseError` into `ContainerLogError.malformedJSON`.
@inline(__always)
func scanned<T>(_ step: () throws(ParseError) -> T) throws(ContainerLogError) -> T {
    do {
        return try step()
    } catch {
        throw .malformedJSON(reason: error.reason, offset: error.offset)
    }
}
