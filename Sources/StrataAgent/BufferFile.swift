import StrataIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file of the disk buffer: StrataIO's `FileHandle` and `FileSystem` with every `IOError`
/// reported as `AgentBufferError.io`, the buffer's one error type (same path, call, errno).
/// The descriptor is closed by `close()` or deinit.
final class BufferFile {
    private let handle: FileHandle
    /// The path the descriptor was opened with, for error messages.
    var path: String { handle.path }

    /// Opens `path` with `flags` (`O_CLOEXEC` is added).
    init(path: String, flags: Int32, mode: mode_t = 0o644) throws(AgentBufferError) {
        handle = try io { () throws(IOError) in try FileHandle(path: path, flags: flags, mode: mode) }
    }

    /// Closes the descriptor; a second call does nothing. A failing close(2) loses nothing the
    /// buffer relies on: durability comes from the fsyncs before it.
    func close() { try? handle.close() }

    /// Writes all of `bytes` at `offset` (`pwrite`, retried on `EINTR` and short writes).
    func write(_ bytes: [UInt8], at offset: Int) throws(AgentBufferError) {
        try io { () throws(IOError) in try handle.write(bytes, at: offset) }
    }

    /// Reads `count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int, count: Int) throws(AgentBufferError) -> [UInt8] {
        try io { () throws(IOError) in try handle.read(at: offset, count: count) }
    }

    /// `fdatasync`: makes written data (and the size) durable.
    func syncData() throws(AgentBufferError) { try io { () throws(IOError) in try handle.syncData() } }

    /// `fsync`: makes data and all metadata durable.
    func sync() throws(AgentBufferError) { try io { () throws(IOError) in try handle.sync() } }

    /// Truncates the file to `size` bytes.
    func truncate(to size: Int) throws(AgentBufferError) { try io { () throws(IOError) in try handle.truncate(to: size) } }

    /// The file's current size.
    func size() throws(AgentBufferError) -> Int { try io { () throws(IOError) in try handle.size() } }

    /// Takes an exclusive `flock` without waiting; false when another descriptor holds it.
    func tryLockExclusive() throws(AgentBufferError) -> Bool { try io { () throws(IOError) in try handle.tryLockExclusive() } }

    // MARK: - Whole files and directories

    /// Reads the whole file at `path`.
    static func readAll(_ path: String) throws(AgentBufferError) -> [UInt8] {
        try io { () throws(IOError) in try FileSystem.readFile(path) }
    }

    /// Creates `path` and its parents; succeeds if it exists.
    static func createDirectory(_ path: String) throws(AgentBufferError) {
        try io { () throws(IOError) in try FileSystem.createDirectory(path) }
    }

    /// Names of the entries of directory `path` (without `.` and `..`), sorted.
    static func listDirectory(_ path: String) throws(AgentBufferError) -> [String] {
        try io { () throws(IOError) in try FileSystem.listDirectory(path) }
    }

    /// fsyncs directory `path`, so creations, renames and deletions in it are durable.
    static func syncDirectory(_ path: String) throws(AgentBufferError) {
        try io { () throws(IOError) in try FileSystem.syncDirectory(path) }
    }

    /// Replaces `path` atomically and durably (`FileSystem.writeAtomically`: temp file, fsync,
    /// rename, fsync of the directory). A crash leaves the old or the new file, never a mix.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(AgentBufferError) {
        try io { () throws(IOError) in try FileSystem.writeAtomically(bytes, to: path) }
    }

    /// Renames `from` to `to`, replacing `to`.
    static func rename(_ from: String, _ to: String) throws(AgentBufferError) {
        try io { () throws(IOError) in try FileSystem.rename(from, to) }
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) throws(AgentBufferError) {
        try io { () throws(IOError) in try FileSystem.removeFile(path) }
    }

    /// Whether anything exists at `path`.
    static func exists(_ path: String) -> Bool { FileSystem.exists(path) }
}

/// Runs `body`, reporting its `IOError` as `AgentBufferError.io`.
private func io<T>(_ body: () throws(IOError) -> T) throws(AgentBufferError) -> T {
    do { return try body() } catch { throw .io(path: error.path, operation: error.operation, errno: error.errno) }
}
