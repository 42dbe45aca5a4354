import StrataIO

/// What the network inputs (syslog, HTTP) share once bound: their threads, the stop signal and
/// the TCP accept loop, and the connection counts that outlive it.
///
/// Invariants: `stop()` fires the signal, wakes the accept loop and returns only after every
/// thread spawned through `threads` has ended; it is idempotent. After it, `connectionCounts`
/// keeps the final counts (the loop itself is dropped, which breaks the cycle
/// input → loop → connection handler → input).
final class ListenerLifecycle: @unchecked Sendable {
    let threads = ThreadGroup()
    private let lock = ConditionLock()
    private var stopSignal: StopSignal?
    private var acceptLoop: TCPAcceptLoop?
    private var finalCounts: (active: Int, accepted: Int) = (0, 0)
    private var started = false

    /// Succeeds once: an input is started at most once, and never restarted.
    func claimStart(input: String) throws(AgentInputError) {
        let first = lock.withLock {
            defer { started = true }
            return !started
        }
        guard first else { throw .alreadyStarted(input: input) }
    }

    /// Records the signal `stop()` fires.
    func running(until stop: StopSignal) {
        lock.withLock { stopSignal = stop }
    }

    /// Accepts connections on `listener` on a thread named `acceptThread`; each connection is
    /// served by `handle` on a thread of its own named `connectionThread`. Closes the listener
    /// if the accept thread cannot start.
    func accept(on listener: PosixSocket, input: String, acceptThread: String, connectionThread: String, maxConnections: Int,
                stop: StopSignal, handle: @escaping @Sendable (PosixSocket) -> Void) throws(AgentInputError) {
        let loop = TCPAcceptLoop(listener: listener, name: input, threadName: connectionThread, maxConnections: maxConnections,
                                 stop: stop, threads: threads, handle: handle)
        do throws(AgentInputError) {
            try threads.spawn(name: acceptThread) { loop.run() }
        } catch {
            listener.close()
            throw error
        }
        lock.withLock { acceptLoop = loop }
    }

    /// Stops the input's threads and waits for them (see the type's invariants).
    func stop() {
        let (stop, loop) = lock.withLock { (stopSignal, acceptLoop) }
        stop?.fire()
        loop?.wakeUp()
        threads.waitForAll()
        lock.withLock {
            if let counts = acceptLoop?.connectionCounts { finalCounts = counts }
            acceptLoop = nil
            stopSignal = nil
        }
    }

    /// Connections being served now and accepted since the start (the final counts once stopped).
    var connectionCounts: (active: Int, accepted: Int) {
        let loop = lock.withLock { acceptLoop }
        return loop?.connectionCounts ?? lock.withLock { finalCounts }
    }
}
