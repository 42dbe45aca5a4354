#if canImport(Glibc)
import Glibc
#endif

/// A named POSIX thread running one closure; `join()` waits for it. The agent uses a handful of
/// long-lived threads (one per input, the shipper, the clock) instead of a runtime.
final class AgentThread: @unchecked Sendable {
    private var thread: pthread_t?
    private final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }

    /// Starts `body` on a new thread; `name` says what it is for (in crash reports and tests).
    init(name: String, _ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body()
            return nil
        }, box)
        precondition(rc == 0, "BUG: pthread_create failed (\(rc))")
        thread = t
    }

    /// Waits for the thread to finish (once).
    func join() {
        if let t = thread {
            pthread_join(t, nil)
            thread = nil
        }
    }
}

/// Sleeps `nanos` (interrupted sleeps resume).
func sleepNanos(_ nanos: Int64) {
    guard nanos > 0 else { return }
    var ts = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    var left = timespec()
    while nanosleep(&ts, &left) != 0 && errno == EINTR { ts = left }
}
