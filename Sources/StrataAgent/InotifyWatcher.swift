#if canImport(Glibc)
import Glibc
#endif

/// Directory change notifications from inotify, used only as a wake-up: the tailer re-examines
/// its files after any event and also on a timer, so lost or overflowed events (or no inotify at
/// all, e.g. on some network file systems) only delay reading, never lose lines.
///
/// Invariant: `fd` is non-blocking; `wait` never blocks longer than its timeout.
final class InotifyWatcher {
    private(set) var fd: Int32
    /// Watch descriptor by directory, and back.
    private var watches: [String: Int32] = [:]
    private var names: [Int32: String] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    /// What happened since the last `wait`.
    struct Events {
        /// A file was created or moved into (or out of) a watched directory: re-scan globs.
        var directoryChanged = false
        /// Some file in a watched directory was written to.
        var modified = false
        /// The kernel's event queue overflowed.
        var overflowed = false
    }

    /// Nil when inotify cannot be used (then the tailer polls).
    init?() {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Watches exactly `directories` (adds new ones, removes the others).
    func watch(_ directories: [String]) {
        let wanted = Set(directories)
        for (dir, wd) in watches where !wanted.contains(dir) {
            inotify_rm_watch(fd, wd)
            watches[dir] = nil
            names[wd] = nil
        }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF)
        for dir in directories where watches[dir] == nil {
            let wd = inotify_add_watch(fd, dir, mask)
            if wd >= 0 {
                watches[dir] = wd
                names[wd] = dir
            }
        }
    }

    /// Waits up to `timeoutMillis` for events and drains them all.
    func wait(timeoutMillis: Int32) -> Events {
        var events = Events()
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, timeoutMillis)
        guard r > 0 else { return events }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            buffer.withUnsafeBytes { raw in
                var off = 0
                while off + 16 <= n {
                    let wd = raw.loadUnaligned(fromByteOffset: off, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self)
                    let len = Int(raw.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self))
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { events.overflowed = true; events.directoryChanged = true }
                    if mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                        events.directoryChanged = true
                    }
                    if mask & UInt32(IN_MODIFY) != 0 { events.modified = true }
                    if mask & UInt32(IN_IGNORED) != 0, let dir = names[wd] {
                        watches[dir] = nil
                        names[wd] = nil
                    }
                    off += 16 + len
                }
            }
        }
        return events
    }
}
