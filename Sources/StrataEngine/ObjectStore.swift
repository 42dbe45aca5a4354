import StrataIO
#if canImport(Glibc)
import Glibc
#endif

/// Where the archive tier keeps its objects: a flat namespace of keys (`/`-separated paths)
/// holding immutable files, plus one small mutable object, `MANIFEST`, replaced atomically.
/// A local directory implements it now; an S3-compatible store can later (put/get/list/delete
/// map one to one onto PUT/GET/ListObjectsV2/DELETE).
public protocol ObjectStore: Sendable {
    /// Stores the file at `localPath` under `key`, durably and atomically (readers see the
    /// whole object or none).
    func put(_ key: String, from localPath: String) throws(IOError)
    /// Stores `bytes` under `key`, durably and atomically.
    func put(_ key: String, bytes: [UInt8]) throws(IOError)
    /// Copies the object `key` to the file `localPath` (replacing it). ENOENT if absent.
    func get(_ key: String, to localPath: String) throws(IOError)
    /// The bytes of `key`, or nil if it does not exist.
    func read(_ key: String) throws(IOError) -> [UInt8]?
    /// Keys that start with `prefix`, sorted.
    func list(prefix: String) throws(IOError) -> [String]
    /// Deletes `key` (no error if it does not exist).
    func delete(_ key: String) throws(IOError)
    /// A description for messages (`file:///srv/archive`).
    var location: String { get }
}

/// An `ObjectStore` in a local directory: key `a/b.seg` is the file `ROOT/a/b.seg`. Writes go
/// to a temporary file, are fsynced and renamed into place, and the directory is fsynced.
public struct LocalDirectoryStore: ObjectStore {
    public let root: String

    public init(root: String) throws(IOError) {
        try FileSystem.createDirectory(root)
        self.root = root
    }

    public var location: String { "file://" + root }

    private func path(_ key: String) throws(IOError) -> String {
        guard !key.isEmpty, !key.hasPrefix("/"), !key.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw IOError(path: root + "/" + key, operation: "object key", errno: EINVAL)
        }
        return root + "/" + key
    }

    public func put(_ key: String, from localPath: String) throws(IOError) {
        let dest = try path(key)
        try makeDirectories(for: dest)
        try FileSystem.copyFile(localPath, to: dest + ".tmp")
        try FileSystem.rename(dest + ".tmp", dest)
        try FileSystem.syncDirectory(FileSystem.parent(of: dest))
    }

    public func put(_ key: String, bytes: [UInt8]) throws(IOError) {
        let dest = try path(key)
        try makeDirectories(for: dest)
        try FileSystem.writeAtomically(bytes, to: dest)
    }

    /// Creates the directories above `dest` that are missing, each made durable in its parent.
    private func makeDirectories(for dest: String) throws(IOError) {
        var missing = [String]()
        var d = FileSystem.parent(of: dest)
        while d.count > root.count && !FileSystem.isDirectory(d) {
            missing.append(d)
            d = FileSystem.parent(of: d)
        }
        for dir in missing.reversed() {
            try FileSystem.createDirectory(dir)
            try FileSystem.syncDirectory(FileSystem.parent(of: dir))
        }
    }

    public func get(_ key: String, to localPath: String) throws(IOError) {
        try FileSystem.copyFile(try path(key), to: localPath)
    }

    public func read(_ key: String) throws(IOError) -> [UInt8]? {
        let p = try path(key)
        guard FileSystem.exists(p) else { return nil }
        return try FileSystem.readFile(p)
    }

    public func list(prefix: String) throws(IOError) -> [String] {
        var out = [String]()
        func walk(_ dir: String, _ keyPrefix: String) throws(IOError) {
            for name in try FileSystem.listDirectory(dir) where !name.hasSuffix(".tmp") {
                let full = dir + "/" + name
                let key = keyPrefix.isEmpty ? name : keyPrefix + "/" + name
                if FileSystem.isDirectory(full) { try walk(full, key) } else if key.hasPrefix(prefix) { out.append(key) }
            }
        }
        try walk(root, "")
        return out.sorted()
    }

    public func delete(_ key: String) throws(IOError) {
        let p = try path(key)
        if FileSystem.exists(p) { try FileSystem.removeFile(p) }
    }
}
