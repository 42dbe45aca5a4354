import StrataFormat
import StrataParse

/// Grok expansion and matching: the first input line is a grok expression (expanded against the
/// built-in library plus a definition `FUZZ` taken from the second line, so cycles and odd
/// syntax are reached); the rest is matched. Invariants: expansion either compiles or throws a
/// GrokError (never traps, never loops); a match yields captures inside the line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGrok(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let parts = input.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3 else { return 0 }
    var library = GrokLibrary.builtin
    try? library.add(text: "FUZZ " + String(decoding: parts[1], as: UTF8.self), origin: "fuzz")
    guard let p = try? GrokPattern(String(decoding: parts[0], as: UTF8.self), library: library) else { return 0 }
    let line = UnsafeRawBufferPointer(rebasing: parts[2])
    p.forEachCapture(in: line) { _, v in
        precondition(v.count <= line.count, "a capture larger than the line")
    }
    let parser = PatternLineParser(patterns: [p])
    if let e = try? parser.parse(line, defaults: ParseDefaults(receivedAtNanos: 1_795_910_400_000_000_000)) {
        var out = [UInt8]()
        LogEntryJSON.append(e, to: &out)
    }
    return 0
}
