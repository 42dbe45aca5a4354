import StrataFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DiskBuffer {
    /// What opening a buffer found on disk and what it did about it
    /// ([agent-buffer.md#recovery](format-spec/agent-buffer.md)).
    ///
    /// Invariant: no valid record disappears without being listed here. A truncation removes
    /// only a torn tail (what a crash leaves); a quarantine keeps the damaged file's original
    /// bytes in `quarantinedPath`; `deletedSegments` held only acknowledged records or none.
    public struct Recovery: Sendable, Equatable, CustomStringConvertible {
        /// A torn tail cut off the last segment (BUF-11).
        public struct Truncation: Sendable, Equatable {
            /// The segment file.
            public var path: String
            /// Its size afterwards; 0 when the header itself was torn and the file was removed.
            public var validBytes: Int
            /// Bytes cut off.
            public var removedBytes: Int
            /// What the scanner found at `validBytes`.
            public var reason: FormatError
        }

        /// A damaged segment set aside (BUF-11).
        public struct Quarantine: Sendable, Equatable {
            /// The segment file.
            public var path: String
            /// Where its original bytes now are (`NNN.buf.corrupt`, or `NNN.buf.corrupt-k` when taken).
            public var quarantinedPath: String
            /// Valid records before the damage, still queued in `path` (truncated to them);
            /// when 0, `path` no longer exists.
            public var keptRecords: Int
            /// Bytes of `path` kept.
            public var validBytes: Int
            /// The check that failed.
            public var reason: FormatError
        }

        /// Segment files read.
        public var segmentsScanned = 0
        /// Valid records found and kept, acknowledged or not.
        public var validRecords = 0
        /// The sequence `HEAD` says is delivered (0: none, or `HEAD` missing or damaged).
        public var acknowledgedSequence: UInt64 = 0
        /// Records queued after recovery.
        public var pendingRecords = 0
        /// Torn tails cut off.
        public var truncations: [Truncation] = []
        /// Damaged segments set aside.
        public var quarantines: [Quarantine] = []
        /// Segment files removed because every record in them was acknowledged, or they had none.
        public var deletedSegments: [String] = []
        /// Why `HEAD` was unreadable; it was renamed to `headQuarantinedPath` and every kept
        /// record is delivered again (at least once, never lost).
        public var damagedHead: FormatError?
        /// Where a damaged `HEAD` was moved.
        public var headQuarantinedPath: String?
        /// Leftover `*.tmp` files of an interrupted `HEAD` replacement or quarantine, removed.
        public var removedTemporaryFiles: [String] = []

        /// Whether nothing was damaged or torn (deleting acknowledged segments is routine).
        public var isClean: Bool { truncations.isEmpty && quarantines.isEmpty && damagedHead == nil }

        public var description: String {
            var lines = ["agent buffer: \(pendingRecords) pending records in \(segmentsScanned) segments scanned "
                + "(\(validRecords) valid records, acknowledged through \(acknowledgedSequence), \(deletedSegments.count) segments deleted)"]
            for t in truncations {
                lines.append("torn tail: \(t.path): kept \(t.validBytes) bytes, removed \(t.removedBytes): \(t.reason)")
            }
            for q in quarantines {
                lines.append("quarantined: \(q.path) → \(q.quarantinedPath): kept \(q.keptRecords) records (\(q.validBytes) bytes): \(q.reason)")
            }
            if let damagedHead {
                lines.append("HEAD damaged, moved to \(headQuarantinedPath ?? "?"); everything is delivered again: \(damagedHead)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Everything `init` needs from recovery.
    struct RecoveredState {
        var segments: [LiveSegment]
        var acknowledgedSequence: UInt64
        var nextSequence: UInt64
        var nextSegmentNumber: UInt64
        var recovery: Recovery
    }

    /// What recovery does with one segment file.
    private enum Action {
        case keep
        /// Cut a torn tail off the last segment (remove the file when its header is torn).
        case truncate(FormatError)
        /// Set the file aside, keeping its first `keep` records.
        case quarantine(FormatError, keep: Int)
    }

    /// Reads `HEAD` and every segment, decides what to do with each (changing nothing yet, so a
    /// file of a newer version stops the open before anything moves), then acts
    /// ([agent-buffer.md#recovery](format-spec/agent-buffer.md)). The caller holds the lock.
    static func recover(directory: String) throws(AgentBufferError) -> RecoveredState {
        var recovery = Recovery()
        var segmentFiles = [(number: UInt64, path: String)]()
        var temporaryFiles = [String]()
        var highestNumber: UInt64 = 0
        for name in try BufferFile.listDirectory(directory) {
            if name.hasSuffix(".tmp") {
                temporaryFiles.append(directory + "/" + name)
            } else if let n = segmentNumber(name, suffix: ".buf") {
                segmentFiles.append((n, directory + "/" + name))
                highestNumber = max(highestNumber, n)
            } else if let n = segmentNumber(name, suffix: ".buf.corrupt") {
                highestNumber = max(highestNumber, n)  // a new segment never takes a quarantined file's number
            }
        }

        // Pass 1: read and classify; nothing on disk changes.
        let headPath = directory + "/HEAD"
        var acknowledged: UInt64 = 0
        if BufferFile.exists(headPath) {
            let bytes = try BufferFile.readAll(headPath)
            do throws(FormatError) {
                acknowledged = try withBytes(bytes) { p throws(FormatError) in try AgentBufferFormat.Head.decode(from: p) }.acknowledgedSequence
            } catch {
                if error.kind == .unsupportedVersion { throw bytes.withUnsafeBytes { AgentBufferError.from(error, path: headPath, bytes: $0) } }
                recovery.damagedHead = error
            }
        }
        var plans = [(number: UInt64, path: String, scan: AgentBufferFormat.SegmentScan, fileSize: Int, action: Action)]()
        var lastSequence: UInt64 = 0
        for (i, file) in segmentFiles.enumerated() {
            let bytes = try BufferFile.readAll(file.path)
            let scan = bytes.withUnsafeBytes { AgentBufferFormat.scanSegment($0) }
            var action = Action.keep
            switch scan.stop {
            case .endOfSegment: break
            case .tornTail(let e) where i == segmentFiles.count - 1: action = .truncate(e)
            case .badHeader(let e) where e.kind == .unsupportedVersion:
                throw bytes.withUnsafeBytes { AgentBufferError.from(e, path: file.path, bytes: $0) }
            case .tornTail(let e), .corruptRecord(let e), .badHeader(let e): action = .quarantine(e, keep: scan.records.count)
            }
            if let first = scan.records.first, first.sequence <= lastSequence {  // BUF-5
                action = .quarantine(FormatError.invalid("agent buffer record", at: first.offset + 8,
                    "expected a sequence above \(lastSequence) (the previous segment's last), found \(first.sequence)"), keep: 0)
            } else if let last = scan.records.last {
                lastSequence = last.sequence
            }
            plans.append((file.number, file.path, scan, bytes.count, action))
        }

        // Pass 2: act. Every change is made durable before the buffer is used.
        for path in temporaryFiles {
            try BufferFile.remove(path)  // an interrupted HEAD replacement or quarantine copy
            recovery.removedTemporaryFiles.append(path)
        }
        if recovery.damagedHead != nil {
            let aside = freeName(headPath + ".corrupt")
            try BufferFile.rename(headPath, aside)
            recovery.headQuarantinedPath = aside
        }
        var kept = [(number: UInt64, path: String, records: ArraySlice<AgentBufferFormat.ScannedRecord>, validBytes: Int)]()
        for plan in plans {
            recovery.segmentsScanned += 1
            switch plan.action {
            case .keep:
                kept.append((plan.number, plan.path, plan.scan.records[...], plan.scan.validBytes))
            case .truncate(let reason):
                let validBytes = plan.scan.validBytes < AgentBufferFormat.segmentHeaderSize ? 0 : plan.scan.validBytes
                if validBytes == 0 {
                    try BufferFile.remove(plan.path)
                } else {
                    let f = try BufferFile(path: plan.path, flags: O_WRONLY)
                    try f.truncate(to: validBytes)
                    try f.sync()
                    kept.append((plan.number, plan.path, plan.scan.records[...], validBytes))
                }
                recovery.truncations.append(.init(path: plan.path, validBytes: validBytes, removedBytes: plan.fileSize - validBytes, reason: reason))
            case .quarantine(let reason, let keep):
                let aside = freeName(plan.path + ".corrupt")
                let validBytes = keep == 0 ? 0 : plan.scan.records[keep - 1].offset + plan.scan.records[keep - 1].sizeInBytes
                if keep == 0 {
                    try BufferFile.rename(plan.path, aside)
                } else {
                    // Copy first (durably, directory included), then cut: a crash in between
                    // leaves the original whole, and the next open does it again.
                    try BufferFile.writeAtomically(try BufferFile.readAll(plan.path), to: aside)
                    let f = try BufferFile(path: plan.path, flags: O_WRONLY)
                    try f.truncate(to: validBytes)
                    try f.sync()
                    kept.append((plan.number, plan.path, plan.scan.records[..<keep], validBytes))
                }
                recovery.quarantines.append(.init(path: plan.path, quarantinedPath: aside, keptRecords: keep, validBytes: validBytes, reason: reason))
            }
        }
        if !recovery.isClean { try BufferFile.syncDirectory(directory) }

        // Position the head: drop what HEAD covers, keep the rest queued.
        var segments = [LiveSegment]()
        var highestSequence: UInt64 = 0
        for (number, path, records, validBytes) in kept {
            recovery.validRecords += records.count
            guard let first = records.first, let last = records.last, last.sequence > acknowledged else {
                try BufferFile.remove(path)  // nothing queued in it; HEAD is already durable
                recovery.deletedSegments.append(path)
                highestSequence = max(highestSequence, records.last?.sequence ?? 0)
                continue
            }
            highestSequence = max(highestSequence, last.sequence)
            let ackedRecords = acknowledged < first.sequence ? 0 : Int(acknowledged - first.sequence) + 1
            let ackedEnd = records[records.startIndex + ackedRecords].offset
            segments.append(LiveSegment(number: number, path: path,
                                        firstSequence: first.sequence, recordCount: records.count, endOffset: validBytes,
                                        acknowledgedRecords: ackedRecords, acknowledgedEnd: ackedEnd))
            recovery.pendingRecords += records.count - ackedRecords
        }
        recovery.acknowledgedSequence = acknowledged
        // Only a forged or damaged-but-checksummed file can get here; refuse rather than wrap around.
        guard max(acknowledged, highestSequence) < UInt64.max, highestNumber < UInt64.max else {
            throw .corrupt(path: directory, FormatError.invalid("agent buffer", at: 0,
                "expected sequences and segment numbers below 2^64 - 1, found sequence \(max(acknowledged, highestSequence)), segment \(highestNumber)"))
        }
        return RecoveredState(segments: segments, acknowledgedSequence: acknowledged,
                              nextSequence: max(acknowledged, highestSequence) + 1,
                              nextSegmentNumber: highestNumber + 1, recovery: recovery)
    }

    /// The number of a file named 20 decimal digits followed by `suffix`, or nil.
    static func segmentNumber(_ name: String, suffix: String) -> UInt64? {
        let u = Array(name.utf8)
        let s = Array(suffix.utf8)
        guard u.count == 20 + s.count, u[20...].elementsEqual(s), u[..<20].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(String(decoding: u[..<20], as: UTF8.self))
    }

    /// `base`, or `base-1`, `base-2`, … : the first name nothing exists at.
    static func freeName(_ base: String) -> String {
        if !BufferFile.exists(base) { return base }
        var k = 1
        while BufferFile.exists(base + "-\(k)") { k += 1 }
        return base + "-\(k)"
    }
}
