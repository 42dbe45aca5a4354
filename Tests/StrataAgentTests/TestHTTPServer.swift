import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One request as the in-process test server parsed it.
struct ReceivedRequest: Sendable {
    var method: String
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]
    /// 0-based index of the TCP connection (in accept order) and of the request on it.
    var connection: Int
    var index: Int

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// What the test server does with a request.
enum Reply: Sendable {
    /// Writes the bytes and waits for the next request on the same connection.
    case respond([UInt8])
    /// Writes the bytes and closes the connection.
    case respondAndClose([UInt8])
    /// Closes the connection without answering (a server that closed an idle connection
    /// just as the request arrived).
    case closeWithoutResponse
    /// Answers nothing and keeps the connection open until the client goes away.
    case hang
}

/// A tiny blocking HTTP/1.1 server on 127.0.0.1 (or ::1): a thread per connection, a script
/// (`handler`) deciding each reply. Counts accepted connections and records requests.
final class TestHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let handler: @Sendable (ReceivedRequest) -> Reply
    private let lock = NSLock()
    private var acceptedCount = 0
    private var received: [ReceivedRequest] = []
    private var live: Set<Int32> = []
    private let connectionEnded = DispatchSemaphore(value: 0)

    init(ipv6: Bool = false, handler: @escaping @Sendable (ReceivedRequest) -> Reply) {
        self.handler = handler
        let listener = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(listener >= 0, "socket: \(errno)")
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if ipv6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_addr = in6addr_loopback
            let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
            precondition(rc == 0, "bind: \(errno)")
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            precondition(rc == 0, "bind: \(errno)")
        }
        precondition(listen(listener, 64) == 0, "listen: \(errno)")
        self.listener = listener
        port = TestHTTPServer.boundPort(listener)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { p in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// Connections accepted so far.
    var accepted: Int { lock.withLock { acceptedCount } }
    /// Requests received so far, in arrival order.
    var requests: [ReceivedRequest] { lock.withLock { received } }

    /// Shuts down every open connection (the server side of an idle-timeout close).
    func closeOpenConnections() {
        lock.withLock { for fd in live { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    /// Waits until a connection handler has finished (its socket is closed).
    func waitForConnectionEnd(seconds: Double = 5) -> Bool {
        connectionEnded.wait(timeout: .now() + seconds) == .success
    }

    /// Stops accepting and closes every connection.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR)) // wakes accept(); the accept loop closes it
        closeOpenConnections()
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            let index = lock.withLock { () -> Int in
                acceptedCount += 1
                live.insert(fd)
                return acceptedCount - 1
            }
            Thread.detachNewThread { [self] in serve(fd, connection: index) }
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        defer {
            lock.withLock { _ = live.remove(fd) }
            close(fd)
            connectionEnded.signal()
        }
        var pending: [UInt8] = []
        var index = 0
        while var request = readRequest(fd, &pending) {
            request.connection = connection
            request.index = index
            index += 1
            lock.withLock { received.append(request) }
            switch handler(request) {
            case .respond(let bytes):
                guard writeAll(fd, bytes) else { return }
            case .respondAndClose(let bytes):
                _ = writeAll(fd, bytes)
                return
            case .closeWithoutResponse:
                return
            case .hang:
                var b = [UInt8](repeating: 0, count: 4096)
                while recv(fd, &b, b.count, 0) > 0 {}
                return
            }
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Reads one request (head + Content-Length body); nil at EOF.
    private func readRequest(_ fd: Int32, _ pending: inout [UInt8]) -> ReceivedRequest? {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        func more() -> Bool {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return false }
            pending.append(contentsOf: chunk[0..<n])
            return true
        }
        let crlf2: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if pending.count >= 4 {
                for i in 0...(pending.count - 4) where pending[i] == 13 && Array(pending[i..<(i + 4)]) == crlf2 { headEnd = i; break }
            }
            if headEnd == nil && !more() { return nil }
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        let headers = lines.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "")
        }
        pending.removeFirst(headEnd! + 4)
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        while pending.count < length { if !more() { return nil } }
        let body = Array(pending[0..<length])
        pending.removeFirst(length)
        return ReceivedRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
                               body: body, connection: 0, index: 0)
    }
}

/// An HTTP/1.1 response with a Content-Length.
func httpResponse(status: Int = 200, reason: String = "OK", headers: [(String, String)] = [], body: [UInt8] = []) -> [UInt8] {
    var s = "HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(body.count)\r\n"
    for (k, v) in headers { s += "\(k): \(v)\r\n" }
    s += "\r\n"
    return Array(s.utf8) + body
}

/// Milliseconds taken by `body`.
func elapsedMillis(_ body: () -> Void) -> Int {
    let start = DispatchTime.now()
    body()
    return Int((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
}
