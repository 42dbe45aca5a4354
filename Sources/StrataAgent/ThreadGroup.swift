#if canImport(Glibc)
import StrataIO
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The threads of one input: each runs detached, and `waitForAll()` returns once every one of
/// them has returned. Connection threads come and go, so counting them (rather than keeping
/// `pthread_t`s to join) lets an input end any number of them without leaking one.
final class ThreadGroup: @unchecked Sendable {
    private let lock = ConditionLock()
    private var running = 0

    init() {}

    /// The number of threads still running.
    var count: Int { lock.withLock { running } }

    /// Starts `body` on a new detached thread; `name` says which in errors.
    /// - Throws: `AgentInputError.thread` when the system refuses another thread; `body` is
    ///   then not run.
    func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws(AgentInputError) {
        lock.withLock { running += 1 }
        let start = ThreadStart { [self] in
            body()
            lock.withLock {
                running -= 1
                lock.broadcast()
            }
        }
        let context = Unmanaged.passRetained(start).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let rc = pthread_create(&thread, &attributes, threadEntry, context)
        if rc != 0 {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            lock.withLock {
                running -= 1
                lock.broadcast()
            }
            throw .thread(name: name, errno: rc)
        }
    }

    /// Blocks until every thread spawned so far has returned.
    func waitForAll() {
        lock.withLock {
            while running > 0 { lock.wait() }
        }
    }
}

/// What a new thread runs, passed through `pthread_create`'s context pointer.
private final class ThreadStart {
    let body: () -> Void
    init(body: @escaping () -> Void) { self.body = body }
}

#if canImport(Glibc)
private func threadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let start = Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue()
    start.body()
    return nil
}
#else
private func threadEntry(_ context: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    let start = Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue()
    start.body()
    return nil
}
#endif
