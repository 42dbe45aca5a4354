import StrataFormat
import StrataParse
import StrataReceivers

/// A Loki push body (JSON). Invariant: accepted entries are valid.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLokiPush(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = UnsafeRawBufferPointer(start: data, count: size)
    if let push = try? LokiPush.parse(body, defaults: ParseDefaults(receivedAtNanos: 1)) {
        for e in push.entries { precondition(e.validationError == nil, "an invalid entry was accepted") }
    }
    return 0
}
