/// How a `MultilineJoiner` groups lines into events (Filebeat's `multiline.*` settings).
///
/// A line *satisfies the condition* when `matches(line) != negate`. `match` says which way such
/// a line joins its neighbours; see `MultilineJoiner` for the exact rules.
public struct MultilineOptions: Sendable {
    /// Which neighbour a line that satisfies the condition is joined to.
    public enum Match: Sendable, Equatable {
        /// The line continues the event before it (it is appended to the previous line).
        case after
        /// The line is continued by the line after it (the next line is appended to it).
        case before
    }

    /// When true, the condition is "the line does NOT match the pattern".
    public var negate: Bool
    /// Which way lines that satisfy the condition join.
    public var match: Match
    /// Most lines in one event; the event is emitted on reaching it. A value ≤ 0 means no limit.
    public var maxLines: Int
    /// Most bytes in one event, separators included; the event is emitted on reaching it and
    /// a line that would overflow it is cut (at a UTF-8 boundary when possible). ≤ 0 means no limit.
    public var maxBytes: Int
    /// How long a pending event waits for another line before `flush(ifIdleSince:emit:)` emits it. ≤ 0 disables.
    public var timeoutNanos: Int64

    /// Options with Filebeat's defaults: 500 lines, 1 MiB, 5 s.
    public init(
        negate: Bool = false,
        match: Match = .after,
        maxLines: Int = 500,
        maxBytes: Int = 1 << 20,
        timeoutNanos: Int64 = 5_000_000_000
    ) {
        self.negate = negate
        self.match = match
        self.maxLines = maxLines
        self.maxBytes = maxBytes
        self.timeoutNanos = timeoutNanos
    }
}

/// Joins continuation lines into single events, Filebeat style.
///
/// Lines are pushed one at a time, without their terminator (a trailing LF, CRLF or CR is
/// dropped before the pattern test). An event is its lines joined with `\n`, with no trailing
/// newline. With `cond(line) = matches(line) != negate`:
///
/// - `.after`: a line with `cond` true is appended to the open event. A line with `cond` false
///   emits the open event and starts a new one. So `negate: false` with `^[[:space:]]` glues
///   indented stack-trace lines to the line before them, and `negate: true` with `^\[` glues every
///   line that does not start a timestamped record to the record before it. A `cond`-true line
///   with no open event (the very first line, or the first after a flush) starts one.
/// - `.before`: every line joins the open event (or starts one); a line with `cond` true keeps the
///   event open for the next line, a line with `cond` false ends it, and the event is emitted. So
///   `\\$` joins lines ending in a backslash with the line that follows them.
///
/// Limits: when an event reaches `maxLines` lines or `maxBytes` bytes it is emitted at once, and
/// the lines that would still have joined it are dropped until a line starts a new event (for
/// `.before`, up to and including the line that would have ended it). `truncatedEvents` counts
/// events that lost bytes or lines this way. An event that hits a limit exactly and gets no more
/// lines is not counted.
///
/// Time: each push records `nowNanos`; `flush(ifIdleSince:emit:)` emits the open event once no
/// line arrived for `timeoutNanos`, and also ends a dropping phase. `finish(emit:)` emits whatever
/// is open. Emitted events are fresh arrays; the joiner's own buffer is reused across events.
public struct MultilineJoiner: Sendable {
    /// The options this joiner was made with.
    public let options: MultilineOptions
    /// The pattern test, applied to each line without its terminator.
    public let matches: @Sendable (UnsafeRawBufferPointer) -> Bool
    /// How many events were cut short by `maxLines` or `maxBytes`.
    public private(set) var truncatedEvents = 0

    /// The open event's bytes; empty with `lineCount == 0` when no event is open.
    private var pending: [UInt8] = []
    /// Lines in the open event.
    private var lineCount = 0
    /// The last event hit a limit and was emitted; lines that would have joined it are dropped.
    private var dropping = false
    /// The current dropping phase has already been counted in `truncatedEvents`.
    private var dropCounted = false
    /// `nowNanos` of the last pushed line.
    private var lastPushNanos: Int64 = 0

    /// A joiner with no open event.
    public init(options: MultilineOptions = MultilineOptions(), matches: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) {
        self.options = options
        self.matches = matches
    }

    /// Whether an event is open (lines pushed but not yet emitted).
    public var hasPendingEvent: Bool { lineCount > 0 }

    /// Feeds one line received at `nowNanos`; calls `emit` for each event it completes (zero, one or two).
    public mutating func push(_ line: UnsafeRawBufferPointer, nowNanos: Int64, emit: ([UInt8]) -> Void) {
        var n = line.count
        if n > 0 && line[n - 1] == 0x0A { n -= 1 }
        if n > 0 && line[n - 1] == 0x0D { n -= 1 }
        let body = UnsafeRawBufferPointer(rebasing: line[0..<n])
        lastPushNanos = nowNanos
        let continues = matches(body) != options.negate
        switch options.match {
        case .after:
            if continues && (lineCount > 0 || dropping) {
                if dropping { noteDrop() } else { add(body, emit: emit) }
            } else {
                if lineCount > 0 { emitPending(emit) }
                endDropping()
                add(body, emit: emit)
            }
        case .before:
            if dropping {
                noteDrop()
                if !continues { endDropping() }
                return
            }
            add(body, emit: emit)
            if !continues {
                if lineCount > 0 { emitPending(emit) }
                endDropping()
            }
        }
    }

    /// Emits the open event if no line was pushed for `options.timeoutNanos` before `nowNanos`.
    /// The next line then starts a new event, even one that would have continued this one.
    public mutating func flush(ifIdleSince nowNanos: Int64, emit: ([UInt8]) -> Void) {
        guard options.timeoutNanos > 0, lineCount > 0 || dropping else { return }
        let (idle, overflow) = nowNanos.subtractingReportingOverflow(lastPushNanos)
        guard overflow || idle >= options.timeoutNanos else { return }
        if lineCount > 0 { emitPending(emit) }
        endDropping()
    }

    /// Emits the open event, if any, and resets to the initial state (the count is kept).
    public mutating func finish(emit: ([UInt8]) -> Void) {
        if lineCount > 0 { emitPending(emit) }
        endDropping()
    }

    /// Appends `line` to the open event (or opens one), emitting it when a limit is reached.
    private mutating func add(_ line: UnsafeRawBufferPointer, emit: ([UInt8]) -> Void) {
        let separator = lineCount > 0 ? 1 : 0
        let byteLimit = options.maxBytes > 0 ? options.maxBytes : Int.max
        let needed = pending.count + separator + line.count
        if needed <= byteLimit {
            if separator == 1 { pending.append(0x0A) }
            pending.append(contentsOf: line)
            lineCount += 1
            if needed == byteLimit || (options.maxLines > 0 && lineCount >= options.maxLines) {
                emitPending(emit)
                dropping = true
            }
            return
        }
        let room = byteLimit - pending.count - separator
        if room > 0 {
            let cut = Self.scalarBoundary(in: line, atMost: room)
            if separator == 1 { pending.append(0x0A) }
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[0..<cut]))
            lineCount += 1
        }
        emitPending(emit)
        dropping = true
        noteDrop()
    }

    /// The largest cut ≤ `limit` that does not split a UTF-8 sequence, or `limit` if that leaves nothing.
    private static func scalarBoundary(in line: UnsafeRawBufferPointer, atMost limit: Int) -> Int {
        var cut = limit
        while cut > 0 && cut < line.count && line[cut] & 0xC0 == 0x80 && limit - cut < 3 { cut -= 1 }
        return cut > 0 ? cut : limit
    }

    private mutating func emitPending(_ emit: ([UInt8]) -> Void) {
        let event = [UInt8](unsafeUninitializedCapacity: pending.count) { out, initialized in
            initialized = pending.withUnsafeBufferPointer { src in
                guard let from = src.baseAddress, let to = out.baseAddress else { return 0 }
                to.initialize(from: from, count: src.count)
                return src.count
            }
        }
        pending.removeAll(keepingCapacity: true)
        lineCount = 0
        emit(event)
    }

    private mutating func noteDrop() {
        if !dropCounted {
            truncatedEvents += 1
            dropCounted = true
        }
    }

    private mutating func endDropping() {
        dropping = false
        dropCounted = false
    }
}
