#if canImport(Glibc)
import Glibc
#endif

/// How a socket or TLS operation failed, before `AgentHTTPConnection` adds the peer and the
/// phase to turn it into an `AgentTransportError`.
enum TransportFailure: Error {
    /// The deadline passed while waiting for the socket.
    case timeout
    /// The peer closed or reset the connection (EOF where data was needed, ECONNRESET, EPIPE).
    /// On a reused connection before any response byte, this is the idle-close race.
    case peerClosed(String)
    /// Any other system call failure, as `"recv: <strerror>"`.
    case system(String)
    /// A TLS failure (handshake, verification, record layer), already phrased.
    case tls(String)
}

/// Non-blocking socket primitives bounded by a `Deadline`. The descriptors are always in
/// O_NONBLOCK mode; every wait is a `poll`. Writes use MSG_NOSIGNAL so a closed peer is an
/// EPIPE error, never a SIGPIPE that kills the agent.
enum SocketIO {
    /// `strerror` text for an errno value.
    static func text(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Waits until `fd` reports one of `events` (or an error/hang-up, which the next call
    /// then reports) or the deadline passes.
    static func wait(_ fd: Int32, for events: Int16, until deadline: Deadline) throws(TransportFailure) {
        while true {
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, deadline.remainingMillis)
            if r > 0 { return }
            if r == 0 {
                if deadline.hasPassed { throw .timeout }
                continue
            }
            let e = errno
            if e == EINTR { continue }
            throw .system("poll: \(text(e))")
        }
    }

    /// Sends `first` then `second` completely, with one `sendmsg` per readiness (the request
    /// head and body leave in one segment when they fit). `sent` counts the bytes written so
    /// far, also when this throws.
    static func sendAll(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                        sent: inout Int, until deadline: Deadline) throws(TransportFailure) {
        let total = first.count + second.count
        var done = 0
        while done < total {
            var iov = (iovec(), iovec())
            var count = 0
            withUnsafeMutableBytes(of: &iov) { raw in
                let v = raw.bindMemory(to: iovec.self)
                if done < first.count {
                    v[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress! + done), iov_len: first.count - done)
                    count += 1
                }
                let secondDone = max(0, done - first.count)
                if second.count > secondDone {
                    v[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress! + secondDone), iov_len: second.count - secondDone)
                    count += 1
                }
            }
            let n = withUnsafeMutableBytes(of: &iov) { raw -> Int in
                var msg = msghdr()
                msg.msg_iov = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
                msg.msg_iovlen = count
                return sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
            }
            if n >= 0 {
                done += n
                sent += n
                continue
            }
            let e = errno
            switch e {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(fd, for: Int16(POLLOUT), until: deadline)
            case EPIPE, ECONNRESET: throw .peerClosed(text(e))
            default: throw .system("send: \(text(e))")
            }
        }
    }

    /// Sends all of `bytes` (used for TLS records).
    static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, until deadline: Deadline) throws(TransportFailure) {
        var sent = 0
        try sendAll(fd, bytes, UnsafeRawBufferPointer(start: nil, count: 0), sent: &sent, until: deadline)
    }

    /// Reads what is available (waiting for at least one byte until the deadline) into
    /// `buffer`. Returns 0 at end of stream; a reset connection throws `peerClosed`.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline) throws(TransportFailure) -> Int {
        precondition(buffer.count > 0, "BUG: receive into an empty buffer")
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            let e = errno
            switch e {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(fd, for: Int16(POLLIN), until: deadline)
            case ECONNRESET: throw .peerClosed(text(e))
            default: throw .system("recv: \(text(e))")
            }
        }
    }

    /// Whether an idle connection (no request outstanding) was closed by the peer or holds
    /// unexpected bytes: either way it must not carry the next request. One non-blocking peek.
    static func idleConnectionIsStale(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n < 0 { return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) }
        return true // 0: orderly close; > 0: bytes nobody asked for.
    }
}
