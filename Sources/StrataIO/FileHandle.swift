#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An I/O failure, with the path and the failing system call.
public struct IOError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    /// Whether the failure means the device is full (back-pressure, not corruption).
    public var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT || errno == EFBIG }

    public var description: String {
        "\(path): \(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// An open file descriptor with checked, retrying reads and writes.
///
/// Every write loops until all bytes are written (or throws); `sync()` is `fsync(2)`.
/// The descriptor is closed on `close()` or deinit.
public final class FileHandle: @unchecked Sendable {
    public let path: String
    public private(set) var fd: Int32

    /// Opens `path` with `flags` (e.g. `O_RDONLY`, `O_WRONLY | O_CREAT | O_EXCL`).
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(IOError) {
        self.path = path
        let fd = open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw IOError(path: path, operation: "open", errno: errno) }
        self.fd = fd
    }

    deinit { if fd >= 0 { _ = Glibc.close(fd) } }

    /// Closes the descriptor.
    public func close() throws(IOError) {
        guard fd >= 0 else { return }
        let r = Glibc.close(fd)
        fd = -1
        if r != 0 { throw IOError(path: path, operation: "close", errno: errno) }
    }

    /// Appends all of `bytes` at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    /// Appends all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(IOError) {
        guard !bytes.isEmpty else { return }
        let result: IOError? = bytes.withUnsafeBytes { p in
            do throws(IOError) { try write(p); return nil } catch { return error }
        }
        if let result { throw result }
    }

    /// Writes all of `bytes` at `offset` (`pwrite`, retried on `EINTR` and short writes); the
    /// file position is left alone.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(IOError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(path: path, operation: "pwrite", errno: errno)
            }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: Int) throws(IOError) {
        guard !bytes.isEmpty else { return }
        let result: IOError? = bytes.withUnsafeBytes { p in
            do throws(IOError) { try write(p, at: offset); return nil } catch { return error }
        }
        if let result { throw result }
    }

    /// Fills `buffer` from `offset` (`pread`); returns the bytes read, fewer only at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(path: path, operation: "pread", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    public func read(at offset: Int, count: Int) throws(IOError) -> [UInt8] {
        var failure: IOError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(IOError) {
                initialized = try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Takes an exclusive `flock` without waiting; false when another descriptor holds it.
    public func tryLockExclusive() throws(IOError) -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw IOError(path: path, operation: "flock", errno: errno)
    }

    /// Flushes data and metadata to stable storage (`fsync`).
    public func sync() throws(IOError) {
        if fsync(fd) != 0 { throw IOError(path: path, operation: "fsync", errno: errno) }
    }

    /// Flushes data (`fdatasync`): enough for appends to a preallocated or already-sized file.
    public func syncData() throws(IOError) {
        if fdatasync(fd) != 0 { throw IOError(path: path, operation: "fdatasync", errno: errno) }
    }

    /// Truncates the file to `size` bytes.
    public func truncate(to size: Int) throws(IOError) {
        if ftruncate(fd, off_t(size)) != 0 { throw IOError(path: path, operation: "ftruncate", errno: errno) }
    }

    /// Moves the file position to `offset`.
    public func seek(to offset: Int) throws(IOError) {
        if lseek(fd, off_t(offset), SEEK_SET) < 0 { throw IOError(path: path, operation: "lseek", errno: errno) }
    }

    /// The file's current size.
    public func size() throws(IOError) -> Int {
        var st = stat()
        if fstat(fd, &st) != 0 { throw IOError(path: path, operation: "fstat", errno: errno) }
        return Int(st.st_size)
    }
}
