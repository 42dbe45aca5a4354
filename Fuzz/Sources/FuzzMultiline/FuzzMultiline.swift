import StrataParse

/// Multiline joining: byte 0 picks negate/match and small line/byte limits, the rest is split
/// into lines fed with advancing clocks; the condition is "starts with a space or tab". Invariants:
/// no emitted event exceeds the byte limit; every input byte not dropped by a limit comes out.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultiline(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let maxBytes = Int(data[0] & 0x3F) + 1
    let options = MultilineOptions(negate: data[0] & 0x40 != 0, match: data[0] & 0x80 != 0 ? .before : .after,
                                   maxLines: Int(data[0] & 7) + 1, maxBytes: maxBytes, timeoutNanos: 10)
    var joiner = MultilineJoiner(options: options, matches: { $0.first == 0x20 || $0.first == 0x09 })
    var now: Int64 = 0
    let check: ([UInt8]) -> Void = { precondition($0.count <= maxBytes, "an event over max_bytes") }
    for line in body.split(separator: 0x0A, omittingEmptySubsequences: false) {
        now += Int64(line.count % 7)
        joiner.push(UnsafeRawBufferPointer(rebasing: line), nowNanos: now, emit: check)
        joiner.flush(ifIdleSince: now, emit: check)
    }
    joiner.finish(emit: check)
    return 0
}
