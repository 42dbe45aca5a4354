#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (`flock`) on `DIR/LOCK`, held while a process writes a data directory.
///
/// The kernel releases it when the process dies, so a crash never leaves a stale lock.
public final class DirectoryLock: @unchecked Sendable {
    private let handle: FileHandle

    /// Takes the lock or throws `IOError` with `EWOULDBLOCK` when another process holds it.
    public init(directory: String) throws(IOError) {
        let path = directory + "/LOCK"
        handle = try FileHandle(path: path, flags: O_RDWR | O_CREAT)
        if flock(handle.fd, LOCK_EX | LOCK_NB) != 0 {
            throw IOError(path: path, operation: "lock (is another strata process using this data directory?)", errno: errno)
        }
    }

    /// Releases the lock.
    public func release() {
        _ = flock(handle.fd, LOCK_UN)
    }

    deinit { release() }
}
