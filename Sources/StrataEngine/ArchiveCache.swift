import StrataFormat
import StrataIO
import StrataSegment
#if canImport(Glibc)
import Glibc
#endif

/// Archive segments copied from the object store into a local directory, so that queries map
/// them like hot segments. At most `limitBytes` are kept: the least recently used files go
/// first (a reader that has one mapped keeps reading it after its file is removed).
///
/// Invariant: a file in the cache is a complete copy of its object (copied under a temporary
/// name, then renamed); its name is the segment id, unique across both tiers.
public final class ArchiveCache: @unchecked Sendable {
    let directory: String
    let store: any ObjectStore
    let limitBytes: Int
    private let lock = ConditionLock()

    init(directory: String, store: any ObjectStore, limitBytes: Int) throws(IOError) {
        self.directory = directory
        self.store = store
        self.limitBytes = limitBytes
        try FileSystem.createDirectory(directory)
        // Leftovers of a fetch interrupted by a crash.
        for name in try FileSystem.listDirectory(directory) where name.hasSuffix(".tmp") { try? FileSystem.removeFile(directory + "/" + name) }
    }

    /// Opens archive segment `record`, fetched from the store if needed. It is opened (mapped)
    /// under the cache's lock, so no eviction removes it between fetch and open.
    func open(_ record: SegmentRecord) throws(SegmentError) -> SegmentReader {
        lock.lock()
        defer { lock.unlock() }
        let path: String
        do throws(IOError) { path = try fetchLocked(record) } catch { throw .io(error) }
        return try SegmentReader(path: path)
    }

    /// Copies archive segment `record` to `destination` (fsynced).
    func copy(_ record: SegmentRecord, to destination: String) throws(IOError) {
        lock.lock()
        defer { lock.unlock() }
        try FileSystem.copyFile(try fetchLocked(record), to: destination)
    }

    private func fetchLocked(_ record: SegmentRecord) throws(IOError) -> String {
        let path = directory + "/" + String(record.id) + ".seg"
        if FileSystem.exists(path) {
            _ = utimes(path, nil)   // most recently used
            return path
        }
        try store.get(record.path, to: path + ".tmp")
        try FileSystem.rename(path + ".tmp", path)
        evict(keeping: path)
        return path
    }

    /// Removes least recently used files until the cache fits its limit (never `keeping`).
    private func evict(keeping: String) {
        var files = [(path: String, size: Int, mtime: Int)]()
        for name in (try? FileSystem.listDirectory(directory)) ?? [] where name.hasSuffix(".seg") {
            let p = directory + "/" + name
            var st = stat()
            if stat(p, &st) == 0 { files.append((p, Int(st.st_size), Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec))) }
        }
        var total = files.reduce(0) { $0 + $1.size }
        for f in files.sorted(by: { $0.mtime < $1.mtime }) where total > limitBytes && f.path != keeping {
            try? FileSystem.removeFile(f.path)
            total -= f.size
        }
    }
}
