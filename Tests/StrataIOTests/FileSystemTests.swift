import Testing
import StrataIO
import StrataTestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileSystemTests {
    @Test func removeTreeDeletesEverythingBelowAndDoesNotFollowLinks() throws {
        let outside = TemporaryDirectory("strata-io-outside")
        let keep = outside.path + "/keep.txt"
        try FileSystem.writeAtomically(Array("kept".utf8), to: keep)
        let dir = TemporaryDirectory("strata-io-tree")
        let root = dir.path + "/root"
        try FileSystem.createDirectory(root + "/a/b/c")
        try FileSystem.writeAtomically(Array("x".utf8), to: root + "/a/b/c/file")
        try FileSystem.writeAtomically([], to: root + "/a/empty")
        #expect(symlink(outside.path, root + "/a/link-to-dir") == 0)
        #expect(symlink(keep, root + "/link-to-file") == 0)
        #expect(symlink(root + "/missing", root + "/dangling") == 0)

        try FileSystem.removeTree(root)
        #expect(!FileSystem.exists(root))
        #expect(try FileSystem.readFile(keep) == Array("kept".utf8), "a symbolic link is removed, not followed")
        try FileSystem.removeTree(root)   // a missing path is not an error
    }

    @Test func removeTreeReportsWhatItCannotRemove() throws {
        // A path through a regular file cannot be looked at (ENOTDIR), whoever runs the test.
        let dir = TemporaryDirectory("strata-io-bad")
        try FileSystem.writeAtomically(Array("x".utf8), to: dir.path + "/file")
        #expect(throws: IOError.self) { try FileSystem.removeTree(dir.path + "/file/child") }
        #expect(FileSystem.exists(dir.path + "/file"), "nothing else is touched")
    }
}

@Suite struct FileHandlePositionalTests {
    @Test func positionalWritesAndReadsLeaveThePositionAlone() throws {
        let dir = TemporaryDirectory("strata-io-pos")
        let h = try FileHandle(path: dir.path + "/f", flags: O_RDWR | O_CREAT)
        try h.write(Array("0123456789".utf8))
        try h.write(Array("AB".utf8), at: 3)
        try h.write(Array("end".utf8))                       // appends at the position: after "9"
        #expect(try h.read(at: 0, count: 100) == Array("012AB56789end".utf8))
        var buffer = [UInt8](repeating: 0, count: 4)
        let n = try buffer.withUnsafeMutableBytes { try h.read(into: $0, at: 11) }
        #expect(n == 2 && buffer[..<2] == ArraySlice("nd".utf8))
        try h.write([UInt8](), at: 100)                      // nothing to write: no hole either
        #expect(try h.size() == 13)
    }

    @Test func anExclusiveLockExcludesOtherDescriptorsUntilClosed() throws {
        let dir = TemporaryDirectory("strata-io-lock")
        let a = try FileHandle(path: dir.path + "/LOCK", flags: O_RDWR | O_CREAT)
        let b = try FileHandle(path: dir.path + "/LOCK", flags: O_RDWR | O_CREAT)
        #expect(try a.tryLockExclusive())
        #expect(try !b.tryLockExclusive())
        try a.close()
        #expect(try b.tryLockExclusive())
    }
}
