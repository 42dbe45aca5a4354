#if canImport(Glibc)
import Glibc
#endif

/// Response parsing (RFC 9112): status line, fields, and the body framed by chunked
/// transfer coding, Content-Length, or the end of the connection (§6.3, in that order).
extension AgentHTTPConnection {
    /// How the body of a response is delimited.
    private enum Framing {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    /// Reads one final response (skipping 1xx interim responses). Returns it and whether the
    /// connection may carry another request.
    func readResponse(expectsBody: Bool, deadline: Deadline) throws(ExchangeFailure) -> (AgentHTTPResponse, Bool) {
        while true {
            var headBytes = 0
            let statusLine = try readLine(limit: AgentTransportLimits.maxHeadBytes, deadline: deadline)
            headBytes += statusLine.count + 2
            let (minor, status, reason) = try parseStatusLine(statusLine)
            var fields: [(name: String, value: String)] = []
            var contentLength: Int?
            var transferEncoding: [String] = []
            var close = minor == 0
            while true {
                let line = try readLine(limit: AgentTransportLimits.maxHeadBytes - headBytes, deadline: deadline)
                headBytes += line.count + 2
                if line.isEmpty { break }
                let field = try parseField(line)
                fields.append(field)
                switch field.name {
                case "content-length":
                    let n = try parseContentLength(field.value)
                    if let contentLength, contentLength != n { throw .malformed("conflicting Content-Length \(contentLength) and \(n)") }
                    contentLength = n
                case "transfer-encoding":
                    transferEncoding += Self.tokens(field.value)
                case "connection":
                    let t = Self.tokens(field.value)
                    if t.contains("close") { close = true } else if minor == 0 && t.contains("keep-alive") { close = false }
                default: break
                }
            }
            if (100...199).contains(status) {
                if status == 101 { throw .malformed("unexpected 101 Switching Protocols") }
                continue // 100 Continue, 103 Early Hints: the final response follows
            }
            let framing: Framing
            if !expectsBody || status == 204 || status == 304 {
                framing = .none
            } else if !transferEncoding.isEmpty {
                // A body with both is a smuggling vector: chunked wins, the connection is not reused.
                if contentLength != nil { close = true }
                framing = transferEncoding.last == "chunked" ? .chunked : .untilClose
            } else if let contentLength {
                framing = .length(contentLength)
            } else {
                framing = .untilClose
            }
            var body: [UInt8] = []
            switch framing {
            case .none: break
            case .length(let n):
                guard n <= maxResponseBodyBytes else { throw .malformed("Content-Length \(n) exceeds the \(maxResponseBodyBytes)-byte limit") }
                body.reserveCapacity(n)
                try readExactly(n, into: &body, deadline: deadline)
            case .chunked:
                try readChunked(into: &body, deadline: deadline)
            case .untilClose:
                close = true
                try readToEnd(into: &body, deadline: deadline)
            }
            return (AgentHTTPResponse(status: status, reason: reason, headers: fields, body: body), !close)
        }
    }

    // MARK: Buffer

    /// Reads more bytes after `readEnd`, compacting or growing the buffer when it is full.
    /// Returns false at the end of the stream.
    private func fill(deadline: Deadline) throws(ExchangeFailure) -> Bool {
        if readStart == readEnd {
            readStart = 0
            readEnd = 0
        }
        if readEnd == readBuffer.count {
            if readStart > 0 {
                let live = readEnd - readStart
                memmove(readBuffer.baseAddress!, readBuffer.baseAddress! + readStart, live)
                readStart = 0
                readEnd = live
            } else {
                // Only a head or chunk line longer than the buffer gets here; both are bounded.
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: readBuffer.count * 2, alignment: 16)
                grown.copyMemory(from: UnsafeRawBufferPointer(readBuffer))
                readBuffer.deallocate()
                readBuffer = grown
            }
        }
        let space = UnsafeMutableRawBufferPointer(rebasing: readBuffer[readEnd...])
        let n: Int
        do throws(TransportFailure) {
            if let tls {
                n = try tls.read(into: space, until: deadline)
            } else {
                n = try SocketIO.receive(fd, into: space, until: deadline)
            }
        } catch {
            throw .transport(error, .receiving)
        }
        readEnd += n
        bytesReceived += n
        return n > 0
    }

    /// A premature end of stream: retryable on a reused connection when nothing arrived.
    private var endOfStream: ExchangeFailure {
        .transport(.peerClosed(bytesReceived == 0 ? "end of stream" : "end of stream inside the response"), .receiving)
    }

    /// The next line without its CRLF (a bare LF is tolerated, RFC 9112 §2.2), consumed from
    /// the buffer. Valid until the next read.
    private func readLine(limit: Int, deadline: Deadline) throws(ExchangeFailure) -> UnsafeRawBufferPointer {
        var scanned = readStart
        while true {
            let live = UnsafeRawBufferPointer(rebasing: readBuffer[scanned..<readEnd])
            if let i = live.firstIndex(of: 0x0a) {
                let lf = scanned + i
                var end = lf
                if end > readStart && readBuffer[end - 1] == 0x0d { end -= 1 }
                guard end - readStart <= limit else { throw lineTooLong(limit) }
                let line = UnsafeRawBufferPointer(rebasing: readBuffer[readStart..<end])
                readStart = lf + 1
                return line
            }
            if readEnd - readStart > limit + 2 { throw lineTooLong(limit) }
            let offset = readEnd - readStart // scanned up to here: no LF
            guard try fill(deadline: deadline) else { throw endOfStream }
            scanned = readStart + offset // fill may have moved the live bytes to 0
        }
    }

    private func lineTooLong(_ limit: Int) -> ExchangeFailure {
        .malformed("line longer than \(max(limit, 0)) bytes (response head limit \(AgentTransportLimits.maxHeadBytes))")
    }

    /// Appends exactly `count` body bytes.
    private func readExactly(_ count: Int, into body: inout [UInt8], deadline: Deadline) throws(ExchangeFailure) {
        var left = count
        while left > 0 {
            if readStart == readEnd {
                guard try fill(deadline: deadline) else { throw endOfStream }
            }
            let take = min(left, readEnd - readStart)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[readStart..<(readStart + take)]))
            readStart += take
            left -= take
        }
    }

    /// Appends the bytes up to the end of the stream, within the body limit.
    private func readToEnd(into body: inout [UInt8], deadline: Deadline) throws(ExchangeFailure) {
        while true {
            if readStart < readEnd {
                guard body.count + (readEnd - readStart) <= maxResponseBodyBytes else {
                    throw .malformed("body exceeds the \(maxResponseBodyBytes)-byte limit")
                }
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[readStart..<readEnd]))
                readStart = readEnd
            }
            guard try fill(deadline: deadline) else { return }
        }
    }

    /// Decodes a chunked body (RFC 9112 §7.1): `size[;ext] CRLF data CRLF … 0 CRLF
    /// trailers CRLF`. Extensions and trailer fields are read and dropped.
    private func readChunked(into body: inout [UInt8], deadline: Deadline) throws(ExchangeFailure) {
        while true {
            let line = try readLine(limit: AgentTransportLimits.maxChunkLineBytes, deadline: deadline)
            var size = 0
            var digits = 0
            for b in line {
                let v: Int
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = Int(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = Int(b - UInt8(ascii: "a")) + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = Int(b - UInt8(ascii: "A")) + 10
                case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"): v = -1
                default: throw .malformed("invalid chunk size line '\(Self.printable(line))'")
                }
                if v < 0 { break }
                digits += 1
                guard digits <= 15 else { throw .malformed("chunk size '\(Self.printable(line))' too large") }
                size = size << 4 | v
            }
            guard digits > 0 else { throw .malformed("invalid chunk size line '\(Self.printable(line))'") }
            if size == 0 { break }
            guard body.count + size <= maxResponseBodyBytes else {
                throw .malformed("chunked body exceeds the \(maxResponseBodyBytes)-byte limit")
            }
            try readExactly(size, into: &body, deadline: deadline)
            guard try readLine(limit: 2, deadline: deadline).isEmpty else { throw .malformed("chunk data not followed by CRLF") }
        }
        var trailerBytes = 0
        while true {
            let line = try readLine(limit: AgentTransportLimits.maxHeadBytes - trailerBytes, deadline: deadline)
            if line.isEmpty { return }
            trailerBytes += line.count + 2
            _ = try parseField(line)
        }
    }

    // MARK: Head syntax

    /// `HTTP/1.x SP 3DIGIT [SP reason]` → (minor version, status, reason).
    private func parseStatusLine(_ line: UnsafeRawBufferPointer) throws(ExchangeFailure) -> (Int, Int, String) {
        let prefix = "HTTP/1.".utf8
        guard line.count >= 12, line.starts(with: prefix),
              let minorDigit = Self.digit(line[7]), line[8] == UInt8(ascii: " "),
              let d0 = Self.digit(line[9]), let d1 = Self.digit(line[10]), let d2 = Self.digit(line[11]),
              d0 >= 1, line.count == 12 || line[12] == UInt8(ascii: " ") else {
            throw .malformed("invalid status line '\(Self.printable(line))'")
        }
        let reason = line.count > 13 ? String(decoding: UnsafeRawBufferPointer(rebasing: line[13...]), as: UTF8.self) : ""
        return (minorDigit, d0 * 100 + d1 * 10 + d2, reason)
    }

    /// `name: value` with the name lower-cased and the value trimmed of spaces and tabs.
    private func parseField(_ line: UnsafeRawBufferPointer) throws(ExchangeFailure) -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              line[..<colon].allSatisfy(Self.isTokenByte) else {
            throw .malformed("invalid header line '\(Self.printable(line))'")
        }
        let name = String(decoding: line[..<colon].map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
        var lo = colon + 1
        var hi = line.count
        while lo < hi && (line[lo] == 0x20 || line[lo] == 0x09) { lo += 1 }
        while hi > lo && (line[hi - 1] == 0x20 || line[hi - 1] == 0x09) { hi -= 1 }
        return (name, String(decoding: UnsafeRawBufferPointer(rebasing: line[lo..<hi]), as: UTF8.self))
    }

    /// Decimal digits only (a list of identical values is accepted, RFC 9110 §8.6).
    private func parseContentLength(_ value: String) throws(ExchangeFailure) -> Int {
        var result: Int?
        for part in value.split(separator: ",") {
            let digits = part.utf8.drop { $0 == 0x20 || $0 == 0x09 }.prefix { $0 != 0x20 && $0 != 0x09 }
            guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ Self.digit($0) != nil }),
                  digits.count == part.utf8.filter({ $0 != 0x20 && $0 != 0x09 }).count else {
                throw .malformed("invalid Content-Length '\(value)'")
            }
            let n = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if let result, result != n { throw .malformed("invalid Content-Length '\(value)'") }
            result = n
        }
        guard let result else { throw .malformed("empty Content-Length") }
        return result
    }

    /// Comma-separated tokens, trimmed and lower-cased.
    static func tokens(_ value: String) -> [String] {
        value.split(separator: ",").map { AgentHTTPResponse.lowercased(String($0).trimmingSpaces) }.filter { !$0.isEmpty }
    }

    /// The value of an ASCII decimal digit, or `nil`.
    static func digit(_ b: UInt8) -> Int? {
        b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") ? Int(b - UInt8(ascii: "0")) : nil
    }

    /// Up to 80 bytes with control bytes escaped, for error messages.
    static func printable(_ bytes: UnsafeRawBufferPointer) -> String {
        var s = ""
        for b in bytes.prefix(80) {
            if b >= 0x20 && b < 0x7f { s.unicodeScalars.append(Unicode.Scalar(b)) } else { s += "\\x" + String(b, radix: 16) }
        }
        return bytes.count > 80 ? s + "…" : s
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        let u = utf8
        let start = u.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? u.endIndex
        let end = u.lastIndex { $0 != 0x20 && $0 != 0x09 }.map { u.index(after: $0) } ?? start
        return start < end ? String(self[start..<end]) : ""
    }
}
