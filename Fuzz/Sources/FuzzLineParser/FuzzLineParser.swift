import StrataFormat
import StrataParse

/// Parses arbitrary bytes as a log line in every format; a parsed entry must encode to JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = UnsafeRawBufferPointer(start: data, count: size)
    let defaults = ParseDefaults(receivedAtNanos: 1)
    for format in InputFormat.allCases {
        if let e = try? LineParser(format: format).parse(line, defaults: defaults) {
            var out = [UInt8]()
            LogEntryJSON.append(e, to: &out)
        }
    }
    return 0
}
