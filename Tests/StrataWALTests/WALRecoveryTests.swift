import Testing
import StrataFormat
import StrataIO
import StrataTestSupport
@testable import StrataWAL
#if canImport(Glibc)
import Glibc
#endif

@Suite struct WALRecoveryTests {
    /// Writes `batches` records of 3 entries each and returns the WAL file's path and bytes.
    func writeWAL(_ dir: TemporaryDirectory, batches: Int, policy: FsyncPolicy = .always) throws -> (String, [UInt8], [[LogEntry]]) {
        let w = try WALWriter(directory: dir.path + "/wal", fileNumber: 1, options: WALOptions(fsync: policy))
        var rng = SeededRandom(seed: 11)
        var written = [[LogEntry]]()
        var seq: UInt64 = 1
        for _ in 0..<batches {
            var entries = randomEntries(count: 3, rng: &rng)
            for i in entries.indices { entries[i].sequence = seq + UInt64(i) }
            var payload = ByteWriter()
            LogEntryCodec.encode(entries, into: &payload)
            let t = try w.enqueue(firstSequence: seq, payload: payload.bytes)
            try w.waitDurable(t)
            seq += 3
            written.append(entries)
        }
        try w.close()
        let path = WALWriter.path(directory: dir.path + "/wal", number: 1)
        return (path, try FileSystem.readFile(path), written)
    }

    @Test func replayReturnsEveryRecordInOrder() throws {
        let dir = TemporaryDirectory()
        let (_, _, written) = try writeWAL(dir, batches: 5)
        let replay = try WALReader.replay(directory: dir.path + "/wal", repair: false)
        #expect(replay.damage.isEmpty)
        #expect(replay.batches.map(\.entries) == written)
    }

    @Test func truncationAtEveryOffsetKeepsExactlyTheCompleteRecords() throws {
        let dir = TemporaryDirectory()
        let (_, bytes, written) = try writeWAL(dir, batches: 3)
        // Record boundaries from a clean scan.
        let clean = bytes.withUnsafeBytes { WALReader.scan($0, path: "x") }
        var ends = [Int]()
        for b in clean.batches { ends.append(b.offset) }
        let recordEnds = Array(ends.dropFirst()) + [bytes.count]
        for cut in 0..<bytes.count {
            let prefix = Array(bytes[0..<cut])
            let (batches, damage) = prefix.withUnsafeBytes { WALReader.scan($0, path: "x") }
            let complete = recordEnds.filter { $0 <= cut }.count
            #expect(batches.count == complete, "cut at \(cut)")
            #expect(batches.map(\.entries) == Array(written.prefix(complete)), "cut at \(cut)")
            let atBoundary = cut == WALFormat.fileHeaderSize || recordEnds.contains(cut)
            #expect((damage == nil) == atBoundary, "cut at \(cut): a torn tail is reported exactly when the cut is inside a record")
        }
    }

    @Test func corruptionOfLastRecordAtEveryByteKeepsEveryEarlierRecord() throws {
        let dir = TemporaryDirectory()
        let (_, bytes, written) = try writeWAL(dir, batches: 3)
        let clean = bytes.withUnsafeBytes { WALReader.scan($0, path: "x") }
        let lastStart = clean.batches.last!.offset
        for i in lastStart..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 0x5A
            let (batches, damage) = damaged.withUnsafeBytes { WALReader.scan($0, path: "x") }
            #expect(batches.map(\.entries) == Array(written.prefix(2)), "flip at \(i)")
            #expect(damage?.validBytes == lastStart, "flip at \(i)")
        }
    }

    @Test func repairTruncatesTheTornTailAndAppendsContinueCleanly() throws {
        let dir = TemporaryDirectory()
        let (path, bytes, written) = try writeWAL(dir, batches: 4)
        let h = try FileHandle(path: path, flags: O_WRONLY)
        try h.truncate(to: bytes.count - 5)
        try h.close()
        let replay = try WALReader.replay(directory: dir.path + "/wal", repair: true)
        #expect(replay.batches.map(\.entries) == Array(written.prefix(3)))
        #expect(replay.damage.count == 1)
        let again = try WALReader.replay(directory: dir.path + "/wal", repair: false)
        #expect(again.damage.isEmpty, "after repair the file must be clean")
        #expect(again.batches.count == 3)
    }

    @Test func concurrentAppendsShareFsyncsAndAllSurvive() throws {
        let dir = TemporaryDirectory()
        let w = try WALWriter(directory: dir.path + "/wal", fileNumber: 1, options: WALOptions(fsync: .always))
        let lock = ConditionLock()
        final class Counter: @unchecked Sendable { var next: UInt64 = 1 }
        let counter = Counter()
        let threads = 8, perThread = 25
        DispatchGroupRunner.run(count: threads) {
            for _ in 0..<perThread {
                let entry = LogEntry(timestampNanos: 1, message: "m")
                var payload = ByteWriter()
                LogEntryCodec.encode([entry], into: &payload)
                let ticket: WALWriter.Ticket = lock.withLock {
                    let seq = counter.next
                    counter.next += 1
                    return try! w.enqueue(firstSequence: seq, payload: payload.bytes)
                }
                try! w.waitDurable(ticket)
            }
        }
        try w.close()
        let replay = try WALReader.replay(directory: dir.path + "/wal", repair: false)
        #expect(replay.batches.count == threads * perThread)
        #expect(replay.batches.map(\.firstSequence) == (1...UInt64(threads * perThread)).map { $0 })
    }

    @Test func rotationStartsANewFileAndRemovalDeletesOldOnes() throws {
        let dir = TemporaryDirectory()
        let w = try WALWriter(directory: dir.path + "/wal", fileNumber: 1, options: WALOptions(fsync: .interval(milliseconds: 10)))
        var payload = ByteWriter()
        LogEntryCodec.encode([LogEntry(timestampNanos: 1, message: "a")], into: &payload)
        try w.waitDurable(try w.enqueue(firstSequence: 1, payload: payload.bytes))
        let boundary = try w.rotate()
        #expect(boundary == 2)
        try w.waitDurable(try w.enqueue(firstSequence: 2, payload: payload.bytes))
        try w.removeFiles(before: boundary)
        let files = try WALReader.listFiles(directory: dir.path + "/wal").map(\.0)
        #expect(files == [2])
        try w.close()
    }
}

import Dispatch

/// Runs `count` copies of `body` on concurrent threads and waits for all.
enum DispatchGroupRunner {
    static func run(count: Int, _ body: @escaping @Sendable () -> Void) {
        DispatchQueue.concurrentPerform(iterations: count) { _ in body() }
    }
}
