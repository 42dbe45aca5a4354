import StrataFormat

/// Decodes arbitrary bytes as a WAL entry batch; what decodes must re-encode identically.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntryBatch(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var r = ByteReader(UnsafeRawBufferPointer(start: data, count: size), section: "batch")
    if let entries = try? LogEntryCodec.decodeBatch(from: &r) {
        var w = ByteWriter()
        LogEntryCodec.encode(entries, into: &w)
        var r2 = w.bytes.withUnsafeBytes { p in (try? { var x = ByteReader(p, section: "re"); return try LogEntryCodec.decodeBatch(from: &x) }()) }
        precondition(r2?.count == entries.count, "entry batch re-encoding lost entries")
        r2 = nil
    }
    return 0
}
