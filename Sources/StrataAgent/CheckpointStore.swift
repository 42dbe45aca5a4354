import StrataIO

/// Where reading each file may resume: for every tailed file, the offset up to which its lines
/// are safe — acknowledged by a server or durably in the on-disk buffer — plus the fingerprint
/// that tells the same file from a new one that reused its inode.
///
/// Lines are handed to batches in file order; a file's offset advances only over the longest
/// prefix of its batches that are all safe, so a batch still in flight holds back everything
/// after it even when a later batch spilled to disk first.
///
/// Persisted as text (`checkpoints`, one file per line, replaced atomically at most every
/// `checkpoint_interval`): a crash re-reads at most the lines after the last save — the
/// documented at-least-once window. Thread-safe.
public final class CheckpointStore: @unchecked Sendable {
    /// One file's resume point.
    public struct Checkpoint: Sendable, Equatable {
        public var path: String
        public var identity: FileIdentity
        /// Raw byte offset: everything before it is safe.
        public var offset: Int
        /// xxhash64 of the file's first `fingerprintBytes` bytes.
        public var fingerprint: UInt64
        public var fingerprintBytes: Int
    }

    public let path: String
    private let lock = ConditionLock()
    private var committed: [FileIdentity: Checkpoint] = [:]
    /// Per file: (batch sequence, offset after the lines in that batch, safe yet).
    private var pending: [FileIdentity: [(batch: UInt64, offset: Int, safe: Bool)]] = [:]
    private var dirty = false
    /// Whether a checkpoints file existed when the store was opened (`start_at: end` applies
    /// only to an agent's very first start).
    public let existedAtLoad: Bool

    /// Loads `path` if it exists.
    /// - Throws: `AgentRuntimeError.corruptCheckpoints` for a file that cannot be read back.
    public init(path: String) throws(AgentRuntimeError) {
        self.path = path
        existedAtLoad = FileSystem.exists(path)
        guard existedAtLoad else { return }
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch { throw .io(path: path, operation: "read", errno: error.errno) }
        for c in try Self.decode(bytes, path: path) { committed[c.identity] = c }
    }

    /// The saved resume point of `identity`.
    public func checkpoint(for identity: FileIdentity) -> Checkpoint? { lock.withLock { committed[identity] } }

    /// Every saved checkpoint.
    public var all: [Checkpoint] { lock.withLock { Array(committed.values) } }

    /// Starts tracking a file at `offset` (or updates its path and fingerprint, keeping the offset
    /// when it is already tracked).
    public func register(_ c: Checkpoint) {
        lock.withLock {
            if var old = committed[c.identity] {
                old.path = c.path
                old.fingerprint = c.fingerprint
                old.fingerprintBytes = c.fingerprintBytes
                if pending[c.identity]?.isEmpty ?? true { old.offset = c.offset }
                committed[c.identity] = old
            } else {
                committed[c.identity] = c
            }
            dirty = true
        }
    }

    /// Starts a file over (truncated, or a new file on a reused inode): the offset and
    /// fingerprint are replaced, and batches of the old content still in flight can no longer
    /// move the offset.
    public func restart(_ c: Checkpoint) {
        lock.withLock {
            committed[c.identity] = c
            pending[c.identity] = nil
            dirty = true
        }
    }

    /// Records a longer fingerprint of a file that grew past its first bytes.
    public func updateFingerprint(_ identity: FileIdentity, fingerprint: UInt64, bytes: Int) {
        lock.withLock {
            guard var c = committed[identity], c.fingerprintBytes != bytes || c.fingerprint != fingerprint else { return }
            c.fingerprint = fingerprint
            c.fingerprintBytes = bytes
            committed[identity] = c
            dirty = true
        }
    }

    /// Records that `identity`'s lines up to `offset` are in batch `batch`.
    public func handOut(_ identity: FileIdentity, offset: Int, batch: UInt64) {
        lock.withLock {
            if let last = pending[identity]?.last, last.batch == batch {
                pending[identity]![pending[identity]!.count - 1].offset = offset
            } else {
                pending[identity, default: []].append((batch, offset, false))
            }
        }
    }

    /// Marks batch `batch` safe for the files in `positions`, advancing each file over its
    /// longest safe prefix.
    public func markSafe(batch: UInt64, files: [FileIdentity]) {
        lock.withLock {
            for id in files {
                guard var list = pending[id] else { continue }
                if let i = list.firstIndex(where: { $0.batch == batch }) { list[i].safe = true }
                var advanced: Int?
                while let first = list.first, first.safe {
                    advanced = first.offset
                    list.removeFirst()
                }
                pending[id] = list.isEmpty ? nil : list
                if let advanced, committed[id] != nil, advanced > committed[id]!.offset {
                    committed[id]!.offset = advanced
                    dirty = true
                }
            }
        }
    }

    /// Whether some of `identity`'s lines are still in unacknowledged batches.
    public func hasPending(_ identity: FileIdentity) -> Bool { lock.withLock { !(pending[identity]?.isEmpty ?? true) } }

    /// Stops tracking a file that is gone and fully delivered.
    public func forget(_ identity: FileIdentity) {
        lock.withLock {
            if committed.removeValue(forKey: identity) != nil { dirty = true }
            pending[identity] = nil
        }
    }

    /// Writes the checkpoints if they changed since the last save (temp file, fsync, rename,
    /// directory fsync).
    public func saveIfChanged() throws(AgentRuntimeError) {
        let snapshot: [Checkpoint]? = lock.withLock {
            guard dirty else { return nil }
            dirty = false
            return committed.values.sorted { ($0.path, $0.identity.inode) < ($1.path, $1.identity.inode) }
        }
        guard let snapshot else { return }
        do { try FileSystem.writeAtomically(Self.encode(snapshot), to: path) } catch {
            lock.withLock { dirty = true }
            throw .io(path: path, operation: "save checkpoints", errno: error.errno)
        }
    }

    static let header = "# strata-agent checkpoints v1: device inode offset fingerprint fingerprint_bytes path"

    /// The text form: a header line, then `device inode offset fingerprint(hex) bytes path`
    /// per file, the path with `\` and newlines escaped.
    static func encode(_ list: [Checkpoint]) -> [UInt8] {
        var out = Array((header + "\n").utf8)
        for c in list {
            var line = "\(c.identity.device) \(c.identity.inode) \(c.offset) \(String(c.fingerprint, radix: 16)) \(c.fingerprintBytes) "
            for ch in c.path {
                switch ch {
                case "\\": line += "\\\\"
                case "\n": line += "\\n"
                default: line.append(ch)
                }
            }
            out.append(contentsOf: (line + "\n").utf8)
        }
        return out
    }

    /// Reads the text form back; throws `corruptCheckpoints` naming the line for anything else.
    public static func decode(_ bytes: [UInt8], path: String) throws(AgentRuntimeError) -> [Checkpoint] {
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == header else {
            throw .corruptCheckpoints(path: path, line: 1, reason: "the first line is not '\(header)'")
        }
        var out: [Checkpoint] = []
        for (n, raw) in lines.dropFirst().enumerated() {
            let parts = raw.split(separator: 0x20, maxSplits: 5, omittingEmptySubsequences: false)
            func num(_ i: Int, radix: Int = 10) -> UInt64? { UInt64(String(decoding: parts[i], as: UTF8.self), radix: radix) }
            guard parts.count == 6, let dev = num(0), let ino = num(1), let off = num(2), let fp = num(3, radix: 16), let fpn = num(4),
                  off <= UInt64(Int.max), fpn <= 1 << 20 else {
                throw .corruptCheckpoints(path: path, line: n + 2, reason: "expected 'device inode offset fingerprint bytes path'")
            }
            var p = ""
            var escape = false
            for ch in String(decoding: parts[5], as: UTF8.self) {
                if escape { p.append(ch == "n" ? "\n" : ch); escape = false } else if ch == "\\" { escape = true } else { p.append(ch) }
            }
            out.append(Checkpoint(path: p, identity: FileIdentity(device: dev, inode: ino), offset: Int(off), fingerprint: fp, fingerprintBytes: Int(fpn)))
        }
        return out
    }
}
