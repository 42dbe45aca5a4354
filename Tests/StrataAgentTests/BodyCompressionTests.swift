import CZlib
import CZstd
import Foundation
import StrataCodec
import Testing
@testable import StrataAgent

/// Every encoding round-trips through a decoder that is not ours (zstd and zlib libraries,
/// the `gzip` and `lz4` tools) and through the store's `StreamDecompression`.
@Suite struct BodyCompressionTests {
    /// ~300 KB of log-like text.
    static let sample: [UInt8] = {
        var s = [UInt8]()
        var x: UInt32 = 12345
        for i in 0..<4000 {
            x = x &* 1_103_515_245 &+ 12345
            s += Array("2026-11-29T10:00:\(i % 60)Z level=info host=web-\(x % 7) msg=\"request done\" status=\(200 + x % 5) ms=\(x % 997)\n".utf8)
        }
        return s
    }()

    static func unzstd(_ b: [UInt8]) -> [UInt8]? {
        let size = ZSTD_getFrameContentSize(b, b.count)
        guard size != ZSTD_CONTENTSIZE_UNKNOWN, size != ZSTD_CONTENTSIZE_ERROR else { return nil }
        var out = [UInt8](repeating: 0, count: Int(size))
        let n = out.withUnsafeMutableBytes { ZSTD_decompress($0.baseAddress, $0.count, b, b.count) }
        return ZSTD_isError(n) == 0 && n == Int(size) ? out : nil
    }

    static func gunzip(_ b: [UInt8]) -> [UInt8]? {
        var s = z_stream()
        guard inflateInit2_(&s, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&s) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = b
        return input.withUnsafeMutableBytes { inp -> [UInt8]? in
            s.next_in = inp.baseAddress?.assumingMemoryBound(to: Bytef.self)
            s.avail_in = uInt(inp.count)
            while true {
                let rc = chunk.withUnsafeMutableBytes { c -> Int32 in
                    s.next_out = c.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    s.avail_out = uInt(c.count)
                    return inflate(&s, Z_NO_FLUSH)
                }
                out += chunk[0..<(chunk.count - Int(s.avail_out))]
                if rc == Z_STREAM_END { return s.avail_in == 0 ? out : nil }
                if rc != Z_OK { return nil }
            }
        }
    }

    static func storeDecode(_ b: [UInt8], _ e: StreamDecompression.Encoding) throws -> [UInt8] {
        try b.withUnsafeBytes { try StreamDecompression.decompress($0, encoding: e, limit: 1 << 26) }
    }

    @Test(arguments: [Int32?.none, 1, 19])
    func zstdRoundTrips(_ level: Int32?) throws {
        let (bytes, enc) = BodyCompression(.zstd, level: level).compress(Self.sample)
        #expect(enc == "zstd")
        #expect(bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]))
        #expect(bytes.count * 4 < Self.sample.count)
        #expect(Self.unzstd(bytes) == Self.sample)
        #expect(try Self.storeDecode(bytes, .zstd) == Self.sample)
    }

    @Test(arguments: [Int32?.none, 1, 9])
    func gzipRoundTrips(_ level: Int32?) throws {
        let (bytes, enc) = BodyCompression(.gzip, level: level).compress(Self.sample)
        #expect(enc == "gzip")
        #expect(bytes.starts(with: [0x1f, 0x8b, 8]))
        #expect(bytes.count * 4 < Self.sample.count)
        #expect(Self.gunzip(bytes) == Self.sample)
        let tool = try runTool(["gzip", "-d", "-c"], input: bytes)
        #expect(tool.status == 0 && tool.stdout == Self.sample)
        #expect(try Self.storeDecode(bytes, .gzip) == Self.sample)
    }

    @Test(arguments: [Int32?.none, 9])
    func lz4FrameRoundTrips(_ level: Int32?) throws {
        let (bytes, enc) = BodyCompression(.lz4, level: level).compress(Self.sample)
        #expect(enc == "lz4")
        #expect(bytes.starts(with: [0x04, 0x22, 0x4d, 0x18])) // LZ4 frame magic, not a raw block
        #expect(bytes.count * 2 < Self.sample.count)
        let tool = try runTool(["lz4", "-d", "-c"], input: bytes)
        #expect(tool.status == 0 && tool.stdout == Self.sample)
        #expect(try Self.storeDecode(bytes, .lz4) == Self.sample)
        // The frame declares its content size (lz4 --list reads it from the header).
        let list = try runTool(["python3", "-c", "import sys; b=sys.stdin.buffer.read(); print(b[4] & 0x08, int.from_bytes(b[6:14], 'little'))"], input: bytes)
        #expect(String(decoding: list.stdout, as: UTF8.self) == "8 \(Self.sample.count)\n")
    }

    @Test func higherLevelsCompressSmaller() {
        let size = { (e: BodyCompression.Encoding, l: Int32) in BodyCompression(e, level: l).compress(Self.sample).bytes.count }
        #expect(size(.zstd, 19) < size(.zstd, 1))
        #expect(size(.gzip, 9) < size(.gzip, 1))
        #expect(size(.lz4, 9) < size(.lz4, 0))
    }

    @Test func outOfRangeLevelsAreClamped() throws {
        for (e, l) in [(BodyCompression.Encoding.zstd, Int32(1000)), (.zstd, -1_000_000), (.gzip, 42), (.gzip, -7), (.lz4, 99), (.lz4, -3)] {
            let (bytes, _) = BodyCompression(e, level: l).compress(Self.sample)
            let back = try Self.storeDecode(bytes, StreamDecompression.Encoding(rawValue: e.rawValue)!)
            #expect(back == Self.sample, "\(e) level \(l)")
        }
    }

    @Test(arguments: BodyCompression.Encoding.allCases)
    func emptyBodiesRoundTrip(_ e: BodyCompression.Encoding) throws {
        let (bytes, enc) = BodyCompression(e).compress([UInt8]())
        #expect(enc == BodyCompression(e).contentEncoding)
        if e == .none {
            #expect(bytes.isEmpty && enc == nil)
        } else {
            #expect(!bytes.isEmpty)
            #expect(try Self.storeDecode(bytes, StreamDecompression.Encoding(rawValue: e.rawValue)!).isEmpty)
        }
    }

    @Test func noneReturnsTheBodyUnchanged() {
        let (bytes, enc) = BodyCompression(.none).compress(Self.sample)
        #expect(enc == nil && bytes == Self.sample)
        let raw = Self.sample.withUnsafeBytes { BodyCompression(.none).compress($0) }
        #expect(raw.contentEncoding == nil && raw.bytes == Self.sample)
    }

    @Test func compressedBodyTravelsWithItsContentEncoding() throws {
        let server = TestHTTPServer { r in
            let e = StreamDecompression.Encoding(rawValue: r.header("content-encoding") ?? "") ?? .gzip
            let back = (try? BodyCompressionTests.storeDecode(r.body, e)) ?? []
            return .respond(httpResponse(body: Array("\(back == BodyCompressionTests.sample)".utf8)))
        }
        defer { server.stop() }
        let c = try AgentHTTPConnection(host: "127.0.0.1", port: server.port, tls: nil, connectTimeoutMillis: 2000, ioTimeoutMillis: 5000)
        for e in [BodyCompression.Encoding.zstd, .gzip, .lz4] {
            let (bytes, enc) = BodyCompression(e).compress(Self.sample)
            let r = try c.send(method: "POST", path: "/ingest", headers: [("Content-Encoding", enc!)], body: bytes)
            #expect(r.body == Array("true".utf8), "\(e)")
        }
    }
}
