import Foundation
import Testing
@testable import StrataCodec

/// Bodies compressed by the real `gzip`, `zstd`, `lz4` and Python's zlib decode to the original bytes;
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

    // MARK: lz4 frames (Content-Encoding: lz4)

    /// `lz4` tool settings that change the frame layout: default (independent 4 MiB blocks,
    /// content checksum), linked 64 KiB blocks, block checksums, content size, no checksum.
    @Test(arguments: [["-c", "-q"], ["-c", "-q", "-B4", "-BD"], ["-c", "-q", "-BX", "--content-size"], ["-c", "-q", "--no-frame-crc", "-9"]])
    func lz4ToolFramesRoundTrip(_ flags: [String]) throws {
        let s = sample
        #expect(try decode(try run(["lz4"] + flags, s), .lz4) == s)
    }

    @Test func lz4ConcatenatedAndSkippableFramesAreOneBody() throws {
        let a = try run(["lz4", "-c", "-q"], Array("a\n".utf8)), b = try run(["lz4", "-c", "-q"], Array("b\n".utf8))
        #expect(try decode(a + b, .lz4) == Array("a\nb\n".utf8))
        // Skippable frame: magic 0x184D2A50..5F, LE size, payload; ignored by decoders.
        let skippable: [UInt8] = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]
        #expect(try decode(skippable + a, .lz4) == Array("a\n".utf8))
    }

    /// Outputs that end exactly on, and just past, the decoder's 64 KiB chunk.
    @Test(arguments: [65_535, 65_536, 65_537, 131_072])
    func lz4OutputAtChunkBoundaries(_ n: Int) throws {
        let s = Array(sample.prefix(n))
        #expect(s.count == n)
        #expect(try decode(try run(["lz4", "-c", "-q", "-BD"], s), .lz4) == s)
    }

    @Test func lz4LimitsTruncationAndGarbage() throws {
        let s = sample
        let f = try run(["lz4", "-c", "-q"], s)
        #expect(throws: StreamDecompression.Failure.tooLarge(limit: 1000)) { try decode(f, .lz4, limit: 1000) }
        #expect(try decode(f, .lz4, limit: s.count) == s)
        #expect(throws: StreamDecompression.Failure.tooLarge(limit: s.count - 1)) { try decode(f, .lz4, limit: s.count - 1) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(Array(f.prefix(f.count / 2)), .lz4) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(Array(f.dropLast()), .lz4) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(f + [1, 2, 3], .lz4) }
        #expect(throws: StreamDecompression.Failure.self) { try decode(Array("plain text".utf8), .lz4) }
        #expect(throws: StreamDecompression.Failure.self) { try decode([], .lz4) }
        // A flipped byte in the compressed data: block decoding or the content checksum fails.
        var corrupt = f
        corrupt[corrupt.count / 2] ^= 0x5a
        #expect(throws: StreamDecompression.Failure.self) { try decode(corrupt, .lz4) }
        // The error names the encoding and what LZ4F reported.
        do {
            _ = try decode(Array(f.prefix(f.count - 4)), .lz4)
            Issue.record("truncated frame accepted")
        } catch {
            #expect(error.description.hasPrefix("invalid lz4 body: "))
        }
    }
}
