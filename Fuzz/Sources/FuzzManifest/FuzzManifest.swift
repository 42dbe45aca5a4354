import StrataFormat

/// Decodes arbitrary bytes as a manifest; what decodes must re-encode to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    if let m = try? Manifest.decode(from: input) {
        precondition(m.encode() == Array(input), "manifest re-encoding differs")
    }
    return 0
}
