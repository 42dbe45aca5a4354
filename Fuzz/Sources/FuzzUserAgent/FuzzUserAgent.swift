import StrataPipeline

/// User-agent rules and strings: the input up to a NUL byte is a rules file, the rest a UA
/// (also parsed with the built-in rules). Invariants: bad rules throw a UserAgentRulesError
/// naming a line; parsing any bytes never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUserAgent(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let cut = input.firstIndex(of: 0) ?? 0
    let ua = UnsafeRawBufferPointer(rebasing: input[min(cut + 1, input.count)...])
    if cut > 0, let p = try? UserAgentParser(rules: String(decoding: input[0..<cut], as: UTF8.self)) {
        _ = p.parse(ua)
    }
    _ = builtIn.parse(ua)
    return 0
}

let builtIn = try! UserAgentParser(rules: UserAgentParser.defaultRules)
