import Testing
import StrataIO
@testable import StrataAgent
#if canImport(Glibc)
import Glibc
#endif

@Suite struct PathScannerTests {
    func tempDir() -> String {
        var t = Array("/tmp/agent-scan-XXXXXX".utf8CString)
        return t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func touch(_ path: String) throws {
        try FileSystem.createDirectory(FileSystem.parent(of: path))
        try FileSystem.writeAtomically(Array("x\n".utf8), to: path)
    }

    @Test func expandsDoubleStarAndAppliesExclusions() throws {
        let d = tempDir()
        for p in ["a.log", "b.log.gz", "sub/c.log", "sub/deeper/d.log", "sub/deeper/e.txt", "other/f.log"] { try touch(d + "/" + p) }
        let s = PathScanner(patterns: [d + "/**/*.log"], exclude: ["*.gz", d + "/other/*"])
        let (files, dirs) = s.scan()
        #expect(files.map(\.path).sorted() == [d + "/a.log", d + "/sub/c.log", d + "/sub/deeper/d.log"])
        #expect(dirs.contains(d) && dirs.contains(d + "/sub/deeper"))
    }

    @Test func followsSymlinksOnceAndSurvivesLoops() throws {
        let d = tempDir()
        try touch(d + "/real/app.log")
        #expect(symlink(d + "/real", d + "/link") == 0)
        #expect(symlink(d + "/real/app.log", d + "/real/alias.log") == 0)
        #expect(symlink(d, d + "/real/loop") == 0)
        let s = PathScanner(patterns: [d + "/**/*.log"], exclude: [])
        let (files, _) = s.scan()
        // One identity, found once, although it is reachable by four paths (and a loop).
        #expect(files.count == 1)
        #expect(files.first?.size == 2)
    }

    @Test func literalPatternMatchesOneFile() throws {
        let d = tempDir()
        try touch(d + "/x.log")
        let s = PathScanner(patterns: [d + "/x.log", d + "/missing.log"], exclude: [])
        #expect(s.scan().files.map(\.path) == [d + "/x.log"])
        #expect(s.accepts(d + "/x.log") && !s.accepts(d + "/y.log"))
    }
}
