import CLZ4
import CZlib
import CZstd

/// Decompression of whole HTTP bodies (`Content-Encoding: gzip | deflate | zstd | lz4`), where the
/// decompressed size is not known in advance.
///
/// Invariant: the output never exceeds `limit` bytes — a body that would inflate past it fails
/// with `.tooLarge` as soon as the limit is crossed (a compression bomb costs `limit` bytes, not
/// more). Trailing garbage after the compressed stream is an error, not ignored.
public enum StreamDecompression {
    public enum Encoding: String, Sendable, CaseIterable {
        case gzip, deflate, zstd
        /// The LZ4 *frame* format (lz4frame.h, what the `lz4` tool writes), not raw LZ4 blocks.
        case lz4
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The decompressed body would exceed the limit.
        case tooLarge(limit: Int)
        /// The input is not a valid stream of the encoding; `detail` says what the library reported.
        case invalid(Encoding, detail: String)

        public var description: String {
            switch self {
            case .tooLarge(let limit): "decompressed body exceeds \(limit) bytes"
            case .invalid(let e, let detail): "invalid \(e.rawValue) body: \(detail)"
            }
        }
    }

    /// Decompresses `input` (one or more concatenated gzip members, zstd frames or lz4 frames).
    public static func decompress(_ input: UnsafeRawBufferPointer, encoding: Encoding, limit: Int) throws(Failure) -> [UInt8] {
        switch encoding {
        case .gzip, .deflate: return try inflate(input, gzip: encoding == .gzip, limit: limit)
        case .zstd: return try unzstd(input, limit: limit)
        case .lz4: return try unlz4(input, limit: limit)
        }
    }

    static func inflate(_ input: UnsafeRawBufferPointer, gzip: Bool, limit: Int) throws(Failure) -> [UInt8] {
        let enc: Encoding = gzip ? .gzip : .deflate
        guard input.count > 0 else { throw .invalid(enc, detail: "empty body") }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var consumed = 0
        // Each pass inflates one gzip member (concatenated members are valid gzip).
        while consumed < input.count {
            var s = z_stream()
            // 15 window bits; +16 = gzip wrapper only, +0 = zlib wrapper.
            let rc = inflateInit2_(&s, gzip ? 15 + 16 : 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else { throw .invalid(enc, detail: "inflateInit failed (\(rc))") }
            defer { inflateEnd(&s) }
            s.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
            s.avail_in = uInt(input.count - consumed)
            var done = false
            while !done {
                let status: Int32 = chunk.withUnsafeMutableBytes { c in
                    s.next_out = c.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    s.avail_out = uInt(c.count)
                    return CZlib.inflate(&s, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(s.avail_out)
                if out.count + produced > limit { throw .tooLarge(limit: limit) }
                out.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END: done = true
                case Z_OK: if s.avail_in == 0 && produced == 0 { throw .invalid(enc, detail: "truncated stream") }
                case Z_BUF_ERROR: if s.avail_in == 0 { throw .invalid(enc, detail: "truncated stream") }
                default:
                    let msg = s.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw .invalid(enc, detail: msg)
                }
            }
            consumed = input.count - Int(s.avail_in)
            if !gzip && consumed < input.count { throw .invalid(enc, detail: "\(input.count - consumed) bytes after the stream") }
        }
        return out
    }

    static func unzstd(_ input: UnsafeRawBufferPointer, limit: Int) throws(Failure) -> [UInt8] {
        guard input.count > 0 else { throw .invalid(.zstd, detail: "empty body") }
        guard let ctx = ZSTD_createDCtx() else { throw .invalid(.zstd, detail: "cannot allocate a decompression context") }
        defer { ZSTD_freeDCtx(ctx) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var lastHint = 1
        while inBuf.pos < inBuf.size || lastHint != 0 {
            var produced = 0
            let hint: Int = chunk.withUnsafeMutableBytes { c in
                var o = ZSTD_outBuffer(dst: c.baseAddress, size: c.count, pos: 0)
                let r = ZSTD_decompressStream(ctx, &o, &inBuf)
                produced = o.pos
                return r
            }
            if ZSTD_isError(hint) != 0 { throw .invalid(.zstd, detail: String(cString: ZSTD_getErrorName(hint))) }
            if out.count + produced > limit { throw .tooLarge(limit: limit) }
            out.append(contentsOf: chunk[0..<produced])
            lastHint = hint
            // All input consumed but the frame wants more, and nothing came out: truncated.
            if inBuf.pos == inBuf.size && hint != 0 && produced < chunk.count { throw .invalid(.zstd, detail: "truncated frame") }
        }
        return out
    }

    static func unlz4(_ input: UnsafeRawBufferPointer, limit: Int) throws(Failure) -> [UInt8] {
        guard input.count > 0 else { throw .invalid(.lz4, detail: "empty body") }
        var dctx: OpaquePointer?
        let rc = LZ4F_createDecompressionContext(&dctx, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(rc) == 0, let dctx else { throw .invalid(.lz4, detail: "cannot allocate a decompression context") }
        defer { LZ4F_freeDecompressionContext(dctx) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var consumed = 0
        // 0 once a frame is complete; LZ4F then starts the next frame (concatenated frames are
        // one body, as for the `lz4` tool). Non-zero at the end of the input: truncated.
        var hint = 1
        while true {
            var srcSize = input.count - consumed
            var produced = chunk.count
            hint = chunk.withUnsafeMutableBytes { c in
                LZ4F_decompress(dctx, c.baseAddress, &produced, input.baseAddress! + consumed, &srcSize, nil)
            }
            if LZ4F_isError(hint) != 0 { throw .invalid(.lz4, detail: String(cString: LZ4F_getErrorName(hint))) }
            consumed += srcSize
            if out.count + produced > limit { throw .tooLarge(limit: limit) }
            out.append(contentsOf: chunk[0..<produced])
            // Done when all input is consumed and the context holds nothing more: the frame
            // ended (0: fully flushed), or the chunk was not filled. A full chunk may leave
            // decoded bytes inside the context, so call again. (Another call after a frame
            // ended would start a new frame and report it missing.)
            if consumed == input.count && (hint == 0 || produced < chunk.count) { break }
            if srcSize == 0 && produced == 0 { throw .invalid(.lz4, detail: "decoder made no progress at byte \(consumed)") }
        }
        if hint != 0 { throw .invalid(.lz4, detail: "truncated frame") }
        return out
    }
}
