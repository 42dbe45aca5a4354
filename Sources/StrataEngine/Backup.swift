import StrataFormat
import StrataIO
import StrataWAL
#if canImport(Glibc)
import Glibc
#endif

/// Consistent copies of a data directory, taken while a server writes to it.
///
/// A backup is itself a data directory: the manifest of one generation, its segments (hard
/// links where the file system allows, copies otherwise; segments never change once written)
/// and the WAL files, which hold every acknowledged entry the segments do not. The copy is
/// consistent because the manifest's generation is read before and after: segments and WAL files
/// are only ever deleted after a new generation is published, so an unchanged generation means
/// every file the manifest needs was still there while it was copied. A changed generation
/// (a flush or compaction meanwhile) starts the copy over.
public enum Backup {
    public struct Summary: Sendable {
        public var generation: UInt64
        public var segments: Int
        public var segmentBytes: UInt64
        public var walFiles: Int
        public var walBytes: UInt64
        public var linked: Int
        public var attempts: Int
    }

    /// Copies the data directory `source` (a server may be running on it) to `target`, which
    /// must not exist or be empty.
    @discardableResult
    public static func create(from source: String, to target: String, maxAttempts: Int = 20) throws(EngineError) -> Summary {
        precondition(maxAttempts >= 1, "BUG: backup needs at least one attempt")
        if FileSystem.exists(target) {
            let entries: [String]
            do throws(IOError) { entries = try FileSystem.listDirectory(target) } catch { throw .io(error) }
            guard entries.isEmpty else { throw .failed("backup target \(target) is not empty") }
        }
        for attempt in 1...maxAttempts {
            let before = try readManifest(source + "/MANIFEST")
            var summary = Summary(generation: before.manifest.generation, segments: before.manifest.segments.count, segmentBytes: 0,
                                  walFiles: 0, walBytes: 0, linked: 0, attempts: attempt)
            var dirs = Set<String>()
            do throws(IOError) {
                if FileSystem.exists(target) { try removeTree(target) }
                try FileSystem.createDirectory(target + "/partitions")
                try FileSystem.createDirectory(target + "/wal")
                for s in before.manifest.segments {
                    let dir = target + "/" + FileSystem.parent(of: s.path)
                    try FileSystem.createDirectory(dir)
                    dirs.insert(dir)
                    if try linkOrCopy(source + "/" + s.path, target + "/" + s.path) { summary.linked += 1 }
                    summary.segmentBytes += s.sizeInBytes
                }
                for (_, path) in try WALReader.listFiles(directory: source + "/wal") {
                    summary.walBytes += UInt64(try copy(path, target + "/wal/" + FileSystem.baseName(path)))
                    summary.walFiles += 1
                }
            } catch where error.errno == ENOENT {
                continue   // a file went away under a newer generation: start over
            } catch {
                throw .io(error)
            }
            // Files are deleted only after a new generation: an unchanged one means every file
            // this manifest needs was there while it was copied.
            guard try readManifest(source + "/MANIFEST").manifest.generation == before.manifest.generation else { continue }
            do throws(IOError) {
                try FileSystem.writeAtomically(before.bytes, to: target + "/MANIFEST")
                for d in dirs { try FileSystem.syncDirectory(d) }
                try FileSystem.syncDirectory(target + "/partitions")
                try FileSystem.syncDirectory(target + "/wal")
                try FileSystem.syncDirectory(target)
            } catch { throw .io(error) }
            return summary
        }
        throw .failed("backup of \(source): the data directory changed during each of \(maxAttempts) attempts")
    }

    /// Restores `backup` into `target` (which must not hold a data directory): the backup's
    /// files are linked or copied, then the result is opened once to check it.
    public static func restore(from backup: String, to target: String) throws(EngineError) -> Summary {
        guard FileSystem.exists(backup + "/MANIFEST") else { throw .failed("\(backup) is not a backup (no MANIFEST)") }
        if FileSystem.exists(target + "/MANIFEST") {
            throw .failed("\(target) already holds a data directory; restore into a new directory")
        }
        // A backup is a data directory that nothing writes: copying it is a backup of it.
        let summary = try create(from: backup, to: target, maxAttempts: 1)
        let engine = try Engine(options: EngineOptions(dataDirectory: target), readOnly: true)
        try engine.close()
        return summary
    }

    private static func readManifest(_ path: String) throws(EngineError) -> (manifest: Manifest, bytes: [UInt8]) {
        let bytes: [UInt8]
        do throws(IOError) {
            let size = try FileSystem.fileSize(path)
            guard size <= Limits.maxManifestBytes else { throw IOError(path: path, operation: "read (file larger than \(Limits.maxManifestBytes) bytes)", errno: EFBIG) }
            bytes = try FileSystem.readFile(path)
        } catch { throw .io(error) }
        do throws(FormatError) {
            let m = try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> Manifest in try Manifest.decode(from: p) }
            return (m, bytes)
        } catch { throw .format(error.inFile(path)) }
    }

    /// Hard-links `from` to `to` (true), or copies it when linking is impossible (false).
    private static func linkOrCopy(_ from: String, _ to: String) throws(IOError) -> Bool {
        if link(from, to) == 0 { return true }
        let e = errno
        guard e == EXDEV || e == EPERM || e == EMLINK else { throw IOError(path: from, operation: "link to \(to)", errno: e) }
        _ = try copy(from, to)
        return false
    }

    private static func copy(_ from: String, _ to: String) throws(IOError) -> Int { try FileSystem.copyFile(from, to: to) }

    private static func removeTree(_ path: String) throws(IOError) {
        if FileSystem.isDirectory(path) {
            for name in try FileSystem.listDirectory(path) { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 { throw IOError(path: path, operation: "rmdir", errno: errno) }
        } else {
            try FileSystem.removeFile(path)
        }
    }
}
