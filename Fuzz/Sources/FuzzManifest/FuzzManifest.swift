import StrataFormat

/// Decodes arbitrary bytes as a manifest. What decodes must re-encode to a manifest that
/// decodes to the same value, byte for byte the input when it has the current version (an
/// older supported version is rewritten with the current one).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    if let m = try? Manifest.decode(from: input) {
        let again = m.encode()
        let back = again.withUnsafeBytes { try? Manifest.decode(from: $0) }
        precondition(back == m, "a re-encoded manifest decodes differently")
        let version = UInt16(input[8]) | UInt16(input[9]) << 8
        if version == FormatVersion.current.rawValue {
            precondition(again == Array(input), "manifest re-encoding differs")
        }
    }
    return 0
}
