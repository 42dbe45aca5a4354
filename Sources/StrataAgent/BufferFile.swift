#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor of the disk buffer, with checked, retrying positional reads and writes.
///
/// The agent must stay small and does not link StrataIO (not a library product); this is the
/// part of StrataIO's `FileHandle` the buffer needs, throwing `AgentBufferError` directly.
/// The descriptor is closed by `close()` or deinit.
final class BufferFile {
    /// The path the descriptor was opened with, for error messages.
    let path: String
    /// The descriptor, or -1 once closed.
    private(set) var fd: Int32

    /// Opens `path` with `flags` (`O_CLOEXEC` is added).
    init(path: String, flags: Int32, mode: mode_t = 0o644) throws(AgentBufferError) {
        self.path = path
        let fd = open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw AgentBufferError.system("open", path) }
        self.fd = fd
    }

    deinit { if fd >= 0 { _ = systemClose(fd) } }

    /// Closes the descriptor; a second call does nothing.
    func close() {
        guard fd >= 0 else { return }
        _ = systemClose(fd)
        fd = -1
    }

    /// Writes all of `bytes` at `offset` (`pwrite`, retried on `EINTR` and short writes).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(AgentBufferError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentBufferError.system("pwrite", path)
            }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: Int) throws(AgentBufferError) {
        let result: Result<Void, AgentBufferError> = bytes.withUnsafeBytes { p in
            do throws(AgentBufferError) { return .success(try write(p, at: offset)) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Fills `buffer` from `offset` (`pread`); returns the bytes read, fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AgentBufferError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentBufferError.system("pread", path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads `count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int, count: Int) throws(AgentBufferError) -> [UInt8] {
        var failure: AgentBufferError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(AgentBufferError) {
                initialized = try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// `fdatasync`: makes written data (and the size) durable.
    func syncData() throws(AgentBufferError) {
        if fdatasync(fd) != 0 { throw AgentBufferError.system("fdatasync", path) }
    }

    /// `fsync`: makes data and all metadata durable.
    func sync() throws(AgentBufferError) {
        if fsync(fd) != 0 { throw AgentBufferError.system("fsync", path) }
    }

    /// Truncates the file to `size` bytes.
    func truncate(to size: Int) throws(AgentBufferError) {
        if ftruncate(fd, off_t(size)) != 0 { throw AgentBufferError.system("ftruncate", path) }
    }

    /// The file's current size.
    func size() throws(AgentBufferError) -> Int {
        var st = stat()
        if fstat(fd, &st) != 0 { throw AgentBufferError.system("fstat", path) }
        return Int(st.st_size)
    }

    /// Takes an exclusive `flock` without waiting; false when another descriptor holds it.
    func tryLockExclusive() throws(AgentBufferError) -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw AgentBufferError.system("flock", path)
    }

    // MARK: - Whole files and directories

    /// Reads the whole file at `path`.
    static func readAll(_ path: String) throws(AgentBufferError) -> [UInt8] {
        let f = try BufferFile(path: path, flags: O_RDONLY)
        return try f.read(at: 0, count: try f.size())
    }

    /// Creates `path` and its parents; succeeds if it exists.
    static func createDirectory(_ path: String) throws(AgentBufferError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw AgentBufferError.system("mkdir", prefix) }
        }
    }

    /// Names of the entries of directory `path` (without `.` and `..`), sorted.
    static func listDirectory(_ path: String) throws(AgentBufferError) -> [String] {
        guard let dir = opendir(path) else { throw AgentBufferError.system("opendir", path) }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// fsyncs directory `path`, so creations, renames and deletions in it are durable.
    static func syncDirectory(_ path: String) throws(AgentBufferError) {
        try BufferFile(path: path, flags: O_RDONLY | O_DIRECTORY).sync()
    }

    /// Replaces `path` atomically and durably: write `path.tmp`, fsync it, rename it over
    /// `path`, fsync the directory. A crash leaves the old or the new file, never a mix.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(AgentBufferError) {
        let tmp = path + ".tmp"
        let f = try BufferFile(path: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try f.write(bytes, at: 0)
        try f.sync()
        f.close()
        try rename(tmp, path)
        try syncDirectory(directory)
    }

    /// Renames `from` to `to`, replacing `to`.
    static func rename(_ from: String, _ to: String) throws(AgentBufferError) {
        if systemRename(from, to) != 0 { throw AgentBufferError.system("rename to \(to)", from) }
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) throws(AgentBufferError) {
        if unlink(path) != 0 && errno != ENOENT { throw AgentBufferError.system("unlink", path) }
    }

    /// Whether anything exists at `path`.
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }
}

/// The C library's `close`, named apart from `BufferFile.close()`.
private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}

/// The C library's `rename`, named apart from `BufferFile.rename(_:_:)`.
private func systemRename(_ from: String, _ to: String) -> Int32 {
    #if canImport(Glibc)
    Glibc.rename(from, to)
    #else
    Darwin.rename(from, to)
    #endif
}
