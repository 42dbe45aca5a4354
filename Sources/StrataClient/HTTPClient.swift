import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a TCP socket, for `strata query --server` and for tests that
/// talk to a running server the way any client does. One request per connection
/// (`Connection: close`); the response is read to EOF; chunked bodies are decoded.
public struct HTTPClient: Sendable {
    public struct Response {
        public var status: Int
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum Failure: Error, CustomStringConvertible {
        case connect(host: String, port: Int, errno: Int32)
        case io(String)
        case malformed(String)
        public var description: String {
            switch self {
            case .connect(let h, let p, let e): "connect to \(h):\(p) failed: \(String(cString: strerror(e)))"
            case .io(let s): "I/O: \(s)"
            case .malformed(let s): "malformed response: \(s)"
            }
        }
    }

    public let host: String
    public let port: Int
    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    public func get(_ path: String) throws -> Response { try request("GET", path) }

    public func post(_ path: String, _ body: [UInt8], headers: [String: String] = [:]) throws -> Response {
        try request("POST", path, headers: headers, body: body)
    }

    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> Response {
        let fd = try connectTCP(host: host, port: port)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        try sendAll(fd, Array(head.utf8) + body, tolerateClose: true)
        var raw = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { if errno == EINTR { continue }; throw Failure.io("recv: errno \(errno)") }
            if n == 0 { break }
            raw.append(contentsOf: buf[0..<n])
        }
        return try Self.parse(raw)
    }


    public static func parse(_ raw: [UInt8]) throws -> Response {
        guard let end = (0..<max(0, raw.count - 3)).first(where: { raw[$0] == 13 && raw[$0 + 1] == 10 && raw[$0 + 2] == 13 && raw[$0 + 3] == 10 }) else {
            throw Failure.malformed("no end of headers in \(raw.count) bytes")
        }
        let lines = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.malformed("status line '\(lines[0])'") }
        var headers = [String: String]()
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var out = [UInt8](), i = 0
            while i < body.count {
                guard let lineEnd = (i..<(body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }),
                      let size = Int(String(decoding: body[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) else {
                    throw Failure.malformed("bad chunk header")
                }
                if size == 0 { break }
                out.append(contentsOf: body[(lineEnd + 2)..<(lineEnd + 2 + size)])
                i = lineEnd + 2 + size + 2
            }
            body = out
        }
        return Response(status: status, headers: headers, body: body)
    }
}

/// Sends `bytes` over a new TCP connection to 127.0.0.1:`port`, then reads until `complete`
/// says the answer is whole (or the peer closes); returns what was read.
public func tcpExchange(port: Int, send bytes: [UInt8], until complete: ([UInt8]) -> Bool) throws -> [UInt8] {
    let fd = try connectTCP(host: "127.0.0.1", port: port)
    defer { close(fd) }
    try sendAll(fd, bytes)
    var got = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 4096)
    while !complete(got) {
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        got.append(contentsOf: buf[0..<n])
    }
    return got
}

/// A TCP socket connected to `host` (a name or an address, IPv4 or IPv6) and `port`; the
/// caller closes it.
public func connectTCP(host: String, port: Int) throws -> Int32 {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var res: UnsafeMutablePointer<addrinfo>?
    let gai = getaddrinfo(host, String(port), &hints, &res)
    guard gai == 0, let first = res else { throw HTTPClient.Failure.io("cannot resolve \(host): \(String(cString: gai_strerror(gai)))") }
    defer { freeaddrinfo(res) }
    var lastErrno: Int32 = 0
    var ai: UnsafeMutablePointer<addrinfo>? = first
    while let a = ai {
        let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
        if fd >= 0 {
            if connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
            lastErrno = errno
            close(fd)
        } else {
            lastErrno = errno
        }
        ai = a.pointee.ai_next
    }
    throw HTTPClient.Failure.connect(host: host, port: port, errno: lastErrno)
}

/// Writes all of `bytes`; with `tolerateClose`, a peer that closed early (it may answer 413
/// before reading a whole body) is not an error.
public func sendAll(_ fd: Int32, _ bytes: [UInt8], tolerateClose: Bool = false) throws {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
        if n < 0 {
            if errno == EINTR { continue }
            if tolerateClose && (errno == EPIPE || errno == ECONNRESET) { return }
            throw HTTPClient.Failure.io("send: errno \(errno)")
        }
        off += n
    }
}
