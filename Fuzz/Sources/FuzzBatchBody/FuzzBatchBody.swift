import StrataFormat
import StrataParse

/// An HTTP ingest body: the first byte picks the Content-Encoding (none, gzip, deflate, zstd),
/// the rest is decompressed under a limit and split into records (JSON array or NDJSON).
/// Invariants checked: the output respects the limit; every record is accounted for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBatchBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let limit = 1 << 20
    var body = Array(raw)
    let encodings: [StreamDecompression.Encoding?] = [nil, .gzip, .deflate, .zstd]
    if let e = encodings[Int(data[0]) % 4] {
        do throws(StreamDecompression.Failure) {
            body = try StreamDecompression.decompress(raw, encoding: e, limit: limit)
            precondition(body.count <= limit, "decompressed past the limit")
        } catch {
            return 0
        }
    }
    body.withUnsafeBytes { p in
        if let b = try? BatchBody.parse(p, defaults: ParseDefaults(receivedAtNanos: 1), maxRecordBytes: 4096) {
            precondition(b.errors.count <= BatchBody.maxListedErrors && b.errors.count <= b.rejected, "error list inconsistent")
            for e in b.entries { precondition(e.validationError == nil, "an invalid entry was accepted") }
        }
    }
    return 0
}
