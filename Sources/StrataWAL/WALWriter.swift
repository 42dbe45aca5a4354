import StrataFormat
import StrataIO
#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Appends records to the write-ahead log with group commit.
///
/// Callers `enqueue` a record (cheap, ordered: the WAL order is the enqueue order) and then
/// `waitDurable` for its ticket. One waiter at a time becomes the leader: it writes every
/// pending record with one `write(2)` and, under `FsyncPolicy.always`, one fsync, then wakes
/// everyone whose record that covered. Under `.interval`, a background timer fsyncs.
///
/// Files are `DIR/%020d.wal`; a file is never appended to after rotation, and is removed only
/// by `removeFiles(before:)`, which the engine calls once the file's records are in durable
/// segments listed by the manifest.
public final class WALWriter: @unchecked Sendable {
    /// Position of a record in the WAL order.
    public typealias Ticket = UInt64

    public let directory: String
    public let options: WALOptions
    private let lock = ConditionLock()
    private var file: FileHandle
    public private(set) var currentFileNumber: UInt64
    private var fileSize: Int
    private var pending = ByteWriter(capacity: 1 << 16)
    private var lastTicket: Ticket = 0
    private var writtenTicket: Ticket = 0
    private var durableTicket: Ticket = 0
    private var leaderActive = false
    private var failure: IOError?
    private var closed = false
    private var timer: DispatchSourceTimer?

    /// Opens a new WAL file numbered `fileNumber` in `directory` (created if missing).
    public init(directory: String, fileNumber: UInt64, options: WALOptions) throws(IOError) {
        self.directory = directory
        self.options = options
        try FileSystem.createDirectory(directory)
        currentFileNumber = fileNumber
        (file, fileSize) = try Self.create(directory: directory, number: fileNumber)
        if case .interval(let ms) = options.fsync {
            let t = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "strata.wal.fsync"))
            t.schedule(deadline: .now() + .milliseconds(ms), repeating: .milliseconds(ms))
            t.setEventHandler { [weak self] in self?.syncIfDirty() }
            t.resume()
            timer = t
        }
    }

    deinit { timer?.cancel() }

    /// Path of WAL file number `n`.
    public static func path(directory: String, number: UInt64) -> String {
        let digits = String(number)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".wal"
    }

    private static func create(directory: String, number: UInt64) throws(IOError) -> (FileHandle, Int) {
        let path = path(directory: directory, number: number)
        let h = try FileHandle(path: path, flags: O_WRONLY | O_CREAT | O_EXCL)
        let header = WALFormat.encodeFileHeader(fileNumber: number)
        try h.write(header)
        try h.sync()
        try FileSystem.syncDirectory(directory)
        return (h, header.count)
    }

    /// Adds a record to the pending buffer and returns its ticket. Not yet durable.
    public func enqueue(firstSequence: UInt64, payload: UnsafeRawBufferPointer) throws(IOError) -> Ticket {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        WALFormat.encodeRecord(type: WALFormat.entryBatchType, firstSequence: firstSequence, payload: payload, into: &pending)
        lastTicket += 1
        return lastTicket
    }

    /// Adds a record whose payload is an array.
    public func enqueue(firstSequence: UInt64, payload: [UInt8]) throws(IOError) -> Ticket {
        let r: Result<Ticket, IOError> = payload.withUnsafeBytes { p in
            do throws(IOError) { return .success(try enqueue(firstSequence: firstSequence, payload: p)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Blocks until the record with `ticket` is acknowledged under the fsync policy.
    public func waitDurable(_ ticket: Ticket) throws(IOError) {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let failure { throw failure }
            let done = options.fsync == .always ? durableTicket : writtenTicket
            if done >= ticket { return }
            if leaderActive {
                lock.wait()
                continue
            }
            try lead(sync: options.fsync == .always)
        }
    }

    /// Writes all pending records (lock held on entry and exit; released during I/O).
    private func lead(sync: Bool) throws(IOError) {
        leaderActive = true
        let batch = pending.bytes
        let upTo = lastTicket
        pending = ByteWriter(capacity: 1 << 16)
        let handle = file
        lock.unlock()
        var error: IOError? = nil
        do {
            try handle.write(batch)
            if sync { try timedSync(handle) }
        } catch let e {
            error = e
        }
        lock.lock()
        leaderActive = false
        if let error {
            // A failed write leaves the file's tail undefined: refuse further appends.
            failure = error
            lock.broadcast()
            throw error
        }
        fileSize += batch.count
        writtenTicket = upTo
        if sync { durableTicket = upTo }
        lock.broadcast()
        if fileSize >= options.maxFileBytes { try rotateLocked() }
    }

    private func timedSync(_ handle: FileHandle) throws(IOError) {
        guard let observe = options.onSync else { return try handle.syncData() }
        let t0 = monotonicNanos()
        try handle.syncData()
        observe(monotonicNanos() - t0)
    }

    private func syncIfDirty() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed, failure == nil, !leaderActive else { return }
        if writtenTicket < lastTicket {
            try? lead(sync: true)
        } else if durableTicket < writtenTicket {
            let upTo = writtenTicket
            do { try timedSync(file); durableTicket = upTo } catch { failure = error; lock.broadcast() }
        }
    }

    /// Writes and fsyncs everything pending, then starts a new file. Returns the new file's number:
    /// every record enqueued before the call is in a file numbered below it.
    @discardableResult
    public func rotate() throws(IOError) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        while leaderActive { lock.wait() }
        if let failure { throw failure }
        if writtenTicket < lastTicket { try lead(sync: true) }
        while leaderActive { lock.wait() }
        if fileSize > WALFormat.fileHeaderSize || currentFileNumber == 0 { try rotateLocked() }
        return currentFileNumber
    }

    private func rotateLocked() throws(IOError) {
        try file.sync()
        durableTicket = writtenTicket
        try file.close()
        let next = currentFileNumber + 1
        let (h, size) = try Self.create(directory: directory, number: next)
        file = h
        fileSize = size
        currentFileNumber = next
    }

    /// Flushes and fsyncs everything pending (used on clean shutdown).
    public func sync() throws(IOError) {
        lock.lock()
        defer { lock.unlock() }
        while leaderActive { lock.wait() }
        if let failure { throw failure }
        if writtenTicket < lastTicket { try lead(sync: true) }
        try file.sync()
        durableTicket = writtenTicket
    }

    /// Syncs and closes; the writer must not be used afterwards.
    public func close() throws(IOError) {
        timer?.cancel()
        timer = nil
        try sync()
        lock.withLock { closed = true }
        try file.close()
    }

    /// Deletes every WAL file numbered below `fileNumber` (their records are in segments).
    public func removeFiles(before fileNumber: UInt64) throws(IOError) {
        for (n, path) in try WALReader.listFiles(directory: directory) where n < fileNumber {
            try FileSystem.removeFile(path)
        }
        try FileSystem.syncDirectory(directory)
    }
}
