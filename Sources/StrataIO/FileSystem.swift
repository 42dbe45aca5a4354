#if canImport(Glibc)
import Glibc
#endif

/// Directory and whole-file operations with the durability steps Strata relies on.
///
/// `writeAtomically` is the only way Strata replaces a file: write a temp file, fsync it,
/// rename it over the target, fsync the directory. A crash leaves either the old or the new
/// file, never a mix.
public enum FileSystem {
    /// Whether `path` exists.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size of the file at `path`.
    public static func fileSize(_ path: String) throws(IOError) -> Int {
        var st = stat()
        if stat(path, &st) != 0 { throw IOError(path: path, operation: "stat", errno: errno) }
        return Int(st.st_size)
    }

    /// Creates `path` and its parents; succeeds if it exists.
    public static func createDirectory(_ path: String) throws(IOError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for comp in path.split(separator: "/") {
            prefix += comp + "/"
            if !isDirectory(prefix) && mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw IOError(path: prefix, operation: "mkdir", errno: errno)
            }
        }
    }

    /// Names of the entries of directory `path` (without `.` and `..`), sorted.
    public static func listDirectory(_ path: String) throws(IOError) -> [String] {
        guard let dir = opendir(path) else { throw IOError(path: path, operation: "opendir", errno: errno) }
        defer { closedir(dir) }
        var names = [String]()
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Reads a whole file.
    public static func readFile(_ path: String) throws(IOError) -> [UInt8] {
        let h = try FileHandle(path: path, flags: O_RDONLY)
        return try h.read(at: 0, count: try h.size())
    }

    /// fsyncs a directory so that creations, renames and deletions in it are durable.
    public static func syncDirectory(_ path: String) throws(IOError) {
        let h = try FileHandle(path: path, flags: O_RDONLY | O_DIRECTORY)
        try h.sync()
    }

    /// Copies the file `from` to `to` (created or truncated), fsynced; returns the bytes copied.
    /// Not atomic: callers copy to a temporary name and rename.
    @discardableResult
    public static func copyFile(_ from: String, to: String) throws(IOError) -> Int {
        let src = try FileHandle(path: from, flags: O_RDONLY)
        let dst = try FileHandle(path: to, flags: O_WRONLY | O_CREAT | O_TRUNC)
        var offset = 0
        let size = try src.size()
        while offset < size {
            let chunk = try src.read(at: offset, count: min(1 << 20, size - offset))
            if chunk.isEmpty { break }
            try dst.write(chunk)
            offset += chunk.count
        }
        try dst.sync()
        try dst.close()
        try src.close()
        return offset
    }

    /// Writes `bytes` to `path` atomically and durably (temp, fsync, rename, fsync dir).
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(IOError) {
        let tmp = path + ".tmp"
        let h = try FileHandle(path: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try h.write(bytes)
        try h.sync()
        try h.close()
        if Glibc.rename(tmp, path) != 0 { throw IOError(path: path, operation: "rename", errno: errno) }
        try syncDirectory(parent(of: path))
    }

    /// Bytes an unprivileged writer can still use on the file system holding `path`
    /// (`statvfs`: available blocks × fragment size).
    public static func availableBytes(_ path: String) throws(IOError) -> UInt64 {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { throw IOError(path: path, operation: "statvfs", errno: errno) }
        return UInt64(s.f_bavail) &* UInt64(s.f_frsize)
    }

    /// Removes `path` and everything below it (symbolic links are removed, not followed), in
    /// this process: no shell and no fork, whose child would share every open descriptor (and
    /// so every `flock` held) until it execs. A missing path is not an error.
    public static func removeTree(_ path: String) throws(IOError) {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw IOError(path: path, operation: "lstat", errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 && errno != ENOENT { throw IOError(path: path, operation: "rmdir", errno: errno) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw IOError(path: path, operation: "unlink", errno: errno)
        }
    }

    /// Removes a file; a missing file is not an error.
    public static func removeFile(_ path: String) throws(IOError) {
        if unlink(path) != 0 && errno != ENOENT { throw IOError(path: path, operation: "unlink", errno: errno) }
    }

    /// Renames `from` to `to`.
    public static func rename(_ from: String, _ to: String) throws(IOError) {
        if Glibc.rename(from, to) != 0 { throw IOError(path: from, operation: "rename to \(to)", errno: errno) }
    }

    /// The directory part of `path` (`.` when there is none).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
