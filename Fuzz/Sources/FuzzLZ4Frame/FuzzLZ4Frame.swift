import StrataFormat

/// An lz4-frame body (`Content-Encoding: lz4`) decoded by `StreamDecompression` under a limit
/// picked by the first byte (1 B … 1 MiB, so the limit path is reached with small inputs).
/// Invariants checked: the output respects the limit; only the documented errors escape; and
/// the limit is exact — a body that decodes to n bytes decodes identically with limit n and
/// fails with `.tooLarge` under limit n - 1.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLZ4Frame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let limit = 1 << (Int(data[0]) % 21)
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let out: [UInt8]
    do throws(StreamDecompression.Failure) {
        out = try StreamDecompression.decompress(raw, encoding: .lz4, limit: limit)
    } catch {
        switch error {
        case .tooLarge(let l): precondition(l == limit, "tooLarge reports limit \(l), not \(limit)")
        case .invalid(let e, _): precondition(e == .lz4, "error names encoding \(e)")
        }
        return 0
    }
    precondition(out.count <= limit, "decompressed \(out.count) bytes past the limit \(limit)")
    do throws(StreamDecompression.Failure) {
        let again = try StreamDecompression.decompress(raw, encoding: .lz4, limit: out.count)
        precondition(again == out, "decoding is not deterministic")
    } catch {
        preconditionFailure("limit equal to the output size failed: \(error)")
    }
    if !out.isEmpty {
        do throws(StreamDecompression.Failure) {
            _ = try StreamDecompression.decompress(raw, encoding: .lz4, limit: out.count - 1)
            preconditionFailure("limit one below the output size accepted")
        } catch {
            precondition(error == .tooLarge(limit: out.count - 1), "limit one below the output size: \(error)")
        }
    }
    return 0
}
