import StrataWAL

/// Scans arbitrary bytes as a WAL file (header, records, entry batches).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = WALReader.scan(UnsafeRawBufferPointer(start: data, count: size), path: "fuzz.wal")
    return 0
}
