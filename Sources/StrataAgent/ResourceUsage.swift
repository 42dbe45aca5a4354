#if canImport(Glibc)
import Glibc
#endif

/// The agent's own resource use, for heartbeats and the benchmark: resident memory and CPU time.
public struct ResourceUsage: Sendable {
    /// Resident set size in bytes (second field of `/proc/self/statm`, in pages).
    public var rssBytes: Int
    /// User plus system CPU time in nanoseconds (`getrusage`).
    public var cpuNanos: Int64

    public static func current() -> ResourceUsage {
        var rss = 0
        if let f = fopen("/proc/self/statm", "r") {
            var buf = [CChar](repeating: 0, count: 128)
            if fgets(&buf, 128, f) != nil {
                let parts = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.split(separator: " ")
                if parts.count >= 2, let pages = Int(parts[1]) { rss = pages * Int(sysconf(Int32(_SC_PAGESIZE))) }
            }
            fclose(f)
        }
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        let cpu = Int64(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1_000_000_000 + Int64(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000
        return ResourceUsage(rssBytes: rss, cpuNanos: cpu)
    }
}
