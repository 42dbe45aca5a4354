#if canImport(Glibc)
import Glibc
#endif

extension SocketIO {
    /// Resolves `host` (a name, an IPv4 literal, or an IPv6 literal with or without brackets)
    /// and connects to the first address that accepts, trying each in `getaddrinfo` order
    /// (RFC 6724 preference) within one shared deadline. Returns a non-blocking, close-on-exec
    /// TCP socket with TCP_NODELAY set (a request is one write of head and body; Nagle would
    /// only delay the last segment).
    ///
    /// Name resolution itself is `getaddrinfo`'s blocking call and is not bounded by the
    /// deadline (glibc's resolver has its own timeouts, `options timeout:` in resolv.conf).
    ///
    /// - Throws: `.connect` with one reason per address tried, or the timeout.
    static func connect(host: String, port: Int, timeoutMillis: Int) throws(AgentTransportError) -> Int32 {
        let deadline = Deadline(millisFromNow: timeoutMillis)
        let name = AgentHTTPConnection.unbracketed(host)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let why = rc == EAI_SYSTEM ? text(errno) : String(cString: gai_strerror(rc))
            throw .connect(host: host, port: port, reason: "cannot resolve '\(name)': \(why)")
        }
        defer { freeaddrinfo(list) }
        var reasons: [String] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let ai = next {
            next = ai.pointee.ai_next
            let address = numericAddress(ai.pointee.ai_addr, ai.pointee.ai_addrlen)
            if deadline.hasPassed {
                reasons.append("\(address): not tried, connect timeout (\(timeoutMillis) ms) used up")
                continue
            }
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            if fd < 0 {
                reasons.append("\(address): socket: \(text(errno))")
                continue
            }
            switch connectOne(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen, deadline) {
            case 0:
                var one: Int32 = 1
                _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            case ETIMEDOUT where deadline.hasPassed:
                reasons.append("\(address): timed out after \(timeoutMillis) ms")
            case let e:
                reasons.append("\(address): \(text(e))")
            }
            Glibc.close(fd)
        }
        throw .connect(host: host, port: port, reason: reasons.joined(separator: "; "))
    }

    /// Connects `fd` (non-blocking) within the deadline; returns 0 or the errno.
    private static func connectOne(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: socklen_t, _ deadline: Deadline) -> Int32 {
        if Glibc.connect(fd, addr, len) == 0 { return 0 }
        var e = errno
        if e == EINTR { e = EINPROGRESS } // the connect goes on asynchronously
        guard e == EINPROGRESS else { return e }
        do throws(TransportFailure) {
            try wait(fd, for: Int16(POLLOUT), until: deadline)
        } catch {
            if case .timeout = error { return ETIMEDOUT }
            return EIO
        }
        var soError: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size) != 0 { return errno }
        return soError
    }

    /// `127.0.0.1:8080` / `[::1]:8080` for error messages.
    static func numericAddress(_ addr: UnsafeMutablePointer<sockaddr>?, _ len: socklen_t) -> String {
        guard let addr else { return "?" }
        var hostBuf = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var portBuf = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        guard getnameinfo(addr, len, &hostBuf, socklen_t(hostBuf.count), &portBuf, socklen_t(portBuf.count), NI_NUMERICHOST | NI_NUMERICSERV) == 0 else { return "?" }
        let h = String(decoding: hostBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let p = String(decoding: portBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return addr.pointee.sa_family == sa_family_t(AF_INET6) ? "[\(h)]:\(p)" : "\(h):\(p)"
    }

    /// Whether `name` is an IPv4 or IPv6 literal (certificates then name it as an IP SAN, and
    /// RFC 6066 forbids it as SNI).
    static func isIPLiteral(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }
}
