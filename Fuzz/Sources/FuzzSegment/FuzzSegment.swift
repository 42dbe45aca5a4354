import StrataFormat
import StrataSegment

/// Opens arbitrary bytes as a segment and verifies it: must throw or succeed, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegment(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let reader = try? SegmentReader(bytes: bytes, name: "fuzz.seg") else { return 0 }
    _ = try? SegmentVerifier.verify(reader)
    for b in reader.index.blocks.indices { _ = try? reader.decodeBlock(b) }
    return 0
}
