/// The request line and headers of one HTTP/1.0 or HTTP/1.1 request (RFC 9112), parsed from the
/// bytes before the empty line. Pure over bytes; the connection reads them.
///
/// Accepted: CRLF or bare LF line ends; origin-form (`/api/logs?x`) or absolute-form targets.
/// Refused with 400: a malformed request line, an unsupported version, a header without `:`, a
/// space before the colon or a folded line (both are request-smuggling vectors), a bad or
/// conflicting `Content-Length`. A `Transfer-Encoding` other than `chunked` gets 501.
public struct HTTPRequestHead: Equatable {
    var method: String
    /// The target as sent.
    var target: String
    /// The target's path, without scheme, authority or query.
    var path: String
    /// HTTP/1.0 (connections close after each answer unless the client asks for keep-alive).
    var isHTTP10: Bool
    /// Names lower-cased, values trimmed, in request order.
    var headers: [(name: String, value: String)]
    /// The declared body length (nil: none declared, or chunked).
    var contentLength: Int?
    /// The body is `Transfer-Encoding: chunked`.
    var isChunked: Bool

    public static func == (a: HTTPRequestHead, b: HTTPRequestHead) -> Bool {
        a.method == b.method && a.target == b.target && a.isHTTP10 == b.isHTTP10 && a.contentLength == b.contentLength
            && a.isChunked == b.isChunked && a.headers.elementsEqual(b.headers, by: { $0 == $1 })
    }

    /// The first value of the header `name` (lower-case).
    func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// Whether the connection stays open after the answer: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`.
    var keepAlive: Bool {
        let tokens = headers.filter { $0.name == "connection" }
            .flatMap { $0.value.lowercased().split(separator: ",").map { $0.trimmingSpaces() } }
        return isHTTP10 ? tokens.contains("keep-alive") : !tokens.contains("close")
    }

    /// The client waits for `100 Continue` before sending the body.
    var expectsContinue: Bool { header("expect")?.lowercased() == "100-continue" }

    /// Whether a body follows the head.
    var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }

    /// Parses the head (without the empty line that ends it).
    /// - Throws: the error answer to send (the connection then closes).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPAnswerError) -> HTTPRequestHead {
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split at "\n".
        var lines = [Substring]()
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let line = raw.last == 0x0D ? raw.dropLast() : raw
            lines.append(Substring(String(decoding: UnsafeRawBufferPointer(rebasing: line), as: UTF8.self)))
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { throw bad("empty request") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].utf8.allSatisfy({ isTokenByte($0) }) else {
            throw bad("malformed request line '\(requestLine.prefix(100))'")
        }
        let isHTTP10: Bool
        switch parts[2] {
        case "HTTP/1.1": isHTTP10 = false
        case "HTTP/1.0": isHTTP10 = true
        default: throw bad("unsupported protocol '\(parts[2].prefix(20))' (HTTP/1.0 and HTTP/1.1 are served)")
        }
        var head = HTTPRequestHead(method: String(parts[0]), target: String(parts[1]), path: path(of: parts[1]),
                                   isHTTP10: isHTTP10, headers: [], contentLength: nil, isChunked: false)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw bad("header line without ':' ('\(line.prefix(100))')") }
            let name = line[..<colon]
            guard !name.isEmpty, name.utf8.allSatisfy({ isTokenByte($0) }) else {
                throw bad("malformed header name '\(name.prefix(100))' (no spaces or folding allowed)")
            }
            head.headers.append((name.lowercased(), line[line.index(after: colon)...].trimmingSpaces()))
        }
        try head.readFraming()
        return head
    }

    /// Sets `contentLength` and `isChunked` from the headers.
    private mutating func readFraming() throws(HTTPAnswerError) {
        let codings = headers.filter { $0.name == "transfer-encoding" }
            .flatMap { $0.value.lowercased().split(separator: ",").map { $0.trimmingSpaces() } }
        if !codings.isEmpty {
            guard codings == ["chunked"] else {
                throw HTTPAnswerError(HTTPAnswer.error(.badRequest, "Transfer-Encoding '\(codings.joined(separator: ", "))' is not supported (chunked)",
                                                       status: 501, close: true))
            }
            // Transfer-Encoding wins over Content-Length (RFC 9112 §6.1); the connection closes after.
            isChunked = true
            return
        }
        for h in headers where h.name == "content-length" {
            guard !h.value.isEmpty, h.value.utf8.allSatisfy({ $0 &- 0x30 < 10 }) else { throw Self.bad("bad Content-Length '\(h.value.prefix(30))'") }
            // More than 18 digits is beyond any limit: treat as the largest length.
            let n = h.value.utf8.count > 18 ? Int.max : Int(h.value) ?? Int.max
            if let previous = contentLength, previous != n { throw Self.bad("conflicting Content-Length headers") }
            contentLength = n
        }
    }

    /// `/a/b` from `/a/b?q`, `http://host/a/b?q` or `*`.
    static func path(of target: Substring) -> String {
        var t = target
        if t.hasPrefix("http://") || t.hasPrefix("https://"), let scheme = t.firstRange(of: "://") {
            t = t[scheme.upperBound...]
            t = t.firstIndex(of: "/").map { t[$0...] } ?? "/"
        }
        if let q = t.firstIndex(where: { $0 == "?" || $0 == "#" }) { t = t[..<q] }
        return String(t)
    }

    /// RFC 9110 `tchar`: what a method or a header name may contain.
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }

    /// A 400 answer that closes the connection.
    static func bad(_ message: String) -> HTTPAnswerError {
        HTTPAnswerError(HTTPAnswer.error(.badRequest, message, close: true))
    }
}

/// A request that cannot be served: the answer to send before closing the connection, or
/// none when the connection is gone (closed, reset, idle too long, or the input is stopping).
public struct HTTPAnswerError: Error {
    var answer: HTTPAnswer?
    init(_ answer: HTTPAnswer?) { self.answer = answer }
    /// The connection ended mid-request: close it without answering.
    static let lost = HTTPAnswerError(nil)
}

fileprivate extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingSpaces() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
