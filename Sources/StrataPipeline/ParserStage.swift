import StrataFormat
import StrataIO
import StrataParse

/// The `parser:` of a pipeline: parses each entry's message (the raw line, for entries read
/// from files or plain-text protocols) and merges the result into the entry.
///
/// Merge rule: parsed parts win (time, level, message, service, host, source, fields by key);
/// parts the line does not give keep the entry's values (the receiver's host, the file name as
/// source, the receive time). When the line does not parse, `onError` decides: `keep` leaves
/// the entry as it was, adds the tag `_parse_failure` and the field `parse_error` (the
/// reason); `drop` drops it and counts it. A blank line or a CSV header row yields no entry.
public final class ParserStage: PipelineStage, @unchecked Sendable {
    public let kind = "parser"
    /// The parser's name as configured (`nginx`, `grok`, …).
    public let parserName: String
    let parse: @Sendable (UnsafeRawBufferPointer, ParseDefaults) throws(ParseError) -> LogEntry?
    let keepFailures: Bool
    private let lock = ConditionLock()
    private var failures = 0

    init(name: String, keepFailures: Bool, parse: @escaping @Sendable (UnsafeRawBufferPointer, ParseDefaults) throws(ParseError) -> LogEntry?) {
        parserName = name
        self.keepFailures = keepFailures
        self.parse = parse
    }

    /// Lines that did not parse so far.
    public var failureCount: Int { lock.lock(); defer { lock.unlock() }; return failures }

    public func process(_ entries: inout [LogEntry], now: Int64) {
        var w = 0
        var failed = 0
        for r in entries.indices {
            var bytes = entries[r].message
            let defaults = ParseDefaults(receivedAtNanos: entries[r].timestampNanos, service: entries[r].service, host: entries[r].host, source: entries[r].source)
            let result: Result<LogEntry?, ParseError> = bytes.withUTF8 { p in
                do throws(ParseError) { return .success(try parse(UnsafeRawBufferPointer(p), defaults)) } catch { return .failure(error) }
            }
            switch result {
            case .success(let parsed?):
                ParserStage.merge(parsed, into: &entries[r])
            case .success(nil):
                continue   // a blank line or a CSV header row: not an entry
            case .failure(let error):
                failed += 1
                guard keepFailures else { continue }
                if !entries[r].tags.contains("_parse_failure") { entries[r].tags.append("_parse_failure") }
                entries[r].set("parse_error", .string("\(parserName): \(error)"))
            }
            if w != r { entries.swapAt(w, r) }
            w += 1
        }
        entries.removeLast(entries.count - w)
        if failed > 0 { lock.lock(); failures += failed; lock.unlock() }
    }

    static func merge(_ p: LogEntry, into e: inout LogEntry) {
        if p.timestampNanos >= Limits.minTimestampNanos && p.timestampNanos <= Limits.maxTimestampNanos {
            e.timestampNanos = p.timestampNanos
        } else {
            e.set("timestamp_error", .string("parsed time outside the supported years 1823–2225"))
        }
        if p.level != .unknown { e.level = p.level }
        e.message = p.message
        e.service = p.service
        e.host = p.host
        e.source = p.source
        for f in p.fields {
            // A field whose name is also an entry part (`level` that did not normalise, …)
            // stays a field: `set` would address the part and refuse the value.
            if let i = e.fields.firstIndex(where: { $0.key == f.key }) {
                e.fields[i].value = f.value
            } else if e.fields.count < Limits.maxFieldsPerEntry {
                e.fields.append(f)
            }
        }
        for t in p.tags where !e.tags.contains(t) { e.tags.append(t) }
    }
}
