import Testing
import StrataFormat
import StrataIO
@testable import StrataAgent
#if canImport(Glibc)
import Glibc
#endif

/// A fresh empty directory under /tmp, removed when released.
final class BufferTestDirectory {
    let path: String

    init(_ label: String = "strata-agentbuffer") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "BUG: mkdtemp failed")
        path = String(cString: p!) + "/buffer"
    }

    /// Removed in process (`FileSystem.removeTree`): a forked `rm -rf` would hold the buffer
    /// lock of a test running meanwhile, which then could not reopen its buffer.
    deinit { try? FileSystem.removeTree(FileSystemTest.parent(path)) }

    /// Path of segment `n`.
    func segment(_ n: UInt64) -> String { DiskBuffer.segmentPath(n, directory: path) }
}

/// Small file helpers for damaging buffers in tests.
enum FileSystemTest {
    static func parent(_ path: String) -> String { String(path[..<path.lastIndex(of: "/")!]) }
    static func read(_ path: String) throws -> [UInt8] { try BufferFile.readAll(path) }
    static func write(_ bytes: [UInt8], to path: String) throws {
        let f = try BufferFile(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try f.write(bytes, at: 0)
    }
    static func names(_ dir: String) throws -> [String] { try BufferFile.listDirectory(dir) }
    static func segmentNames(_ dir: String) throws -> [String] { try names(dir).filter { $0.hasSuffix(".buf") } }
}

/// Deterministic payload `i` of `size` bytes (never all zero).
func payload(_ i: Int, size: Int = 100) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0 &* 7 &+ 1) }
}

/// Record size on disk of a payload of `n` bytes.
func recordSize(_ n: Int) -> Int { AgentBufferFormat.recordHeaderSize + n }

@Suite struct DiskBufferTests {
    @Test func recordsComeBackInFIFOOrderAcrossSegmentsAndReopen() throws {
        let dir = BufferTestDirectory()
        let written = (0..<20).map { payload($0, size: 30 + $0 * 5) }
        do {
            let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20, segmentBytes: 256)
            for p in written { #expect(try b.append(p)) }
            #expect(try FileSystemTest.segmentNames(dir.path).count > 3, "records must spread over several segments")
            let peeked = try b.peek(max: 100)
            #expect(peeked.map(\.payload) == written)
            #expect(peeked.map(\.id.sequence) == Array(1...20))
            #expect(b.pendingRecords == 20)
            #expect(b.pendingBytes == written.reduce(0) { $0 + recordSize($1.count) })
            try b.close()
        }
        let reopened = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20, segmentBytes: 256)
        #expect(reopened.recovery.isClean)
        #expect(reopened.recovery.pendingRecords == 20)
        #expect(try reopened.peek(max: 100).map(\.payload) == written)
        #expect(try reopened.peek(max: 3).map(\.payload) == Array(written.prefix(3)), "peek(max:) stops at max and consumes nothing")
    }

    @Test func appendRefusesAtMaxBytesAndAcceptsAgainAfterAcknowledge() throws {
        let dir = BufferTestDirectory()
        let b = try DiskBuffer(directory: dir.path, maxBytes: 3 * recordSize(100), segmentBytes: 1 << 20)
        for i in 0..<3 { #expect(try b.append(payload(i))) }
        let sizeBefore = try FileSystemTest.read(dir.segment(1)).count
        #expect(try b.append(payload(3)) == false, "BUF-10: a 4th record would pass maxBytes")
        #expect(try FileSystemTest.read(dir.segment(1)).count == sizeBefore, "a refused append writes nothing")
        #expect(b.pendingBytes == 3 * recordSize(100))
        #expect(try b.append([]) == false, "even an empty record needs 24 bytes")
        let first = try b.peek(max: 1)
        try b.acknowledge(through: first[0].id)
        #expect(b.pendingBytes == 2 * recordSize(100))
        #expect(try b.append(payload(3)))
        #expect(try b.peek(max: 10).map(\.payload) == [payload(1), payload(2), payload(3)])
    }

    @Test func recordThatCanNeverFitThrowsInsteadOfBlockingForever() throws {
        let dir = BufferTestDirectory()
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1000)
        #expect(throws: AgentBufferError.recordTooLarge(sizeInBytes: recordSize(977), limitInBytes: 1000)) {
            try b.append(payload(0, size: 977))
        }
        #expect(try b.append(payload(0, size: 976)))
    }

    @Test func acknowledgeIsPersistedAcrossReopen() throws {
        let dir = BufferTestDirectory()
        do {
            let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
            for i in 0..<5 { #expect(try b.append(payload(i))) }
            let ids = try b.peek(max: 5).map(\.id)
            try b.acknowledge(through: ids[2])
            try b.acknowledge(through: ids[1])  // behind the head: nothing happens
            #expect(try b.peek(max: 5).map(\.payload) == [payload(3), payload(4)])
            try b.close()
        }
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(b.recovery.acknowledgedSequence == 3)
        #expect(b.pendingRecords == 2)
        #expect(b.pendingBytes == 2 * recordSize(100))
        #expect(try b.peek(max: 5).map(\.payload) == [payload(3), payload(4)])
        #expect(try b.append(payload(5)))
        #expect(try b.peek(max: 5).map(\.id.sequence) == [4, 5, 6])
    }

    @Test func acknowledgeDeletesSegmentsEntirelyBehindTheHead() throws {
        let dir = BufferTestDirectory()
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20, segmentBytes: 32 + 2 * recordSize(100))
        for i in 0..<7 { #expect(try b.append(payload(i))) }  // segments 1..4 with 2, 2, 2, 1 records
        #expect(try FileSystemTest.segmentNames(dir.path).count == 4)
        let ids = try b.peek(max: 7).map(\.id)
        try b.acknowledge(through: ids[2])  // segment 1 entirely, segment 2 half
        #expect(try FileSystemTest.segmentNames(dir.path) == ["00000000000000000002.buf", "00000000000000000003.buf", "00000000000000000004.buf"])
        try b.acknowledge(through: ids[6])  // everything: the open segment 4 stays
        #expect(try FileSystemTest.segmentNames(dir.path) == ["00000000000000000004.buf"])
        #expect(b.isEmpty && b.pendingBytes == 0)
        #expect(try b.peek(max: 10).isEmpty)
    }

    @Test func sequencesContinueAfterEverythingIsAcknowledgedAndReopened() throws {
        let dir = BufferTestDirectory()
        do {
            let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
            for i in 0..<3 { #expect(try b.append(payload(i))) }
            try b.acknowledge(through: try b.peek(max: 3)[2].id)
            try b.close()
        }
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(b.isEmpty)
        #expect(b.recovery.deletedSegments.count == 1, "the fully acknowledged segment is removed on open")
        #expect(try b.append(payload(9)))
        #expect(try b.peek(max: 1).map(\.id.sequence) == [4], "BUF-12: a new record never reuses an acknowledged sequence")
    }

    /// Writes `count` records of 100 bytes into segment 1 and closes the buffer.
    func fill(_ dir: BufferTestDirectory, count: Int, segmentBytes: Int = 1 << 20) throws {
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20, segmentBytes: segmentBytes)
        for i in 0..<count { #expect(try b.append(payload(i))) }
        try b.close()
    }

    @Test(arguments: [1, 23, 24, 60, 123])
    func tornLastRecordIsTruncatedKeepingEverythingBefore(cutInsideLastRecord: Int) throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 3)
        let bytes = try FileSystemTest.read(dir.segment(1))
        let lastStart = 32 + 2 * recordSize(100)
        try FileSystemTest.write(Array(bytes[..<(lastStart + cutInsideLastRecord)]), to: dir.segment(1))
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(try b.peek(max: 10).map(\.payload) == [payload(0), payload(1)])
        #expect(b.recovery.truncations.map(\.validBytes) == [lastStart])
        #expect(b.recovery.truncations.first?.removedBytes == cutInsideLastRecord)
        #expect(b.recovery.quarantines.isEmpty)
        #expect(try FileSystemTest.read(dir.segment(1)) == Array(bytes[..<lastStart]), "BUF-11: the file is cut at the valid prefix")
    }

    @Test func zeroFilledTailIsTruncatedKeepingEveryRecord() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 3)
        let bytes = try FileSystemTest.read(dir.segment(1))
        try FileSystemTest.write(bytes + [UInt8](repeating: 0, count: 4096), to: dir.segment(1))
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(try b.peek(max: 10).map(\.payload) == (0..<3).map { payload($0) })
        #expect(b.recovery.truncations.map(\.removedBytes) == [4096])
        #expect(try FileSystemTest.read(dir.segment(1)) == bytes)
    }

    @Test(arguments: [0, 10, 32, 4096])
    func segmentWhoseHeaderNeverReachedTheDiskIsRemoved(zeroBytes: Int) throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 2)
        try FileSystemTest.write([UInt8](repeating: 0, count: zeroBytes), to: dir.segment(2))
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(try b.peek(max: 10).map(\.payload) == [payload(0), payload(1)])
        #expect(b.recovery.truncations.map(\.validBytes) == [0])
        #expect(b.recovery.quarantines.isEmpty)
        #expect(try FileSystemTest.names(dir.path).filter { $0.contains("corrupt") }.isEmpty)
    }

    @Test func checksumFlipInTheMiddleOfANonLastSegmentQuarantinesIt() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 9, segmentBytes: 32 + 3 * recordSize(100))  // segments 1, 2, 3: 3 records each
        let original = try FileSystemTest.read(dir.segment(1))
        var damaged = original
        damaged[32 + recordSize(100) + 24 + 50] ^= 0x01  // payload of record 2 of segment 1
        try FileSystemTest.write(damaged, to: dir.segment(1))
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(try b.peek(max: 20).map(\.payload) == [payload(0)] + (3..<9).map { payload($0) })
        let q = try #require(b.recovery.quarantines.first)
        #expect(b.recovery.quarantines.count == 1)
        #expect(q.path == dir.segment(1) && q.quarantinedPath == dir.segment(1) + ".corrupt")
        #expect(q.keptRecords == 1 && q.reason.kind == .checksumMismatch && q.reason.offset == 32 + recordSize(100))
        #expect(try FileSystemTest.read(q.quarantinedPath) == damaged, "BUF-11: the damaged bytes are kept aside")
        #expect(try FileSystemTest.read(dir.segment(1)) == Array(original[..<(32 + recordSize(100))]))
        #expect(!b.recovery.isClean)
        #expect(b.recovery.description.contains("quarantined"))
    }

    @Test func corruptRecordInTheMiddleOfTheLastSegmentIsQuarantinedNotTruncated() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 3)
        var damaged = try FileSystemTest.read(dir.segment(1))
        damaged[32 + 10] ^= 0xFF  // sequence byte of record 1: checksum mismatch with records after it
        try FileSystemTest.write(damaged, to: dir.segment(1))
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(b.isEmpty)
        #expect(b.recovery.truncations.isEmpty)
        #expect(b.recovery.quarantines.map(\.keptRecords) == [0])
        #expect(!BufferFile.exists(dir.segment(1)))
        #expect(try FileSystemTest.read(dir.segment(1) + ".corrupt") == damaged)
        #expect(try b.append(payload(7)))
        #expect(try b.peek(max: 1).map(\.id.sequence) == [1], "nothing was acknowledged, so sequences restart")
    }

    @Test func badMagicSetsTheSegmentAsideAndLaterSegmentsAreStillRead() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 4, segmentBytes: 32 + 2 * recordSize(100))
        var damaged = try FileSystemTest.read(dir.segment(1))
        damaged[0] = UInt8(ascii: "X")
        try FileSystemTest.write(damaged, to: dir.segment(1))
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(try b.peek(max: 10).map(\.payload) == [payload(2), payload(3)])
        #expect(b.recovery.quarantines.map(\.reason.kind) == [.badMagic])
        #expect(try FileSystemTest.read(dir.segment(1) + ".corrupt") == damaged)
    }

    @Test func newerSegmentVersionIsRejectedWithAClearErrorAndNothingMoves() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 2)
        var newer = try FileSystemTest.read(dir.segment(1))
        newer[8] = 2
        try FileSystemTest.write(newer, to: dir.segment(1))
        let namesBefore = try FileSystemTest.names(dir.path)
        #expect(throws: AgentBufferError.unsupportedVersion(path: dir.segment(1), offset: 8, found: 2, supported: 1...1)) {
            try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        }
        do { _ = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20) } catch {
            #expect(error.description.contains("version 2 not supported") && error.description.contains("newer strata-agent"))
            #expect(!error.isCorruption)
        }
        #expect(try FileSystemTest.names(dir.path) == namesBefore)
        #expect(try FileSystemTest.read(dir.segment(1)) == newer)
    }

    @Test func newerHeadVersionIsRejected() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 1)
        try FileSystemTest.write(AgentBufferFormat.Head(acknowledgedSequence: 1, version: 7).encode(), to: dir.path + "/HEAD")
        #expect(throws: AgentBufferError.unsupportedVersion(path: dir.path + "/HEAD", offset: 8, found: 7, supported: 1...1)) {
            try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        }
    }

    @Test func damagedHeadIsSetAsideAndEverythingIsDeliveredAgain() throws {
        let dir = BufferTestDirectory()
        do {
            let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
            for i in 0..<3 { #expect(try b.append(payload(i))) }
            try b.acknowledge(through: try b.peek(max: 1)[0].id)
            try b.close()
        }
        var head = try FileSystemTest.read(dir.path + "/HEAD")
        head[16] ^= 0x04
        try FileSystemTest.write(head, to: dir.path + "/HEAD")
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(b.recovery.damagedHead?.kind == .checksumMismatch)
        #expect(b.recovery.headQuarantinedPath == dir.path + "/HEAD.corrupt")
        #expect(try b.peek(max: 10).map(\.payload) == (0..<3).map { payload($0) }, "at least once: never lost")
        #expect(!BufferFile.exists(dir.path + "/HEAD"))
    }

    @Test func segmentRepeatingEarlierSequencesIsQuarantined() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 2)
        try FileSystemTest.write(try FileSystemTest.read(dir.segment(1)), to: dir.segment(9))  // BUF-5 broken
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(try b.peek(max: 10).map(\.payload) == [payload(0), payload(1)])
        #expect(b.recovery.quarantines.map(\.path) == [dir.segment(9)])
        #expect(b.recovery.quarantines.first?.reason.kind == .invalid)
        #expect(try FileSystemTest.segmentNames(dir.path).last == "00000000000000000010.buf", "new segment numbered above every file seen")
    }

    @Test func bitRotAfterOpenMakesPeekThrowACorruptionErrorWithPathAndOffset() throws {
        let dir = BufferTestDirectory()
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        for i in 0..<2 { #expect(try b.append(payload(i))) }
        var bytes = try FileSystemTest.read(dir.segment(1))
        bytes[32 + recordSize(100) + 40] ^= 0x10
        try FileSystemTest.write(bytes, to: dir.segment(1))
        do {
            _ = try b.peek(max: 10)
            Issue.record("peek must not return a record whose checksum fails")
        } catch {
            #expect(error == .corrupt(path: dir.segment(1), error.corruptReason!))
            #expect(error.corruptReason?.offset == 32 + recordSize(100))
            #expect(error.description.hasPrefix(dir.segment(1) + ": agent buffer record @0x9c: checksumMismatch"))
        }
    }

    @Test func leftoverTemporaryFilesAreRemoved() throws {
        let dir = BufferTestDirectory()
        try fill(dir, count: 1)
        try FileSystemTest.write([1, 2, 3], to: dir.path + "/HEAD.tmp")
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(b.recovery.removedTemporaryFiles == [dir.path + "/HEAD.tmp"])
        #expect(!BufferFile.exists(dir.path + "/HEAD.tmp"))
        #expect(b.pendingRecords == 1)
    }

    @Test func secondOpenOfTheSameDirectoryIsRefusedUntilClosed() throws {
        let dir = BufferTestDirectory()
        let b = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
        #expect(throws: AgentBufferError.locked(path: dir.path + "/LOCK")) { try DiskBuffer(directory: dir.path, maxBytes: 1 << 20) }
        try b.close()
        #expect(throws: AgentBufferError.closed(path: dir.path)) { try b.append([1]) }
        _ = try DiskBuffer(directory: dir.path, maxBytes: 1 << 20)
    }

    @Test func invalidConfigurationIsRejected() {
        #expect(throws: AgentBufferError.invalidConfiguration(detail: "maxBytes 0: expected at least 24")) {
            try DiskBuffer(directory: "/tmp/never-created", maxBytes: 0)
        }
        #expect(throws: AgentBufferError.invalidConfiguration(detail: "segmentBytes 40: expected at least 56")) {
            try DiskBuffer(directory: "/tmp/never-created", maxBytes: 100, segmentBytes: 40)
        }
    }

    @Test func producerAndConsumerThreadsDeliverEveryRecordOnceInOrder() async throws {
        let dir = BufferTestDirectory()
        let b = try DiskBuffer(directory: dir.path, maxBytes: 20 * recordSize(64), segmentBytes: 4096)
        let total = 2000
        let producer = Task.detached {
            var i = 0
            while i < total {
                if try b.append(payload(i, size: 64)) { i += 1 } else { sched_yield() }
                if i % 100 == 0 { try b.sync() }
            }
        }
        let consumer = Task.detached { () throws -> [[UInt8]] in
            var got = [[UInt8]]()
            while got.count < total {
                let batch = try b.peek(max: 7)
                if batch.isEmpty { sched_yield(); continue }
                got += batch.map(\.payload)
                try b.acknowledge(through: batch[batch.count - 1].id)
            }
            return got
        }
        try await producer.value
        let got = try await consumer.value
        #expect(got == (0..<total).map { payload($0, size: 64) })
        #expect(b.isEmpty)
        #expect(try FileSystemTest.segmentNames(dir.path).count == 1, "every segment but the open one deleted")
    }
}

extension AgentBufferError {
    /// The `FormatError` of a `.corrupt` error.
    var corruptReason: FormatError? {
        if case .corrupt(_, let e) = self { return e }
        return nil
    }
}
