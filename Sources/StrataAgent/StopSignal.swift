#if canImport(Glibc)
import StrataIO
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-shot "stop" every thread of an input can wait on beside its socket: a pipe whose read
/// end becomes readable, for good, once `fire()` writes to it. Every `poll` that includes it
/// then returns at once, so a thread blocked on a quiet socket notices the stop immediately,
/// without closing a descriptor another thread may still be using.
final class StopSignal: @unchecked Sendable {
    /// The end to poll for `POLLIN`; never read, so it stays readable after `fire()`.
    let readFD: Int32
    private let writeFD: Int32
    private let lock = ConditionLock()
    private var fired = false

    /// - Throws: `AgentInputError.socket` if the system has no descriptor left for the pipe.
    init(input: String) throws(AgentInputError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .socket(input: input, call: "pipe", errno: errno) }
        readFD = fds[0]
        writeFD = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Whether `fire()` was called.
    var isFired: Bool { lock.withLock { fired } }

    /// Sleeps up to `millis`, or until `fire()`.
    /// - Returns: true if the signal fired.
    func wait(millis: Int) -> Bool {
        var p = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, Int32(clamping: millis)) > 0 || isFired
    }

    /// Wakes every current and future waiter. Idempotent.
    func fire() {
        let first = lock.withLock {
            defer { fired = true }
            return !fired
        }
        guard first else { return }
        var b: UInt8 = 1
        _ = write(writeFD, &b, 1)
    }
}
