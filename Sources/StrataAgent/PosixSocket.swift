#if canImport(Glibc)
import StrataIO
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking socket descriptor with the few calls the inputs need. It does not own its
/// descriptor: whoever created it calls `close()` once, after every thread using it is done.
/// Waits go through `poll` together with the input's `StopSignal`, so no call blocks past a stop.
struct PosixSocket: Sendable {
    /// The descriptor (not owned: see the type's comment).
    let fd: Int32

    /// The outcome of waiting on the socket.
    enum Wait: Equatable {
        case ready
        case timedOut
        case stopping
    }

    /// A socket bound to `address` (listening when `type` is `SOCK_STREAM`), and its bound port.
    /// - Parameters:
    ///   - type: `SOCK_STREAM` or `SOCK_DGRAM`.
    ///   - receiveBufferBytes: `SO_RCVBUF` to ask for (UDP: a burst waits in the kernel), or nil.
    ///   - input: names the listener in errors (`syslog udp 0.0.0.0:514`).
    /// - Throws: `AgentInputError` for a bad address or a failed `socket`/`bind`/`listen`.
    static func bound(to address: ListenAddress, type: Int32, receiveBufferBytes: Int32? = nil,
                      input: String) throws(AgentInputError) -> (PosixSocket, port: Int) {
        var resolved = try address.resolve(socketType: type)
        let fd = socket(resolved.family, type, 0)
        guard fd >= 0 else { throw .socket(input: input, call: "socket", errno: errno) }
        let s = PosixSocket(fd: fd)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        s.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
        if let receiveBufferBytes { s.setOption(SOL_SOCKET, SO_RCVBUF, receiveBufferBytes) }
        let rc = withUnsafePointer(to: &resolved.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, resolved.length) }
        }
        guard rc == 0 else {
            let e = errno
            s.close()
            throw .socket(input: input, call: "bind", errno: e)
        }
        if type == PosixSocket.stream {
            guard listen(fd, AgentLimits.listenBacklog) == 0 else {
                let e = errno
                s.close()
                throw .socket(input: input, call: "listen", errno: e)
            }
        }
        return (s, s.boundPort())
    }

    /// `SOCK_STREAM` and `SOCK_DGRAM` as `Int32` (Glibc imports them as an enum).
    #if canImport(Glibc)
    static let stream = Int32(SOCK_STREAM.rawValue)
    static let datagram = Int32(SOCK_DGRAM.rawValue)
    #else
    static let stream = SOCK_STREAM
    static let datagram = SOCK_DGRAM
    #endif

    /// Sets an integer socket option; failures are ignored (options are tuning, not correctness).
    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The local port (after binding port 0, the one the system chose).
    func boundPort() -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { Int(UInt16(bigEndian: $0.load(as: sockaddr_in.self).sin_port)) }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { Int(UInt16(bigEndian: $0.load(as: sockaddr_in6.self).sin6_port)) }
        default:
            return 0
        }
    }

    /// Waits until the socket has `events` (`POLLIN`/`POLLOUT`), `timeoutMillis` pass (< 0:
    /// no limit), or `stop` fires. Errors and hang-ups count as ready: the following call reports them.
    func wait(for events: Int16, stop: StopSignal, timeoutMillis: Int) -> Wait {
        let deadline = timeoutMillis < 0 ? Int64.max : Int64(monotonicNanos() / 1_000_000) + Int64(timeoutMillis)
        while true {
            var fds = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: stop.readFD, events: Int16(POLLIN), revents: 0)]
            let left = deadline == Int64.max ? -1 : Int32(clamping: max(0, deadline - Int64(monotonicNanos() / 1_000_000)))
            let n = poll(&fds, 2, left)
            if n < 0 {
                if errno == EINTR { continue }
                return .ready   // the next read or write reports the error
            }
            if fds[1].revents != 0 { return .stopping }
            if fds[0].revents != 0 { return .ready }
            if n == 0 && left >= 0 && Int64(monotonicNanos() / 1_000_000) >= deadline { return .timedOut }
        }
    }

    /// Reads what is available into `buffer` (blocking only if nothing is: wait first).
    /// - Returns: the byte count, 0 at end of stream, -1 on an error (errno says which).
    func receive(into buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, flags)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Reads only what is already buffered, without waiting.
    /// - Returns: the byte count; 0 at end of stream; -1 when nothing is buffered or on an error.
    func receiveNow(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        receive(into: buffer, flags: Int32(MSG_DONTWAIT))
    }

    /// Writes all of `bytes`, waiting (up to `timeoutMillis` for each part) while the peer's
    /// window is full. A stop does not interrupt a write: an answer is finished or times out.
    /// - Returns: false if the peer is gone or too slow; the connection should then be closed.
    func sendAll(_ bytes: UnsafeRawBufferPointer, timeoutMillis: Int) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            if n > 0 {
                sent += n
                continue
            }
            guard n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let r = poll(&p, 1, Int32(clamping: timeoutMillis))
            if r == 0 { return false }
            if r < 0 && errno != EINTR { return false }
        }
        return true
    }

    /// Accepts one pending connection, or nil (the peer left before it was accepted, or a
    /// transient error such as running out of descriptors: the caller waits and retries).
    func accept() -> PosixSocket? {
        #if canImport(Glibc)
        let c = Glibc.accept(fd, nil, nil)
        #else
        let c = Darwin.accept(fd, nil, nil)
        #endif
        if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }
        return c >= 0 ? PosixSocket(fd: c) : nil
    }

    /// Stops further writes; the peer reads end of stream after what was sent.
    func shutdownWrites() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Closes the descriptor; call once, after every thread using it is done.
    func close() {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }
}
