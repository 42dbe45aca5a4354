import StrataFormat
import StrataIO
#if canImport(Glibc)
import Glibc
#endif

/// Reads WAL files for replay and verification.
///
/// Replay keeps every valid record in order and stops a file at its first invalid record
/// (a torn or corrupt tail). With `repair`, the damaged file is first copied to
/// `NNN.wal.corrupt-<ns>` (kept for inspection, never replayed) and then truncated after its last
/// valid record; a file whose header is damaged is renamed that way rather than deleted.
public enum WALReader {
    /// One replayed record.
    public struct ReplayedBatch {
        public var fileNumber: UInt64
        public var offset: Int
        public var firstSequence: UInt64
        public var entries: [LogEntry]
    }

    /// What replay found wrong in one file.
    public struct Damage: CustomStringConvertible, Sendable {
        public var path: String
        public var error: FormatError
        /// Bytes kept (the file was or would be truncated to this size).
        public var validBytes: Int
        public var description: String { "\(error.inFile(path)) (valid prefix: \(validBytes) bytes)" }
    }

    /// Result of reading a WAL directory.
    public struct Replay {
        public var batches: [ReplayedBatch] = []
        public var damage: [Damage] = []
        /// Highest file number seen (0 when there are none).
        public var lastFileNumber: UInt64 = 0
    }

    /// WAL files in `directory` as (number, path), ascending.
    public static func listFiles(directory: String) throws(IOError) -> [(UInt64, String)] {
        guard FileSystem.isDirectory(directory) else { return [] }
        var out = [(UInt64, String)]()
        for name in try FileSystem.listDirectory(directory) where name.hasSuffix(".wal") {
            if let n = UInt64(name.dropLast(4)) { out.append((n, directory + "/" + name)) }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Reads every record of one file; stops at the first invalid one and reports it.
    public static func readFile(_ path: String) throws(IOError) -> (batches: [ReplayedBatch], damage: Damage?) {
        let bytes = try FileSystem.readFile(path)
        return bytes.withUnsafeBytes { p in scan(p, path: path) }
    }

    /// Scans WAL bytes (a whole file).
    public static func scan(_ p: UnsafeRawBufferPointer, path: String) -> (batches: [ReplayedBatch], damage: Damage?) {
        var batches = [ReplayedBatch]()
        let number: UInt64
        do { number = try WALFormat.decodeFileHeader(p) } catch {
            return ([], Damage(path: path, error: error, validBytes: 0))
        }
        var offset = WALFormat.fileHeaderSize
        while offset < p.count {
            do {
                let rec = try WALFormat.decodeRecord(in: p, at: offset)
                var r = ByteReader(rec.payload, base: offset + WALFormat.recordHeaderSize, section: "WAL entry batch")
                var entries = try LogEntryCodec.decodeBatch(from: &r)
                for i in entries.indices { entries[i].sequence = rec.firstSequence &+ UInt64(i) }
                batches.append(ReplayedBatch(fileNumber: number, offset: offset, firstSequence: rec.firstSequence, entries: entries))
                offset += rec.size
            } catch {
                return (batches, Damage(path: path, error: error, validBytes: offset))
            }
        }
        return (batches, nil)
    }

    /// Reads every WAL file in `directory`. With `repair`, damaged files are truncated to their valid prefix.
    public static func replay(directory: String, repair: Bool) throws(IOError) -> Replay {
        var out = Replay()
        for (n, path) in try listFiles(directory: directory) {
            out.lastFileNumber = max(out.lastFileNumber, n)
            let (batches, damage) = try readFile(path)
            out.batches += batches
            if let damage {
                out.damage.append(damage)
                if repair {
                    // The suffix carries the time, so a later repair never overwrites an earlier copy.
                    let aside = path + ".corrupt-" + String(wallClockNanos())
                    if damage.validBytes < WALFormat.fileHeaderSize {
                        try FileSystem.rename(path, aside)
                    } else {
                        let original = try FileSystem.readFile(path)
                        try FileSystem.writeAtomically(original, to: aside)
                        let h = try FileHandle(path: path, flags: O_WRONLY)
                        try h.truncate(to: damage.validBytes)
                        try h.sync()
                    }
                }
            }
        }
        if repair && !out.damage.isEmpty { try FileSystem.syncDirectory(directory) }
        return out
    }
}
