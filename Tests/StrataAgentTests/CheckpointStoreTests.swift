import Testing
import StrataIO
@testable import StrataAgent
#if canImport(Glibc)
import Glibc
#endif

@Suite struct CheckpointStoreTests {
    func tempPath() -> String {
        var t = Array("/tmp/agent-cp-XXXXXX".utf8CString)
        return t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) } + "/checkpoints"
    }

    let a = FileIdentity(device: 1, inode: 10)
    let b = FileIdentity(device: 1, inode: 11)

    func cp(_ id: FileIdentity, _ path: String, _ off: Int) -> CheckpointStore.Checkpoint {
        .init(path: path, identity: id, offset: off, fingerprint: 0xabc, fingerprintBytes: 3)
    }

    @Test func offsetAdvancesOnlyOverTheSafePrefixOfBatches() throws {
        let s = try CheckpointStore(path: tempPath())
        s.register(cp(a, "/a", 0))
        s.handOut(a, offset: 100, batch: 1)
        s.handOut(a, offset: 150, batch: 1)
        s.handOut(a, offset: 300, batch: 2)
        s.handOut(a, offset: 400, batch: 3)
        // Batch 2 spilled to disk before batch 1 was delivered: nothing moves yet.
        s.markSafe(batch: 2, files: [a])
        #expect(s.checkpoint(for: a)?.offset == 0)
        s.markSafe(batch: 1, files: [a])
        #expect(s.checkpoint(for: a)?.offset == 300)
        #expect(s.hasPending(a))
        s.markSafe(batch: 3, files: [a])
        #expect(s.checkpoint(for: a)?.offset == 400)
        #expect(!s.hasPending(a))
    }

    @Test func savedCheckpointsReloadExactlyIncludingOddPaths() throws {
        let path = tempPath()
        let s = try CheckpointStore(path: path)
        s.register(cp(a, "/var/log/with space/a\\b\nnewline.log", 42))
        s.register(cp(b, "/b", 7))
        try s.saveIfChanged()
        let t = try CheckpointStore(path: path)
        #expect(t.checkpoint(for: a) == cp(a, "/var/log/with space/a\\b\nnewline.log", 42))
        #expect(t.checkpoint(for: b) == cp(b, "/b", 7))
        t.forget(a)
        try t.saveIfChanged()
        #expect(try CheckpointStore(path: path).checkpoint(for: a) == nil)
    }

    @Test func aDamagedFileIsAClearError() throws {
        let path = tempPath()
        try FileSystem.writeAtomically(Array("# strata-agent checkpoints v1: device inode offset fingerprint fingerprint_bytes path\n1 2 x 0 0 /p\n".utf8), to: path)
        #expect(throws: AgentRuntimeError.self) { try CheckpointStore(path: path) }
        try FileSystem.writeAtomically(Array("garbage\n".utf8), to: path)
        do {
            _ = try CheckpointStore(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("line 1"))
        }
    }
}

@Suite struct BatchRecordTests {
    @Test func bufferRecordRoundTripsAndRejectsOtherLayouts() {
        let b = Batch(sequence: 9, lines: 3, rawBytes: 70_000, compression: .lz4, body: [1, 2, 3, 250], files: [FileIdentity(device: 1, inode: 2)])
        let r = b.bufferRecord()
        #expect(r.prefix(10) == [1, 3, 3, 0, 0, 0, 0x70, 0x11, 0x01, 0x00])
        let back = Batch.fromBufferRecord(r, sequence: 77)
        #expect(back?.lines == 3 && back?.rawBytes == 70_000 && back?.compression == .lz4 && back?.body == [1, 2, 3, 250])
        #expect(back?.files.isEmpty == true && back?.sequence == 77)
        var other = r
        other[0] = 2
        #expect(Batch.fromBufferRecord(other, sequence: 1) == nil)
        other = r
        other[1] = 9
        #expect(Batch.fromBufferRecord(other, sequence: 1) == nil)
        #expect(Batch.fromBufferRecord(Array(r.prefix(9)), sequence: 1) == nil)
    }
}
