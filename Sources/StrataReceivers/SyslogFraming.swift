/// Splits a syslog TCP stream into messages (RFC 6587): each frame is either octet-counted
/// (`LEN SP MSG`, chosen when the frame starts with a digit 1–9) or ends at LF (non-transparent
/// framing; a CR before the LF is dropped). Frames may be split across reads.
///
/// Invariant: the buffered tail never exceeds `maxFrameBytes`: a longer LF-framed message is
/// delivered cut at the limit and the rest up to its LF is discarded (counted in
/// `truncatedFrames`); an octet count above the limit is a framing error that makes the decoder
/// fall back to LF framing for that frame.
public struct SyslogFraming: Sendable {
    public let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var discardingToLF = false
    public private(set) var truncatedFrames = 0

    public init(maxFrameBytes: Int = 1 << 20) {
        precondition(maxFrameBytes > 8, "BUG: maxFrameBytes \(maxFrameBytes)")
        self.maxFrameBytes = maxFrameBytes
    }

    /// Adds bytes read from the connection; calls `frame` for each complete message.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ frame: (UnsafeRawBufferPointer) -> Void) {
        buffer.append(contentsOf: bytes)
        var start = 0
        let n = buffer.count
        buffer.withUnsafeBytes { b in
            while start < n {
                if discardingToLF {
                    guard let lf = (start..<n).first(where: { b[$0] == 0x0A }) else { start = n; break }
                    discardingToLF = false
                    start = lf + 1
                    continue
                }
                // Octet counting: digits, a space, then exactly that many bytes.
                if b[start] &- 0x31 < 9 {
                    var i = start, len = 0
                    while i < n, b[i] &- 0x30 < 10, i - start < 8 { len = len * 10 + Int(b[i] &- 0x30); i += 1 }
                    if i < n, b[i] == 0x20, len <= maxFrameBytes {
                        guard i + 1 + len <= n else { break }   // wait for the rest
                        frame(UnsafeRawBufferPointer(rebasing: b[(i + 1)..<(i + 1 + len)]))
                        start = i + 1 + len
                        continue
                    }
                    if i == n { break }                          // the count is still arriving
                }
                // LF framing.
                if let lf = (start..<n).first(where: { b[$0] == 0x0A }) {
                    var e = lf
                    if e > start, b[e - 1] == 0x0D { e -= 1 }
                    if e - start > maxFrameBytes {
                        e = start + maxFrameBytes
                        truncatedFrames += 1
                    }
                    if e > start { frame(UnsafeRawBufferPointer(rebasing: b[start..<e])) }
                    start = lf + 1
                } else if n - start > maxFrameBytes {
                    frame(UnsafeRawBufferPointer(rebasing: b[start..<(start + maxFrameBytes)]))
                    truncatedFrames += 1
                    discardingToLF = true
                    start = n
                } else {
                    break
                }
            }
        }
        buffer.removeFirst(start)
    }

    /// At end of stream: the unterminated last message, if any.
    public mutating func finish(_ frame: (UnsafeRawBufferPointer) -> Void) {
        defer { buffer.removeAll() }
        guard !discardingToLF, !buffer.isEmpty else { return }
        var e = buffer.count
        while e > 0, buffer[e - 1] == 0x0D || buffer[e - 1] == 0x20 { e -= 1 }
        guard e > 0 else { return }
        buffer.withUnsafeBytes { frame(UnsafeRawBufferPointer(rebasing: $0[0..<e])) }
    }
}
