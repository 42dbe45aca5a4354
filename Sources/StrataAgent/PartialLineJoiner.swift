/// Reassembles the chunks a container runtime cut a long line into.
///
/// Docker (json-file, `isPartial`) and containerd/CRI-O (CRI tag `P`) write a line longer than
/// 16 KiB as several records: every one but the last is *partial*. Records of stdout and stderr
/// interleave freely, so each stream is joined on its own: a stderr line between two stdout
/// chunks is emitted at once and does not disturb the stdout line being assembled.
///
/// Push every record in file order. A complete record with nothing pending is passed straight
/// through (no copy); otherwise chunks are appended to that stream's buffer, whose capacity is
/// reused, so a steady state allocates nothing. Each emitted line is handed to `emit` as a
/// borrowed buffer, valid only during the call, with its `JoinedLine` metadata.
///
/// Memory is bounded: a line longer than `maxLineBytes` is emitted as soon as it exceeds the
/// limit, cut to at most `maxLineBytes` bytes (before an incomplete UTF-8 sequence at the cut)
/// and flagged `isTruncated`; the rest of its chunks, up to and including its final one, are
/// dropped. `truncatedLines` counts such lines. At most `2 × maxLineBytes` bytes are buffered.
///
/// Checkpoints: a line is emitted only when its last chunk arrives, so a restart must re-read from
/// the first chunk of any line still pending. `oldestPendingOffset` is that raw offset; a safe
/// checkpoint is the smaller of it and the end of the last record pushed (at-least-once: records
/// of the other stream after it are read again).
public struct PartialLineJoiner: Sendable {
    /// What is known about an emitted line, besides its bytes.
    public struct JoinedLine: Sendable, Equatable {
        /// The stream all its chunks came from.
        public var stream: LogStream
        /// The timestamp of its first chunk (when the container started writing it).
        public var timestampNanos: Int64
        /// The raw file offset of the record that carried its first chunk.
        public var offset: Int64
        /// True when the line was longer than `maxLineBytes` and its end was dropped.
        public var isTruncated: Bool
        /// False when `finish(emit:)` emitted the line before its final chunk arrived.
        public var isComplete: Bool

        /// Creates line metadata (for tests and callers that build lines themselves).
        public init(stream: LogStream, timestampNanos: Int64, offset: Int64, isTruncated: Bool, isComplete: Bool) {
            self.stream = stream
            self.timestampNanos = timestampNanos
            self.offset = offset
            self.isTruncated = isTruncated
            self.isComplete = isComplete
        }
    }

    /// The most bytes an emitted line has.
    public let maxLineBytes: Int
    /// How many lines were emitted cut short because they exceeded `maxLineBytes`.
    public private(set) var truncatedLines = 0

    private var stdout = Pending()
    private var stderr = Pending()

    /// A joiner with nothing pending.
    /// - Parameter maxLineBytes: the longest line emitted (≥ 1); longer lines are truncated.
    public init(maxLineBytes: Int = AgentLimits.defaultMaxLineBytes) {
        precondition(maxLineBytes >= 1, "BUG: maxLineBytes must be at least 1")
        self.maxLineBytes = maxLineBytes
    }

    /// Whether `stream` has a line started but not yet emitted (or is dropping the rest of a
    /// truncated one).
    public func hasPendingLine(on stream: LogStream) -> Bool {
        let p = stream == .stdout ? stdout : stderr
        return p.isOpen || p.isDropping
    }

    /// The raw offset of the first chunk of the oldest line still pending on either stream, or
    /// nil if none: the tailer must not checkpoint past it.
    public var oldestPendingOffset: Int64? {
        let a = stdout.isOpen || stdout.isDropping ? stdout.offset : nil
        let b = stderr.isOpen || stderr.isDropping ? stderr.offset : nil
        switch (a, b) {
        case let (x?, y?): return min(x, y)
        default: return a ?? b
        }
    }

    /// Feeds one record's text.
    ///
    /// - Parameters:
    ///   - chunk: the record's text (Docker `log` without `\n`, or CRI content).
    ///   - stream: the record's stream.
    ///   - isPartial: true if more chunks of this line follow (Docker `isPartial`, CRI `P`).
    ///   - timestampNanos: the record's timestamp.
    ///   - offset: the raw file offset of the record.
    ///   - emit: called with each completed line (at most one per call); the buffer is only
    ///     valid during the call.
    /// - Complexity: O(`chunk.count`) amortised.
    public mutating func push(
        _ chunk: UnsafeRawBufferPointer, stream: LogStream, isPartial: Bool,
        timestampNanos: Int64, offset: Int64,
        emit: (UnsafeRawBufferPointer, JoinedLine) -> Void
    ) {
        switch stream {
        case .stdout:
            Self.push(chunk, into: &stdout, stream: stream, isPartial: isPartial, timestampNanos: timestampNanos,
                      offset: offset, limit: maxLineBytes, truncatedLines: &truncatedLines, emit: emit)
        case .stderr:
            Self.push(chunk, into: &stderr, stream: stream, isPartial: isPartial, timestampNanos: timestampNanos,
                      offset: offset, limit: maxLineBytes, truncatedLines: &truncatedLines, emit: emit)
        }
    }

    /// Emits every pending line as it is (`isComplete == false`), stdout first, and forgets any
    /// truncated line still being dropped. Call when the file ends for good (container removed,
    /// file rotated away and drained).
    public mutating func finish(emit: (UnsafeRawBufferPointer, JoinedLine) -> Void) {
        Self.flush(&stdout, stream: .stdout, emit: emit)
        Self.flush(&stderr, stream: .stderr, emit: emit)
    }

    /// One stream's line in progress.
    private struct Pending: Sendable {
        /// The chunks so far (capacity kept between lines).
        var bytes: [UInt8] = []
        /// A line is being assembled (its first chunk has arrived).
        var isOpen = false
        /// A truncated line was emitted; its remaining chunks are skipped until its final one.
        var isDropping = false
        /// Timestamp and raw offset of the line's first chunk.
        var timestampNanos: Int64 = 0
        var offset: Int64 = 0

        mutating func reset() {
            bytes.removeAll(keepingCapacity: true)
            isOpen = false
            isDropping = false
        }
    }

    private static func push(
        _ chunk: UnsafeRawBufferPointer, into p: inout Pending, stream: LogStream, isPartial: Bool,
        timestampNanos: Int64, offset: Int64, limit: Int, truncatedLines: inout Int,
        emit: (UnsafeRawBufferPointer, JoinedLine) -> Void
    ) {
        if p.isDropping {
            if !isPartial { p.reset() }
            return
        }
        if !p.isOpen {
            p.timestampNanos = timestampNanos
            p.offset = offset
            if !isPartial {
                // The common case: a whole line in one record, passed through without a copy.
                let fits = chunk.count <= limit
                let cut = fits ? chunk.count : limit - UTF8Repair.incompleteSuffixLength(UnsafeRawBufferPointer(rebasing: chunk[0..<limit]))
                if !fits { truncatedLines += 1 }
                emit(UnsafeRawBufferPointer(rebasing: chunk[0..<cut]),
                     JoinedLine(stream: stream, timestampNanos: timestampNanos, offset: offset, isTruncated: !fits, isComplete: true))
                return
            }
            p.isOpen = true
        }
        let room = limit - p.bytes.count
        if chunk.count <= room {
            p.bytes.append(contentsOf: chunk)
            if !isPartial {
                emitPending(&p, stream: stream, isTruncated: false, isComplete: true, emit: emit)
                p.reset()
            }
            return
        }
        // Over the limit: emit what fits, then drop the rest of this line.
        p.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<room]))
        let incomplete = p.bytes.withUnsafeBytes { UTF8Repair.incompleteSuffixLength($0) }
        p.bytes.removeLast(incomplete)
        truncatedLines += 1
        emitPending(&p, stream: stream, isTruncated: true, isComplete: true, emit: emit)
        p.reset()
        p.isDropping = isPartial
    }

    private static func flush(_ p: inout Pending, stream: LogStream, emit: (UnsafeRawBufferPointer, JoinedLine) -> Void) {
        if p.isOpen { emitPending(&p, stream: stream, isTruncated: false, isComplete: false, emit: emit) }
        p.reset()
    }

    private static func emitPending(_ p: inout Pending, stream: LogStream, isTruncated: Bool, isComplete: Bool,
                                    emit: (UnsafeRawBufferPointer, JoinedLine) -> Void) {
        let line = JoinedLine(stream: stream, timestampNanos: p.timestampNanos, offset: p.offset,
                              isTruncated: isTruncated, isComplete: isComplete)
        p.bytes.withUnsafeBytes { emit($0, line) }
    }
}
