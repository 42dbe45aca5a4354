#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the monotonic clock by which a blocking operation must have finished.
///
/// Every wait in the transport is a `poll` bounded by the time left to one deadline, so a peer
/// that stops answering costs at most the configured timeout, never an unbounded block.
struct Deadline {
    /// Monotonic nanoseconds.
    let nanos: UInt64

    /// The deadline `millis` milliseconds from now (negative values mean "already passed").
    init(millisFromNow millis: Int) {
        nanos = Deadline.nowNanos() &+ UInt64(max(millis, 0)) &* 1_000_000
    }

    /// The monotonic clock in nanoseconds (CLOCK_MONOTONIC: immune to wall-clock steps).
    static func nowNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Milliseconds left, rounded up so that a poll never wakes before the deadline; 0 once
    /// it has passed. Clamped to what `poll` takes.
    var remainingMillis: Int32 {
        let now = Deadline.nowNanos()
        guard nanos > now else { return 0 }
        return Int32(clamping: (nanos - now + 999_999) / 1_000_000)
    }

    /// Whether the deadline has passed.
    var hasPassed: Bool { Deadline.nowNanos() >= nanos }
}
