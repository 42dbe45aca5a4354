/// How a file's lines become messages: as they are (`plain`), or decoded from a container
/// runtime's log format — Docker's json-file driver or the Kubernetes CRI format — with the
/// runtime's partial lines (split at 16 KiB) joined per stream.
///
/// A line that does not decode in its runtime's format is not lost: it is sent as plain text
/// (read time, no stream) and counted in `invalidLines`.
struct LineDecoder {
    enum Kind: Sendable { case plain, docker, cri }
    let kind: Kind
    private var joiner: PartialLineJoiner
    private var scratch: [UInt8] = []
    private(set) var invalidLines = 0
    private(set) var lastError: String?

    init(kind: Kind, maxLineBytes: Int) {
        self.kind = kind
        joiner = PartialLineJoiner(maxLineBytes: maxLineBytes)
    }

    /// Raw offset of the oldest partial line still waiting for its continuation.
    var pendingStart: Int? { joiner.oldestPendingOffset.map { Int($0) } }

    /// Whether lines go to this decoder as raw bytes (container logs are UTF-8 by definition and
    /// are repaired after their partial lines are joined) rather than converted first.
    var takesRawLines: Bool { kind != .plain }

    /// Decodes one line (UTF-8 text, or the raw line without its terminator for container
    /// formats) that starts at raw offset `lineStart`; calls `emit` with each
    /// complete message, its time (the read time for plain lines), its stream and the raw
    /// offset where it started.
    mutating func decode(_ line: UnsafeRawBufferPointer, lineStart: Int, readTimeNanos: Int64,
                         emit: (UnsafeRawBufferPointer, Int64, String?, Int) -> Void) {
        switch kind {
        case .plain:
            emit(line, readTimeNanos, nil, lineStart)
        case .docker:
            var log = scratch
            scratch = []
            log.removeAll(keepingCapacity: true)
            do {
                let d = try DockerJSONLine.decode(from: line, appendingLogTo: &log)
                log.withUnsafeBytes { p in
                    joiner.push(UnsafeRawBufferPointer(rebasing: p[d.logRange]), stream: d.stream, isPartial: d.isPartial,
                                timestampNanos: d.timestampNanos, offset: Int64(lineStart)) { text, j in
                        emit(text, j.timestampNanos, j.stream.description, Int(j.offset))
                    }
                }
            } catch {
                invalid(error.description)
                emitAsText(line, readTimeNanos: readTimeNanos, lineStart: lineStart, emit: emit)
            }
            scratch = log
        case .cri:
            do {
                let c = try CRILogLine.decode(from: line)
                // Runtimes cut lines at 16 KiB without regard to characters: repair after joining.
                var repaired = scratch
                scratch = []
                joiner.push(c.content(in: line), stream: c.stream, isPartial: c.isPartial, timestampNanos: c.timestampNanos,
                            offset: Int64(lineStart)) { text, j in
                    repaired.removeAll(keepingCapacity: true)
                    UTF8Repair.appendRepaired(text, to: &repaired)
                    repaired.withUnsafeBytes { emit($0, j.timestampNanos, j.stream.description, Int(j.offset)) }
                }
                scratch = repaired
            } catch {
                invalid(error.description)
                emitAsText(line, readTimeNanos: readTimeNanos, lineStart: lineStart, emit: emit)
            }
        }
    }

    /// A line that is not in its runtime's format: sent as (repaired) plain text.
    private mutating func emitAsText(_ line: UnsafeRawBufferPointer, readTimeNanos: Int64, lineStart: Int,
                                     emit: (UnsafeRawBufferPointer, Int64, String?, Int) -> Void) {
        var text = scratch
        scratch = []
        text.removeAll(keepingCapacity: true)
        UTF8Repair.appendRepaired(line, to: &text)
        text.withUnsafeBytes { emit($0, readTimeNanos, nil, lineStart) }
        scratch = text
    }

    private mutating func invalid(_ reason: String) {
        invalidLines += 1
        lastError = reason
    }

    /// Emits whatever partial lines are waiting (the file ended for good).
    mutating func flush(emit: (UnsafeRawBufferPointer, Int64, String?) -> Void) {
        joiner.finish { text, j in emit(text, j.timestampNanos, j.stream.description) }
    }

    /// Drops partial state (the file was truncated).
    mutating func reset() {
        joiner = PartialLineJoiner(maxLineBytes: joiner.maxLineBytes)
    }
}
