import StrataFormat
import StrataIO
import StrataParse
#if canImport(Glibc)
import Glibc
#endif

/// A file input (`type: file`, `docker`, `kubernetes`): finds files by glob, follows them as
/// they grow, rotate (rename or copytruncate), disappear and appear, and hands their lines to
/// the batch assembler with the positions that become checkpoints.
///
/// One thread per input. It wakes on inotify events for the watched directories (at most every
/// `minCycleNanos`, so a busy file is read in chunks, not per write) and at least every
/// `poll_interval`; globs are re-expanded on directory events and every `scan_interval`.
///
/// Rotation: each cycle the tailer checks that each path still leads to the file it has open.
/// A renamed or deleted file is read to its end (and kept open while it still grows, for
/// writers that have not reopened yet) before it is closed; the new file at the path is read
/// from its beginning. A file that shrank was truncated (copytruncate): the unread rest is
/// first read from the copy (a file in the same directory starting with the same bytes), then
/// reading restarts at offset 0.
public final class FileTailer: AgentInput, @unchecked Sendable {
    public let config: FileInputConfig
    let scanner: PathScanner
    let checkpoints: CheckpointStore
    let batcher: BatchAssembler
    let host: String
    let constantFields: [(String, String)]
    let addContainerLabels: Bool
    let multilinePattern: PCRERegex?
    /// Shortest time between two read cycles when inotify keeps waking the tailer.
    let minCycleNanos: Int64 = 50_000_000
    /// How long a renamed or deleted file stays open after it stopped growing.
    let rotatedGraceNanos: UInt64 = 2_000_000_000

    private let lock = ConditionLock()
    private var stopping = false
    private var thread: AgentThread?
    private var statusValue: InputStatus
    private var files: [FileIdentity: TailedFile] = [:]
    /// Identities skipped on purpose (containers filtered out), so they are not re-examined.
    private var ignored = Set<FileIdentity>()
    /// Closed files whose checkpoints are dropped once their batches are delivered.
    private var awaitingForget: [FileIdentity] = []
    private var inotify: InotifyWatcher?
    private var readBuffer: [UInt8]
    /// NDJSON entries built for the file being read, and how many (see `FileTailer+Lines`).
    var out: [UInt8] = []
    var outCount = 0
    private var firstScan = true
    /// The batch assembler refused entries mid-chunk (stopping).
    private var refused = false
    /// Some file still had unread bytes when its share of the last cycle ran out.
    private var behind = false
    private var needScan = true

    public init(config: FileInputConfig, checkpoints: CheckpointStore, batcher: BatchAssembler, host: String,
                constantFields: [(String, String)], addContainerLabels: Bool) throws(AgentRuntimeError) {
        self.config = config
        scanner = PathScanner(patterns: config.paths, exclude: config.exclude)
        self.checkpoints = checkpoints
        self.batcher = batcher
        self.host = host
        self.constantFields = constantFields + config.fields
        self.addContainerLabels = addContainerLabels
        if let m = config.multiline {
            do { multilinePattern = try PCRERegex(m.pattern) } catch {
                throw .listen(address: config.name, reason: "multiline pattern: \(error)")
            }
        } else {
            multilinePattern = nil
        }
        readBuffer = [UInt8](repeating: 0, count: config.readBufferBytes)
        let type: String = switch config.kind {
        case .plain: "file"
        case .docker: "docker"
        case .kubernetes: "kubernetes"
        }
        statusValue = InputStatus(name: config.name, type: type)
        out.reserveCapacity(config.readBufferBytes * 2)
    }

    public var status: InputStatus { lock.withLock { statusValue } }

    public func start() throws(AgentRuntimeError) {
        if config.useInotify { inotify = InotifyWatcher() }
        thread = AgentThread(name: "tail-" + config.name) { [self] in run() }
    }

    public func stop() {
        lock.withLock { stopping = true }
        thread?.join()
        thread = nil
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func run() {
        var nextScan: UInt64 = 0
        while !isStopping {
            let cycleStart = monotonicNanos()
            if needScan || cycleStart >= nextScan {
                scan()
                needScan = false
                nextScan = cycleStart + UInt64(config.scanIntervalNanos)
            }
            if !readAll() { break }
            let elapsed = Int64(monotonicNanos() - cycleStart)
            // A file with more unread bytes than one cycle's share: go on at once (catching up).
            if behind {
                if let inotify, inotify.wait(timeoutMillis: 0).directoryChanged { needScan = true }
                continue
            }
            if let inotify {
                let ev = inotify.wait(timeoutMillis: Int32(config.pollIntervalNanos / 1_000_000))
                if ev.directoryChanged { needScan = true }
                if ev.modified || ev.directoryChanged { sleepNanos(minCycleNanos - elapsed) }
            } else {
                sleepNanos(config.pollIntervalNanos - elapsed)
            }
        }
    }

    // MARK: - Discovery

    /// Expands the globs, opens new files, notices renamed and deleted ones.
    func scan() {
        let (found, dirs) = scanner.scan()
        inotify?.watch(dirs)
        let seen = Set(found.map(\.identity))
        ignored.formIntersection(seen)
        for m in found where !ignored.contains(m.identity) {
            if let f = files[m.identity] {
                // A renamed file that still matches (rotation to `app.log.1` under `app.log*`)
                // stays a normal tailed file under its new name: never read again from 0.
                if f.rotatedAway || f.path != m.path, FileIdentity.of(path: f.path)?.0 != f.identity {
                    f.path = m.path
                    f.rotatedAway = false
                }
                continue
            }
            open(m.path, identity: m.identity, size: m.size)
        }
        if firstScan {
            firstScan = false
            resumeRotatedWhileStopped(found: seen)
        }
        for f in files.values where !seen.contains(f.identity) && !f.rotatedAway {
            // Still open but no longer matched: renamed out of the pattern or deleted.
            if FileIdentity.of(path: f.path)?.0 != f.identity { f.rotatedAway = true }
        }
        updateStatus()
    }

    private func open(_ path: String, identity: FileIdentity, size: Int) {
        guard let fd = TailedFile.open(path: path, expected: identity) else { return }
        guard let source = sourceDescription(path: path) else {
            Glibc.close(fd)
            ignored.insert(identity)
            return
        }
        var offset = 0
        var resumed = false
        if let cp = checkpoints.checkpoint(for: identity),
           cp.fingerprintBytes == 0 || TailedFile.fingerprint(fd: fd, count: cp.fingerprintBytes) == cp.fingerprint {
            offset = cp.offset <= size ? cp.offset : 0
            resumed = true
        } else if firstScan && config.startAt == .end && !checkpoints.existedAtLoad {
            offset = size
        }
        let f = TailedFile(path: path, identity: identity, fd: fd, offset: offset, encoding: config.encoding,
                           decoder: source.decoder, encoder: source.encoder, joiner: makeJoiner())
        _ = f.resolveEncoding(size: size, final: false)
        f.refreshFingerprint(size: size)
        files[identity] = f
        if resumed {
            checkpoints.register(f.checkpoint(offset: offset))
        } else {
            // A new file, possibly on the inode of an old one whose batches are still in flight.
            checkpoints.restart(f.checkpoint(offset: offset))
        }
    }

    /// At start-up: files checkpointed under a path of this input that were renamed while the
    /// agent was stopped are found by identity in their directory and read to their end.
    private func resumeRotatedWhileStopped(found: Set<FileIdentity>) {
        for cp in checkpoints.all where !found.contains(cp.identity) && scanner.accepts(cp.path) {
            let dir = FileSystem.parent(of: cp.path)
            var reopened = false
            for name in (try? FileSystem.listDirectory(dir)) ?? [] {
                let p = dir + "/" + name
                guard let (id, size) = FileIdentity.of(path: p), id == cp.identity, size >= cp.offset,
                      let fd = TailedFile.open(path: p, expected: id) else { continue }
                guard cp.fingerprintBytes == 0 || TailedFile.fingerprint(fd: fd, count: cp.fingerprintBytes) == cp.fingerprint,
                      let source = sourceDescription(path: cp.path) else { Glibc.close(fd); continue }
                let f = TailedFile(path: cp.path, identity: id, fd: fd, offset: cp.offset, encoding: config.encoding,
                                   decoder: source.decoder, encoder: source.encoder, joiner: makeJoiner())
                f.fingerprint = cp.fingerprint
                f.fingerprintBytes = cp.fingerprintBytes
                f.rotatedAway = true
                _ = f.resolveEncoding(size: size, final: true)
                files[id] = f
                reopened = true
                break
            }
            if !reopened { checkpoints.forget(cp.identity) }
        }
    }

    private func makeJoiner() -> MultilineJoiner? {
        guard let m = config.multiline, let re = multilinePattern else { return nil }
        return MultilineJoiner(options: m.options) { line in re.matches(line) }
    }

    // MARK: - Reading

    /// One pass over every open file; false if the agent is stopping (batches refused).
    private func readAll() -> Bool {
        let now = monotonicNanos()
        behind = false
        // Renamed files first: their lines are older than those of their successors.
        let ordered = files.values.sorted { ($0.rotatedAway ? 0 : 1, $0.path) < ($1.rotatedAway ? 0 : 1, $1.path) }
        var sawRotation = false
        for f in ordered {
            if !f.rotatedAway, FileIdentity.of(path: f.path)?.0 != f.identity {
                f.rotatedAway = true
                sawRotation = true
            }
            guard read(f, now: now) else { return false }
            if f.rotatedAway && f.offset >= f.size && now - f.lastGrowthNanos >= rotatedGraceNanos {
                guard finish(f) else { return false }
                files[f.identity] = nil
                awaitingForget.append(f.identity)
            }
        }
        awaitingForget.removeAll { id in
            guard !checkpoints.hasPending(id) else { return false }
            if files[id] == nil { checkpoints.forget(id) }
            return true
        }
        if sawRotation { needScan = true }
        updateStatus()
        return true
    }

    /// Reads what `f` gained since the last cycle.
    private func read(_ f: TailedFile, now: UInt64) -> Bool {
        let previous = f.lastModification
        var (size, modified) = f.sizeAndModification()
        // Shrunk, or rewritten from the start (its first bytes changed) — possibly to the very
        // size already read, which the size alone cannot tell.
        if size < f.offset || (modified != previous && f.fingerprintBytes > 0 && !fingerprintStillMatches(f)) {
            guard truncated(f) else { return false }
            size = f.size
        }
        guard f.resolveEncoding(size: size, final: f.rotatedAway) else { return true }
        var budget = 16 * readBuffer.count
        while f.offset < size && budget > 0 {
            let want = min(readBuffer.count, size - f.offset)
            let n = readBuffer.withUnsafeMutableBytes { pread(f.fd, $0.baseAddress, want, off_t(f.offset)) }
            if n <= 0 { break }
            readBuffer.withUnsafeBytes { consume(f, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            f.offset += n
            budget -= n
            f.lastGrowthNanos = now
            lock.withLock { statusValue.bytes += n }
            guard ship(f), !refused else { return false }
        }
        if budget <= 0 && f.offset < size { behind = true }
        if f.fingerprintBytes < TailedFile.fingerprintLimit {
            let before = f.fingerprintBytes
            f.refreshFingerprint(size: size)
            if f.fingerprintBytes != before {
                checkpoints.updateFingerprint(f.identity, fingerprint: f.fingerprint, bytes: f.fingerprintBytes)
            }
        }
        if let joiner = f.joiner, joiner.hasPendingEvent {
            flushIdleEvent(f)
            guard ship(f) else { return false }
        }
        return true
    }

    private func fingerprintStillMatches(_ f: TailedFile) -> Bool {
        TailedFile.fingerprint(fd: f.fd, count: f.fingerprintBytes) == f.fingerprint
    }

    /// Hands the entries built for `f` to the batch assembler with its safe position.
    private func ship(_ f: TailedFile) -> Bool {
        guard outCount > 0 || f.safeOffset > (checkpoints.checkpoint(for: f.identity)?.offset ?? 0) else { return true }
        defer {
            out.removeAll(keepingCapacity: true)
            outCount = 0
        }
        let n = outCount
        lock.withLock { statusValue.lines += n }
        f.lines += n
        do {
            return try out.withUnsafeBytes { p throws(AgentRuntimeError) in try batcher.append(p, count: n, file: f.identity, offset: f.safeOffset) }
        } catch {
            lock.withLock {
                statusValue.errors += 1
                statusValue.lastError = "\(error)"
                statusValue.state = "failed"
            }
            return false
        }
    }

    /// Ships what `consume` built so far in the middle of a chunk; a refusal (the agent is
    /// stopping) is remembered and ends the read loop after the chunk.
    func shipMidChunk(_ f: TailedFile) {
        if !ship(f) { refused = true }
    }

    /// `f` shrank or its first bytes changed: read the rest from a copy, flush, restart at 0.
    private func truncated(_ f: TailedFile) -> Bool {
        if f.offset > 0, let copy = findCopy(of: f) {
            // The copy has the same offsets as the file had: read on from where the file was.
            let size = FileIdentity.of(fd: copy)?.size ?? 0
            while f.offset < size {
                let want = min(readBuffer.count, size - f.offset)
                let n = readBuffer.withUnsafeMutableBytes { pread(copy, $0.baseAddress, want, off_t(f.offset)) }
                if n <= 0 { break }
                readBuffer.withUnsafeBytes { consume(f, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                f.offset += n
            }
            Glibc.close(copy)
        }
        endOfFile(f)
        // The checkpoint must not claim offsets of the old content past the new file's start;
        // the new content decides its own encoding.
        f.reset(to: 0)
        f.encodingResolved = false
        f.encoding = config.encoding
        guard ship(f) else { return false }
        checkpoints.restart(f.checkpoint(offset: 0))
        return true
    }

    /// A file in `f`'s directory, other than `f`, at least as long as what was read and
    /// starting with the same bytes: what copytruncate left.
    private func findCopy(of f: TailedFile) -> Int32? {
        guard f.fingerprintBytes > 0 else { return nil }
        let dir = FileSystem.parent(of: f.path)
        var best: (fd: Int32, mtime: Int)?
        for name in (try? FileSystem.listDirectory(dir)) ?? [] {
            let p = dir + "/" + name
            var st = stat()
            guard stat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) >= f.offset,
                  UInt64(st.st_ino) != f.identity.inode || UInt64(st.st_dev) != f.identity.device else { continue }
            let fd = Glibc.open(p, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            if TailedFile.fingerprint(fd: fd, count: f.fingerprintBytes) == f.fingerprint, Int(st.st_mtim.tv_sec) >= best?.mtime ?? Int.min {
                if let b = best { Glibc.close(b.fd) }
                best = (fd, Int(st.st_mtim.tv_sec))
            } else {
                Glibc.close(fd)
            }
        }
        return best?.fd
    }

    /// The file is read to its end for good: its unterminated last line and open event go out.
    private func endOfFile(_ f: TailedFile) {
        if !f.partial.isEmpty && !f.droppingLongLine {
            let p = f.partial
            p.withUnsafeBytes { line(f, $0, end: f.offset) }
        }
        f.decoder.flush { message, ts, stream in encode(f, message, ts, stream) }
        f.partial.removeAll(keepingCapacity: true)
        f.droppingLongLine = false
        f.lineStart = f.offset
        if f.joiner != nil {
            f.joiner!.finish { event in event.withUnsafeBytes { encode(f, $0, f.eventTimestamp, f.eventStream) } }
        }
        f.pendingStart = nil
        f.decoderPendingStart = nil
        f.safeOffset = f.offset
    }

    /// Closes a drained, renamed or deleted file after shipping what it still held.
    private func finish(_ f: TailedFile) -> Bool {
        endOfFile(f)
        return ship(f)
    }

    private func flushIdleEvent(_ f: TailedFile) {
        var emitted = false
        f.joiner!.flush(ifIdleSince: wallClockNanos()) { event in
            emitted = true
            event.withUnsafeBytes { encode(f, $0, f.eventTimestamp, f.eventStream) }
        }
        if emitted {
            f.pendingStart = nil
            updateSafeAfterLine(f, end: f.lastLineEnd)
        }
    }

    private func updateStatus() {
        lock.withLock {
            statusValue.files = files.count
            statusValue.truncated = files.values.reduce(0) { $0 + $1.truncatedLines + ($1.joiner?.truncatedEvents ?? 0) }
        }
    }
}
