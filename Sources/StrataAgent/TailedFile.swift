import StrataCodec
import StrataFormat
import StrataIO
import StrataParse
#if canImport(Glibc)
import Glibc
#endif

/// One open file being tailed: its descriptor, the raw offset read so far, the unterminated
/// line at its end, and the position up to which everything read has been handed to a batch.
///
/// Invariants: `offset` only grows except on truncation (then it restarts at 0);
/// `safeOffset <= offset` and is always at a line boundary no pending state (multiline event,
/// partial container line, long-line drop) still needs; the descriptor stays open after the
/// path is renamed or deleted until the file is read to its end.
final class TailedFile {
    let identity: FileIdentity
    /// The path it was found under (the source of its entries).
    var path: String
    let fd: Int32
    /// Raw offset of the next byte to read.
    var offset: Int
    /// Raw offset up to which lines are in batches (what the checkpoint may become).
    var safeOffset: Int
    /// Raw bytes of the line being read (from `lineStart` to `offset`).
    var partial: [UInt8] = []
    var lineStart: Int
    /// Skipping the rest of a line longer than `maxLineBytes`.
    var droppingLongLine = false
    var encoding: TextEncoding
    /// Bytes of the byte-order mark at offset 0, skipped.
    var textStart = 0
    /// Whether `encoding` and `textStart` were decided from the file's first bytes (a file
    /// starting with a byte that may begin a byte-order mark waits for enough bytes).
    var encodingResolved = false
    var fingerprint: UInt64 = 0
    var fingerprintBytes = 0
    var joiner: MultilineJoiner?
    /// Raw offset where the open multiline event (or partial container line) starts.
    var pendingStart: Int?
    /// Raw offset after the last line pushed.
    var lastLineEnd: Int
    var decoder: LineDecoder
    var encoder: EntryEncoder
    /// The path no longer leads to this file (renamed or deleted): read to the end, then close.
    var rotatedAway = false
    /// Monotonic time the file last grew (or was opened).
    var lastGrowthNanos: UInt64
    var lines = 0
    var truncatedLines = 0
    /// Raw offset where the container runtime's partial line being joined starts.
    var decoderPendingStart: Int?
    /// Time and stream of the first line of the open multiline event.
    var eventTimestamp: Int64 = 0
    var eventStream: String?
    /// UTF-8 bytes of the current line after conversion (reused).
    var converted: [UInt8] = []

    static let fingerprintLimit = 1024

    init(path: String, identity: FileIdentity, fd: Int32, offset: Int, encoding: TextEncoding, decoder: LineDecoder, encoder: EntryEncoder, joiner: MultilineJoiner?) {
        self.path = path
        self.identity = identity
        self.fd = fd
        self.offset = offset
        safeOffset = offset
        lineStart = offset
        lastLineEnd = offset
        self.encoding = encoding
        self.decoder = decoder
        self.encoder = encoder
        self.joiner = joiner
        lastGrowthNanos = monotonicNanos()
    }

    deinit { close(fd) }

    /// Decides the encoding from the first bytes (a byte-order mark wins over the configured
    /// one); false while the file is too short to tell and may still grow.
    func resolveEncoding(size: Int, final: Bool) -> Bool {
        if encodingResolved { return true }
        var head = [UInt8](repeating: 0, count: 3)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, min(3, max(size, 0)), 0) }
        let got = max(0, n)
        guard let r = head.withUnsafeBytes({ TextEncoding.resolve(configured: encoding, fileStart: UnsafeRawBufferPointer(rebasing: $0[0..<got]), atEndOfFile: final) }) else {
            return false
        }
        encoding = r.encoding
        textStart = Int(r.textStartOffset)
        encodingResolved = true
        if offset < textStart {
            offset = textStart
            safeOffset = textStart
            lineStart = textStart
            lastLineEnd = textStart
        }
        return true
    }

    /// Opens `path` (following symlinks); nil if it vanished or is not the expected file.
    static func open(path: String, expected: FileIdentity) -> Int32? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard let (id, _) = FileIdentity.of(fd: fd), id == expected else { Glibc.close(fd); return nil }
        return fd
    }

    /// xxhash64 of the first `count` bytes of the open file, or nil if it has fewer.
    static func fingerprint(fd: Int32, count: Int) -> UInt64? {
        guard count > 0 else { return 0 }
        var buf = [UInt8](repeating: 0, count: count)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        guard n == count else { return nil }
        return xxhash64(buf)
    }

    /// Takes a longer fingerprint while the file is shorter than the limit.
    func refreshFingerprint(size: Int) {
        guard fingerprintBytes < Self.fingerprintLimit, size > fingerprintBytes else { return }
        let n = min(size, Self.fingerprintLimit)
        if let fp = Self.fingerprint(fd: fd, count: n) {
            fingerprint = fp
            fingerprintBytes = n
        }
    }

    /// The checkpoint describing this file at `offset`.
    func checkpoint(offset: Int) -> CheckpointStore.Checkpoint {
        .init(path: path, identity: identity, offset: offset, fingerprint: fingerprint, fingerprintBytes: fingerprintBytes)
    }

    /// Current size of the open file.
    var size: Int { FileIdentity.of(fd: fd)?.size ?? offset }

    /// Modification time (ns) when the tailer last looked.
    var lastModification: Int64 = 0

    /// Size and modification time of the open file; remembers the time for the next look.
    func sizeAndModification() -> (size: Int, modification: Int64) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return (offset, lastModification) }
        let m = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        defer { lastModification = m }
        return (Int(st.st_size), m)
    }

    /// Forgets the partial line and restarts at `newOffset` (truncation); the caller has
    /// flushed the open multiline event first.
    func reset(to newOffset: Int) {
        offset = newOffset
        safeOffset = newOffset
        lineStart = newOffset
        lastLineEnd = newOffset
        partial.removeAll(keepingCapacity: true)
        droppingLongLine = false
        pendingStart = nil
        fingerprint = 0
        fingerprintBytes = 0
        decoder.reset()
    }
}
