extension AgentHTTPConnection {
    /// Writes the request head into `head`: request line, `Host`, the caller's fields,
    /// `Content-Length`, blank line. Validates everything that could split the message.
    ///
    /// - Throws: `.invalidRequest` for a method that is not a token, a path that is not
    ///   origin-form or `*`, a field name that is not a token, a value with CR, LF or NUL, or
    ///   a framing field (`Content-Length`, `Transfer-Encoding`) the connection owns.
    func buildHead(method: String, path: String, headers: [(String, String)], bodyCount: Int) throws(AgentTransportError) {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw .invalidRequest("method '\(method)' is not an HTTP token")
        }
        guard path == "*" || path.utf8.first == UInt8(ascii: "/"), path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7f }) else {
            throw .invalidRequest("path '\(path)' must start with '/' and contain no spaces or control bytes")
        }
        var callerHost = false
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else {
                throw .invalidRequest("header name '\(name)' is not an HTTP token")
            }
            guard !value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 }) else {
                throw .invalidRequest("value of header '\(name)' contains CR, LF or NUL")
            }
            if Self.equalsLowercased(name, "content-length") || Self.equalsLowercased(name, "transfer-encoding") {
                throw .invalidRequest("header '\(name)' is set by the connection from the body")
            }
            if Self.equalsLowercased(name, "host") { callerHost = true }
        }
        head.removeAll(keepingCapacity: true)
        head.append(contentsOf: method.utf8)
        head.append(UInt8(ascii: " "))
        head.append(contentsOf: path.utf8)
        head.append(contentsOf: " HTTP/1.1\r\n".utf8)
        if !callerHost {
            head.append(contentsOf: "Host: ".utf8)
            head.append(contentsOf: hostHeader)
            head.append(contentsOf: "\r\n".utf8)
        }
        for (name, value) in headers {
            head.append(contentsOf: name.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        // RFC 9110 §8.6: a body-less request of a method that has no body semantics carries
        // no Content-Length; everything else states its length (the store needs no chunking).
        if bodyCount > 0 || !(method == "GET" || method == "HEAD" || method == "DELETE" || method == "OPTIONS") {
            head.append(contentsOf: "Content-Length: ".utf8)
            Self.appendDecimal(bodyCount, to: &head)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "\r\n".utf8)
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// ASCII case-insensitive comparison with an already lower-case literal, without allocating.
    static func equalsLowercased(_ s: String, _ lower: StaticString) -> Bool {
        let l = UnsafeRawBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
        guard s.utf8.count == l.count else { return false }
        return zip(s.utf8, l).allSatisfy { a, b in (a >= 65 && a <= 90 ? a | 0x20 : a) == b }
    }

    /// Appends the decimal digits of a non-negative `n`.
    static func appendDecimal(_ n: Int, to out: inout [UInt8]) {
        precondition(n >= 0, "BUG: negative length")
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            var v = n
            var i = d.count
            repeat {
                i -= 1
                d[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[i...]))
        }
    }
}
