import StrataFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The agent's on-disk buffer: a durable, checksummed, size-limited FIFO queue of opaque
/// records (each one already-encoded, compressed batch; the buffer never looks inside).
///
/// Records are appended to numbered segment files and delivered in append order, across
/// segments and reopenings, until acknowledged. The layout and every invariant cited as
/// `BUF-n` are in `format-spec/agent-buffer.md`; the framing is `AgentBufferFormat`.
///
/// Invariants (all under the internal lock):
/// * `pendingBytes ≤ maxBytes` after every append (BUF-10): an append that would pass it
///   writes nothing and returns false, so the caller applies back-pressure.
/// * `peek` returns records in sequence order, never one with a sequence at or below the
///   durable `HEAD` (BUF-9); a record is returned again until it is acknowledged.
/// * A segment file is deleted only when `HEAD` covers every record in it, and never while it
///   is the segment being appended to.
/// * Appends do not sync: a record is durable once `sync()` returns (or a later segment has
///   been started, which syncs the previous one first, BUF-6).
/// * After a failed write that cannot be undone, or a failed fdatasync, every later `append`
///   and `sync` throws that error: the state of the file's tail is unknown until reopened.
///   `peek` and `acknowledge` go on working, so what is queued can still be delivered.
/// * `deinit` closes the files without syncing; call `close()` for an orderly shutdown.
///
/// Thread safety: every method takes one internal lock, so a producer thread (`append`) and a
/// shipper thread (`peek`, `acknowledge`) may share the buffer. `peek` holds the lock while it reads.
public final class DiskBuffer: @unchecked Sendable {
    /// Identifies one record: its sequence (unique and increasing within the directory) and
    /// where it ends on disk. Obtained from `peek`, passed back to `acknowledge`.
    public struct RecordID: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The record's sequence number (≥ 1); ids compare by it.
        public let sequence: UInt64
        /// Number of the segment file holding the record.
        let segmentNumber: UInt64
        /// Offset just past the record in that segment.
        let endOffset: Int

        public static func < (a: RecordID, b: RecordID) -> Bool { a.sequence < b.sequence }
        public var description: String { "#\(sequence) (segment \(segmentNumber) @0x\(String(endOffset, radix: 16)))" }
    }

    /// One segment file the buffer still holds, and how far it is acknowledged.
    struct LiveSegment {
        let number: UInt64
        let path: String
        /// Sequence of its first record (meaningless while `recordCount` is 0).
        var firstSequence: UInt64
        var recordCount: Int
        /// End of its last record: the file's size.
        var endOffset: Int
        /// Records at the start that are acknowledged.
        var acknowledgedRecords: Int
        /// Offset of the first unacknowledged record (`endOffset` when all are acknowledged).
        var acknowledgedEnd: Int
        var isFullyAcknowledged: Bool { acknowledgedRecords == recordCount }
    }

    /// The directory holding `HEAD`, `LOCK` and the segment files.
    public let directory: String
    /// Bound on `pendingBytes`.
    public let maxBytes: Int
    /// A new segment is started when the current one would grow past this size (a segment
    /// holding a single larger record is allowed).
    public let segmentBytes: Int
    /// What opening the buffer found on disk and did about it.
    public let recovery: Recovery

    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    /// Ascending by number; the last is the open segment. Never empty while open.
    var segments: [LiveSegment]
    /// The open segment, read-write; nil once closed.
    private var writer: BufferFile?
    /// A cached read-only descriptor of one closed segment, for `peek`.
    private var reader: (number: UInt64, file: BufferFile)?
    private var lockFile: BufferFile?
    private var acknowledgedSequence: UInt64
    private var nextSequence: UInt64
    /// Set by a failure that leaves the open segment's tail unknown.
    private var failure: AgentBufferError?

    /// Opens (creating if needed) the buffer in `directory` and recovers it: reads `HEAD`,
    /// validates every record of every segment, truncates a torn tail of the last segment, sets
    /// a damaged segment aside as `NNN.buf.corrupt` keeping its valid records, deletes segments
    /// entirely acknowledged, then starts a new segment. `recovery` reports what was done.
    ///
    /// - Parameters:
    ///   - maxBytes: bound on `pendingBytes`; at least one record header (24 bytes).
    ///   - segmentBytes: target size of a segment file; at least 56 bytes.
    /// - Throws: `.invalidConfiguration`, `.locked` when the directory is already open,
    ///   `.unsupportedVersion` for a file of a newer agent (nothing is changed on disk then), `.io`.
    /// - Complexity: reads every segment file once.
    public init(directory: String, maxBytes: Int, segmentBytes: Int = 8 << 20) throws(AgentBufferError) {
        let minSegment = AgentBufferFormat.segmentHeaderSize + AgentBufferFormat.recordHeaderSize
        guard maxBytes >= AgentBufferFormat.recordHeaderSize else {
            throw .invalidConfiguration(detail: "maxBytes \(maxBytes): expected at least \(AgentBufferFormat.recordHeaderSize)")
        }
        guard segmentBytes >= minSegment else {
            throw .invalidConfiguration(detail: "segmentBytes \(segmentBytes): expected at least \(minSegment)")
        }
        self.directory = directory
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        try BufferFile.createDirectory(directory)
        let lock = try BufferFile(path: directory + "/LOCK", flags: O_RDWR | O_CREAT)
        guard try lock.tryLockExclusive() else { throw .locked(path: lock.path) }
        let state = try Self.recover(directory: directory)
        let open = try Self.createSegment(number: state.nextSegmentNumber, directory: directory)
        segments = state.segments + [open.segment]
        writer = open.file
        lockFile = lock
        acknowledgedSequence = state.acknowledgedSequence
        nextSequence = state.nextSequence
        recovery = state.recovery
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Appends one record at the end of the queue. Does not sync (see `sync()`).
    ///
    /// The record (header and payload) is written with one `pwrite`. When the open segment
    /// would grow past `segmentBytes`, it is fdatasynced and a new segment is started first.
    /// - Returns: false, writing nothing, when `pendingBytes` would exceed `maxBytes`.
    /// - Throws: `.recordTooLarge` when the record can never fit; `.io` (a failed write is cut
    ///   back off the file, so nothing of it stays); `.closed`.
    public func append(_ payload: [UInt8]) throws(AgentBufferError) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let writer = try openWriter()
        let size = AgentBufferFormat.recordHeaderSize + payload.count
        let limit = min(maxBytes, AgentBufferFormat.recordHeaderSize + AgentBufferFormat.maxRecordBytes)
        guard size <= limit else { throw .recordTooLarge(sizeInBytes: size, limitInBytes: limit) }
        guard pendingBytesLocked + size <= maxBytes else { return false }
        var w = ByteWriter(capacity: size)
        payload.withUnsafeBytes { AgentBufferFormat.encodeRecord(sequence: nextSequence, payload: $0, into: &w) }
        var file = writer
        if segments[segments.count - 1].recordCount > 0 && segments[segments.count - 1].endOffset + size > segmentBytes {
            file = try rotate()
        }
        let offset = segments[segments.count - 1].endOffset
        do {
            try file.write(w.bytes, at: offset)
        } catch {
            // Cut off whatever part of the record reached the file, or refuse appends until reopened.
            do { try file.truncate(to: offset) } catch { failure = error }
            throw error
        }
        let last = segments.count - 1
        if segments[last].recordCount == 0 { segments[last].firstSequence = nextSequence }
        segments[last].recordCount += 1
        segments[last].endOffset += size
        nextSequence += 1
        return true
    }

    /// Makes every appended record durable: `fdatasync` of the open segment (earlier segments
    /// were synced when the next one was started).
    ///
    /// - Throws: `.io`; after a failure every later `append` and `sync` throws it too.
    public func sync() throws(AgentBufferError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let writer = try openWriter()
        do { try writer.syncData() } catch {
            failure = error
            throw error
        }
    }

    /// The oldest unacknowledged records, in order, up to `max`, without consuming them: the
    /// same records come back until `acknowledge` covers them. Each record is read with
    /// `pread` and its checksum verified again.
    ///
    /// - Throws: `.corrupt` when a record no longer matches what recovery validated (the next
    ///   open sets the segment aside); `.io`; `.closed`.
    /// - Complexity: O(bytes returned).
    public func peek(max: Int) throws(AgentBufferError) -> [(id: RecordID, payload: [UInt8])] {
        precondition(max >= 0, "BUG: peek(max:) with a negative max")
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        try checkOpen()
        var out = [(id: RecordID, payload: [UInt8])]()
        for segment in segments where out.count < max && !segment.isFullyAcknowledged {
            let file = try readable(segment)
            var offset = segment.acknowledgedEnd
            var sequence = segment.firstSequence + UInt64(segment.acknowledgedRecords)
            while offset < segment.endOffset && out.count < max {
                let (header, payload) = try readRecord(file, at: offset, end: segment.endOffset, expected: sequence)
                offset += header.sizeInBytes
                out.append((RecordID(sequence: sequence, segmentNumber: segment.number, endOffset: offset), payload))
                sequence += 1
            }
        }
        return out
    }

    /// Durably records that every record up to and including `id` is delivered, then deletes
    /// the segment files entirely behind it. `HEAD` is replaced atomically (write `HEAD.tmp`,
    /// fsync, rename, fsync the directory) before anything is deleted (BUF-8, BUF-9).
    /// Acknowledging an id at or below the current head does nothing.
    ///
    /// - Precondition: `id` came from `peek` of this buffer (traps otherwise).
    /// - Throws: `.io`: when writing `HEAD` fails nothing changes; when deleting a segment
    ///   fails the acknowledgement stands and the deletion is retried later (or on open).
    ///   `.closed`.
    public func acknowledge(through id: RecordID) throws(AgentBufferError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        try checkOpen()
        guard id.sequence > acknowledgedSequence else { return }
        guard let k = segments.firstIndex(where: { $0.number == id.segmentNumber }),
              segments[k].recordCount > 0,
              id.sequence >= segments[k].firstSequence,
              id.sequence - segments[k].firstSequence < UInt64(segments[k].recordCount),
              id.endOffset <= segments[k].endOffset
        else { preconditionFailure("BUG: acknowledge(through: \(id)) with an id this buffer never returned") }
        let head = AgentBufferFormat.Head(acknowledgedSequence: id.sequence)
        try BufferFile.writeAtomically(head.encode(), to: directory + "/HEAD")
        acknowledgedSequence = id.sequence
        for i in 0..<k {
            segments[i].acknowledgedRecords = segments[i].recordCount
            segments[i].acknowledgedEnd = segments[i].endOffset
        }
        segments[k].acknowledgedRecords = Int(id.sequence - segments[k].firstSequence) + 1
        segments[k].acknowledgedEnd = id.endOffset
        try dropAcknowledgedSegments()
    }

    /// Bytes of unacknowledged records on disk (record headers included, segment headers not):
    /// what `maxBytes` bounds. Disk use can exceed it by the acknowledged part of the oldest
    /// segment and 32 bytes per segment.
    public var pendingBytes: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return pendingBytesLocked
    }

    /// Number of unacknowledged records.
    public var pendingRecords: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return segments.reduce(0) { $0 + $1.recordCount - $1.acknowledgedRecords }
    }

    /// Whether every record appended is acknowledged.
    public var isEmpty: Bool { pendingRecords == 0 }

    /// Syncs the open segment, closes every descriptor and releases the directory lock. Every
    /// later call throws `.closed`; a second `close()` does nothing.
    ///
    /// - Throws: `.io` when the final sync fails (the buffer is closed anyway).
    public func close() throws(AgentBufferError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard let writer else { return }
        defer {
            writer.close()
            reader?.file.close()
            reader = nil
            lockFile?.close()
            lockFile = nil
            self.writer = nil
        }
        if failure == nil { try writer.syncData() }
    }

    // MARK: - Internals (lock held)

    private var pendingBytesLocked: Int {
        segments.reduce(0) { $0 + $1.endOffset - $1.acknowledgedEnd }
    }

    /// Throws `.closed` after `close()`. Reading and acknowledging go on after a failed write.
    private func checkOpen() throws(AgentBufferError) {
        if writer == nil { throw .closed(path: directory) }
    }

    /// The open segment's descriptor, or the error that stopped appending.
    private func openWriter() throws(AgentBufferError) -> BufferFile {
        guard let writer else { throw .closed(path: directory) }
        if let failure { throw failure }
        return writer
    }

    /// Syncs the open segment and starts the next one (BUF-6, BUF-7); returns its descriptor.
    private func rotate() throws(AgentBufferError) -> BufferFile {
        let old = try openWriter()
        do { try old.syncData() } catch {
            failure = error
            throw error
        }
        let next = try Self.createSegment(number: segments[segments.count - 1].number + 1, directory: directory)
        segments.append(next.segment)
        writer = next.file
        old.close()
        try dropAcknowledgedSegments()
        return next.file
    }

    /// Deletes segments at the front that are fully acknowledged, never the open one.
    private func dropAcknowledgedSegments() throws(AgentBufferError) {
        while segments.count > 1 && segments[0].isFullyAcknowledged {
            if reader?.number == segments[0].number {
                reader?.file.close()
                reader = nil
            }
            try BufferFile.remove(segments[0].path)
            segments.removeFirst()
        }
    }

    /// A descriptor to read `segment` with.
    private func readable(_ segment: LiveSegment) throws(AgentBufferError) -> BufferFile {
        if segment.number == segments[segments.count - 1].number, let writer { return writer }
        if let reader, reader.number == segment.number { return reader.file }
        reader?.file.close()
        let file = try BufferFile(path: segment.path, flags: O_RDONLY)
        reader = (segment.number, file)
        return file
    }

    /// Reads and checks the record at `offset` (which must end by `end` and carry `expected`):
    /// one `pread` for the header, one for the payload.
    private func readRecord(_ file: BufferFile, at offset: Int, end: Int,
                            expected: UInt64) throws(AgentBufferError) -> (AgentBufferFormat.RecordHeader, [UInt8]) {
        let section = "agent buffer record"
        let header = try file.read(at: offset, count: AgentBufferFormat.recordHeaderSize)
        let length: Int
        do { length = try withBytes(header) { h throws(FormatError) in try AgentBufferFormat.payloadLength(header: h, at: offset) } } catch {
            throw .corrupt(path: file.path, error)
        }
        guard offset + AgentBufferFormat.recordHeaderSize + length <= end else {
            throw .corrupt(path: file.path, .invalid(section, at: offset, "expected the record to end by 0x\(String(end, radix: 16)), its length is \(length)"))
        }
        let payload = try file.read(at: offset + AgentBufferFormat.recordHeaderSize, count: length)
        do throws(FormatError) {
            let checked = try withBytes(header) { h throws(FormatError) in
                try withBytes(payload) { p throws(FormatError) in try AgentBufferFormat.checkRecord(header: h, payload: p, at: offset) }
            }
            guard checked.sequence == expected else {
                throw FormatError.invalid(section, at: offset + 8, "expected sequence \(expected), found \(checked.sequence)")
            }
            return (checked, payload)
        } catch {
            throw .corrupt(path: file.path, error)
        }
    }

    /// Path of segment `number`: 20 decimal digits, zero-padded, then `.buf`.
    static func segmentPath(_ number: UInt64, directory: String) -> String {
        let digits = String(number)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".buf"
    }

    /// Creates segment `number` with `O_EXCL`, writes its header, fsyncs it and the directory
    /// (BUF-7). A failed creation removes the file again.
    static func createSegment(number: UInt64, directory: String) throws(AgentBufferError) -> (segment: LiveSegment, file: BufferFile) {
        let path = segmentPath(number, directory: directory)
        let file = try BufferFile(path: path, flags: O_RDWR | O_CREAT | O_EXCL)
        do {
            var w = ByteWriter(capacity: AgentBufferFormat.segmentHeaderSize)
            AgentBufferFormat.SegmentHeader(segmentNumber: number).encode(into: &w)
            try file.write(w.bytes, at: 0)
            try file.sync()
            try BufferFile.syncDirectory(directory)
        } catch {
            file.close()
            try? BufferFile.remove(path)
            throw error
        }
        let start = AgentBufferFormat.segmentHeaderSize
        return (LiveSegment(number: number, path: path, firstSequence: 0, recordCount: 0, endOffset: start,
                            acknowledgedRecords: 0, acknowledgedEnd: start), file)
    }
}

