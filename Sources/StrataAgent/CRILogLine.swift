import StrataFormat

/// One line of a Kubernetes container log in the CRI format, as containerd and CRI-O write
/// `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<N>.log`:
///
///     2026-11-29T10:00:00.123456789Z stdout F GET / 200
///     2026-11-29T10:00:01.5+01:00 stderr P first 16 KiB of a long line…
///     2026-11-29T10:00:02Z stdout F
///
/// Fields are separated by one space: an RFC 3339 timestamp (up to 9 fraction digits, `Z` or a
/// `±hh:mm` offset: CRI-O writes local time), the stream, the tags, then the content up to the end
/// of the line, taken verbatim (it may be empty, and may contain spaces). The tags are
/// `:`-separated; the first is `F` (the line is complete) or `P` (partial: a chunk of a longer
/// line, more follow; see `PartialLineJoiner`). Later tags are reserved by the CRI and ignored,
/// as the kubelet does.
///
/// Decoding copies nothing: the content is a range of the input.
public struct CRILogLine: Sendable, Equatable {
    /// The timestamp, in nanoseconds since the Unix epoch (UTC).
    public var timestampNanos: Int64
    /// Which output the container wrote the line to.
    public var stream: LogStream
    /// True for tag `P`: this is a chunk of a longer line and more follow.
    public var isPartial: Bool
    /// Where the content lies in the line passed to `decode(from:)`.
    public var contentRange: Range<Int>

    /// Creates a decoded line; decoders use `decode(from:)`.
    public init(timestampNanos: Int64, stream: LogStream, isPartial: Bool, contentRange: Range<Int>) {
        self.timestampNanos = timestampNanos
        self.stream = stream
        self.isPartial = isPartial
        self.contentRange = contentRange
    }

    /// Decodes one CRI log line.
    ///
    /// - Parameter line: the line, without its trailing newline (one `\n`, if present, is not
    ///   part of the content). A missing space after the tag means empty content.
    /// - Throws: `ContainerLogError.badTimestamp` (at 0), `.missingField("stream"/"tag")` when the
    ///   line ends early, `.unknownStream`, `.unknownTag`.
    /// - Complexity: O(length of the first three fields).
    public static func decode(from line: UnsafeRawBufferPointer) throws(ContainerLogError) -> CRILogLine {
        var end = line.count
        if end > 0 && line[end - 1] == 0x0A { end -= 1 }
        guard let timeEnd = space(in: line, from: 0, to: end) else {
            throw Timestamp.parseRFC3339(UnsafeRawBufferPointer(rebasing: line[0..<end])) == nil
                ? .badTimestamp(offset: 0) : .missingField("stream", offset: end)
        }
        guard let nanos = Timestamp.parseRFC3339(UnsafeRawBufferPointer(rebasing: line[0..<timeEnd])) else {
            throw .badTimestamp(offset: 0)
        }
        let streamStart = timeEnd + 1
        guard let streamEnd = space(in: line, from: streamStart, to: end) else {
            throw LogStream(name: UnsafeRawBufferPointer(rebasing: line[streamStart..<end])) == nil
                ? .unknownStream(offset: streamStart) : .missingField("tag", offset: end)
        }
        guard let stream = LogStream(name: UnsafeRawBufferPointer(rebasing: line[streamStart..<streamEnd])) else {
            throw .unknownStream(offset: streamStart)
        }
        let tagStart = streamEnd + 1
        let tagEnd = space(in: line, from: tagStart, to: end) ?? end
        // The first tag ends at ':' (forward-compatible tag lists) or at the end of the field.
        var firstTagEnd = tagStart
        while firstTagEnd < tagEnd && line[firstTagEnd] != UInt8(ascii: ":") { firstTagEnd += 1 }
        guard firstTagEnd == tagStart + 1 else { throw .unknownTag(offset: tagStart) }
        let isPartial: Bool
        switch line[tagStart] {
        case UInt8(ascii: "P"): isPartial = true
        case UInt8(ascii: "F"): isPartial = false
        default: throw .unknownTag(offset: tagStart)
        }
        let contentStart = min(tagEnd + 1, end)
        return CRILogLine(timestampNanos: nanos, stream: stream, isPartial: isPartial, contentRange: contentStart..<end)
    }

    /// The content bytes of `line`, the same buffer that was decoded.
    /// - Precondition: `line` is the buffer passed to `decode(from:)`.
    public func content(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        precondition(contentRange.upperBound <= line.count, "BUG: content(in:) called with a different line")
        return UnsafeRawBufferPointer(rebasing: line[contentRange])
    }

    /// Index of the first space in `line[from..<to]`, or nil.
    @inline(__always)
    private static func space(in line: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = from
        while i < to {
            if line[i] == 0x20 { return i }
            i += 1
        }
        return nil
    }
}
