#if canImport(Glibc)
import StrataIO
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Accepts connections on a listening socket and serves each on its own thread, at most
/// `maxConnections` at once: further clients wait in the kernel's accept queue (their sends
/// fill the socket buffers and then block), which slows senders down instead of refusing them.
///
/// `run()` is the accept thread's body; it returns (and closes the listener) once `stop`
/// fires. Connection threads run in `threads`, so the owner's `threads.waitForAll()` also
/// waits for them. Every connection is closed by this loop after its handler returns.
final class TCPAcceptLoop: @unchecked Sendable {
    /// Names the listener in thread names and errors (`syslog tcp 127.0.0.1:514`).
    let name: String
    let maxConnections: Int
    private let listener: PosixSocket
    private let stop: StopSignal
    private let threads: ThreadGroup
    private let threadName: String
    private let handle: @Sendable (PosixSocket) -> Void
    private let lock = ConditionLock()
    private var active = 0
    private var accepted = 0

    /// - Parameters:
    ///   - threadName: the connection threads' name (≤ 15 bytes shown).
    ///   - handle: serves one connection; runs on that connection's thread and returns when
    ///     the client is done or `stop` fired. It must not close the socket.
    init(listener: PosixSocket, name: String, threadName: String, maxConnections: Int, stop: StopSignal,
         threads: ThreadGroup, handle: @escaping @Sendable (PosixSocket) -> Void) {
        precondition(maxConnections > 0, "BUG: maxConnections \(maxConnections)")
        self.listener = listener
        self.name = name
        self.threadName = threadName
        self.maxConnections = maxConnections
        self.stop = stop
        self.threads = threads
        self.handle = handle
    }

    /// Connections being served now, and accepted since the start.
    var connectionCounts: (active: Int, accepted: Int) { lock.withLock { (active, accepted) } }

    /// Wakes the accept thread if it is waiting for a free connection slot (call after `stop.fire()`).
    func wakeUp() { lock.withLock { lock.broadcast() } }

    /// The accept thread's body.
    func run() {
        defer { listener.close() }
        while true {
            let full = lock.withLock {
                while active >= maxConnections && !stop.isFired { lock.wait() }
                return stop.isFired
            }
            if full { return }
            switch listener.wait(for: Int16(POLLIN), stop: stop, timeoutMillis: -1) {
            case .stopping: return
            case .timedOut: continue
            case .ready: break
            }
            guard let connection = listener.accept() else {
                // Out of descriptors or memory: the pending client stays queued; retry shortly
                // rather than spinning on a listener that stays readable.
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    if stop.wait(millis: 100) { return }
                }
                continue
            }
            lock.withLock {
                active += 1
                accepted += 1
            }
            do throws(AgentInputError) {
                try threads.spawn(name: threadName) { [self] in
                    handle(connection)
                    connection.close()
                    lock.withLock {
                        active -= 1
                        lock.broadcast()
                    }
                }
            } catch {
                // No thread for it: refuse this client rather than serve it on the accept thread.
                connection.close()
                lock.withLock { active -= 1 }
                if stop.wait(millis: 100) { return }
            }
        }
    }
}
