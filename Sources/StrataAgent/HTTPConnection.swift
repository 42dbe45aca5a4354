#if canImport(Glibc)
import StrataIO
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataCodec

/// One client connection of the HTTP input: requests are read from a buffer that may already
/// hold the start of the next (pipelined) request; answers are written whole.
///
/// Every wait is bounded by `idleTimeoutMillis` and ends at once when the input stops, so a
/// silent or slow client cannot hold the connection's thread.
struct HTTPConnection {
    let socket: PosixSocket
    let stop: StopSignal
    let idleTimeoutMillis: Int
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` before this index are consumed.
    private var readIndex = 0

    init(socket: PosixSocket, stop: StopSignal, idleTimeoutMillis: Int) {
        self.socket = socket
        self.stop = stop
        self.idleTimeoutMillis = idleTimeoutMillis
    }

    private var available: Int { buffer.count - readIndex }

    /// Waits for more bytes and appends them to the buffer.
    /// - Returns: false at end of stream, on an error, after the idle timeout, or when stopping.
    private mutating func fill(upTo want: Int = AgentLimits.readChunkBytes) -> Bool {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        guard socket.wait(for: Int16(POLLIN), stop: stop, timeoutMillis: idleTimeoutMillis) == .ready else { return false }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: want))
        let n = buffer.withUnsafeMutableBytes { socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
        buffer.removeLast(want - max(n, 0))
        return n > 0
    }

    /// Reads the next request's head.
    /// - Returns: nil when the client closed (or idled out, or the input stopped) between requests.
    /// - Throws: the answer for a malformed or oversized head; `.lost` if the connection ended mid-head.
    mutating func readHead(maxBytes: Int) throws(HTTPAnswerError) -> HTTPRequestHead? {
        if readIndex > 0 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        var scanned = 0   // bytes after readIndex known not to end the head
        while true {
            // Empty lines before a request line are ignored (RFC 9112 §2.2).
            while readIndex < buffer.count, buffer[readIndex] == 0x0D || buffer[readIndex] == 0x0A { readIndex += 1 }
            if let (headEnd, next) = headEnd(from: readIndex + max(0, scanned - 3)) {
                let start = readIndex
                let head = try withBytes(buffer) { (b: UnsafeRawBufferPointer) throws(HTTPAnswerError) in
                    try HTTPRequestHead.parse(UnsafeRawBufferPointer(rebasing: b[start..<headEnd]))
                }
                readIndex = next
                return head
            }
            guard available <= maxBytes else {
                throw HTTPAnswerError(HTTPAnswer.error(.badRequest, "request head exceeds \(maxBytes) bytes", status: 431, close: true))
            }
            scanned = available
            let started = available > 0
            guard fill() else {
                if started { throw .lost }
                return nil
            }
        }
    }

    /// Where the head starting at `readIndex` ends (after its last header line's LF) and where
    /// the body starts, searching for an empty line from `from`.
    private func headEnd(from: Int) -> (Int, Int)? {
        var i = from
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if i + 1 < buffer.count, buffer[i + 1] == 0x0A { return (i + 1, i + 2) }
                if i + 2 < buffer.count, buffer[i + 1] == 0x0D, buffer[i + 2] == 0x0A { return (i + 1, i + 3) }
            }
            i += 1
        }
        return nil
    }

    /// Reads the body `head` declares (`Content-Length` or chunked), at most `limit` bytes.
    /// - Throws: 413 beyond `limit`, 400 for malformed chunking (both close the connection),
    ///   `.lost` if the connection ends first.
    mutating func readBody(_ head: HTTPRequestHead, limit: Int) throws(HTTPAnswerError) -> [UInt8] {
        var body = [UInt8]()
        if head.isChunked {
            try readChunked(into: &body, limit: limit)
        } else if let n = head.contentLength, n > 0 {
            guard n <= limit else { throw Self.tooLarge(limit) }
            body.reserveCapacity(n)
            try append(n, to: &body)
        }
        return body
    }

    /// The 413 for a body over `limit` (the connection closes: the rest of the body is unread).
    static func tooLarge(_ limit: Int) -> HTTPAnswerError {
        HTTPAnswerError(HTTPAnswer.error(.bodyTooLarge, "request body exceeds \(limit) bytes", close: true))
    }

    /// Moves the next `n` bytes of the stream to `body`: first what is buffered, then straight
    /// from the socket into `body` (a large body is not copied twice).
    private mutating func append(_ n: Int, to body: inout [UInt8]) throws(HTTPAnswerError) {
        var left = n
        while left > 0 {
            if available > 0 {
                let take = min(available, left)
                body.append(contentsOf: buffer[readIndex..<(readIndex + take)])
                readIndex += take
                left -= take
                continue
            }
            guard socket.wait(for: Int16(POLLIN), stop: stop, timeoutMillis: idleTimeoutMillis) == .ready else { throw .lost }
            let want = min(left, 16 * AgentLimits.readChunkBytes)
            let old = body.count
            body.append(contentsOf: repeatElement(0, count: want))
            let got = body.withUnsafeMutableBytes { socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
            body.removeLast(want - max(got, 0))
            guard got > 0 else { throw .lost }
            left -= got
        }
    }

    /// A chunked body (RFC 9112 §7.1): `SIZE[;ext] CRLF DATA CRLF` … `0 CRLF [trailers] CRLF`.
    private mutating func readChunked(into body: inout [UInt8], limit: Int) throws(HTTPAnswerError) {
        while true {
            let line = try readLine(maxBytes: 1024)
            var size = 0, digits = 0
            for c in line {
                let d: Int
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = Int(c - 0x30)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = Int(c - 0x61 + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = Int(c - 0x41 + 10)
                case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"): d = -1
                default: throw HTTPRequestHead.bad("malformed chunk size line")
                }
                if d < 0 { break }
                guard digits < 15 else { throw Self.tooLarge(limit) }
                size = size << 4 | d
                digits += 1
            }
            guard digits > 0 else { throw HTTPRequestHead.bad("malformed chunk size line") }
            if size == 0 {
                // Trailer fields are read and ignored, up to the empty line.
                var trailerBytes = 0
                while true {
                    let t = try readLine(maxBytes: AgentLimits.maxHTTPHeadBytes)
                    if t.isEmpty { return }
                    trailerBytes += t.count
                    guard trailerBytes <= AgentLimits.maxHTTPHeadBytes else { throw HTTPRequestHead.bad("chunked trailer too large") }
                }
            }
            guard body.count + size <= limit else { throw Self.tooLarge(limit) }
            try append(size, to: &body)
            guard try readLine(maxBytes: 2).isEmpty else { throw HTTPRequestHead.bad("chunk data longer than its size") }
        }
    }

    /// The next line, without its LF (or CRLF).
    private mutating func readLine(maxBytes: Int) throws(HTTPAnswerError) -> [UInt8] {
        var scanned = 0
        while true {
            if let lf = buffer[(readIndex + scanned)...].firstIndex(of: 0x0A) {
                var end = lf
                if end > readIndex, buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[readIndex..<end])
                readIndex = lf + 1
                guard line.count <= maxBytes else { throw HTTPRequestHead.bad("line too long in the chunked body") }
                return line
            }
            guard available <= maxBytes + 1 else { throw HTTPRequestHead.bad("line too long in the chunked body") }
            scanned = available   // relative to `readIndex`, which `fill` may move to 0
            guard fill() else { throw .lost }
        }
    }

    /// Sends `100 Continue` (the client asked before sending its body).
    mutating func sendContinue() -> Bool {
        Array("HTTP/1.1 100 Continue\r\n\r\n".utf8).withUnsafeBytes { socket.sendAll($0, timeoutMillis: idleTimeoutMillis) }
    }

    /// Sends `answer`; `closing` adds `Connection: close`.
    /// - Returns: false if the client is gone or stopped reading.
    func send(_ answer: HTTPAnswer, closing: Bool) -> Bool {
        answer.serialized(closing: closing).withUnsafeBytes { socket.sendAll($0, timeoutMillis: idleTimeoutMillis) }
    }

    /// Before closing a connection whose request body was not read: stops writing, then reads
    /// and discards what the client still sends for a short while, so it reads the answer
    /// instead of a reset caused by unread data (the kernel resets on closing with unread bytes).
    func lingeringClose() {
        socket.shutdownWrites()
        let deadline = Int64(monotonicNanos() / 1_000_000) + Int64(AgentLimits.lingeringCloseMillis)
        var scratch = [UInt8](repeating: 0, count: AgentLimits.readChunkBytes)
        while true {
            let left = Int(deadline - Int64(monotonicNanos() / 1_000_000))
            guard left > 0, socket.wait(for: Int16(POLLIN), stop: stop, timeoutMillis: left) == .ready else { return }
            guard scratch.withUnsafeMutableBytes({ socket.receive(into: $0) }) > 0 else { return }
        }
    }
}
