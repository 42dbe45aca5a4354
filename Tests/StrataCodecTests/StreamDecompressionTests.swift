import Foundation
import Testing
@testable import StrataCodec

/// Bodies compressed by the real `gzip`, `zstd` and Python's zlib decode to the original bytes;
/// limits, truncation and garbage are errors.
@Suite struct StreamDecompressionTests {
    func run(_ args: [String], _ input: [UInt8]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let i = Pipe(), o = Pipe()
        p.standardInput = i
        p.standardOutput = o
        try p.run()
        DispatchQueue.global().async {
            i.fileHandleForWriting.write(Data(input))
            try? i.fileHandleForWriting.close()
        }
        let out = o.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return [UInt8](out)
    }

    func decode(_ b: [UInt8], _ e: StreamDecompression.Encoding, limit: Int = 1 << 24) throws(StreamDecompression.Failure) -> [UInt8] {
        try withBytes(b) { (p: UnsafeRawBufferPointer) throws(StreamDecompression.Failure) in try StreamDecompression.decompress(p, encoding: e, limit: limit) }
    }

    var sample: [UInt8] {
        var rng = SystemRandomNumberGenerator()
        var s = [UInt8]()
        for i in 0..<20_000 { s.append(contentsOf: "line \(i) \(UInt32.random(in: 0...999, using: &rng))\n".utf8) }
        return s
    }

    @Test func realToolsRoundTrip() throws {
        let s = sample
        #expect(try decode(try run(["gzip", "-c"], s), .gzip) == s)
        #expect(try decode(try run(["zstd", "-c", "-q"], s), .zstd) == s)
        #expect(try decode(try run(["python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"], s), .deflate) == s)
        // Concatenated gzip members and zstd frames are one body.
        let g = try run(["gzip", "-c"], Array("a\n".utf8)) + (try run(["gzip", "-c"], Array("b\n".utf8)))
        #expect(try decode(g, .gzip) == Array("a\nb\n".utf8))
        let z = try run(["zstd", "-c", "-q"], Array("a\n".utf8)) + (try run(["zstd", "-c", "-q"], Array("b\n".utf8)))
        #expect(try decode(z, .zstd) == Array("a\nb\n".utf8))
    }

    @Test func limitsTruncationAndGarbage() throws {
        let s = sample
        let g = try run(["gzip", "-c"], s), z = try run(["zstd", "-c", "-q"], s)
        #expect(throws: StreamDecompression.Failure.tooLarge(limit: 1000)) { try decode(g, .gzip, limit: 1000) }
        #expect(throws: StreamDecompression.Failure.tooLarge(limit: 1000)) { try decode(z, .zstd, limit: 1000) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(Array(g.prefix(g.count / 2)), .gzip) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(Array(z.prefix(z.count / 2)), .zstd) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(g + [1, 2, 3], .gzip) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(Array("plain text".utf8), .zstd) }
        #expect(throws: StreamDecompression.Failure.self) { try decode([], .gzip) }
    }
}
