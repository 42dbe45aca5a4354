import StrataFormat
import StrataParse
import StrataReceivers

/// A Loki push body: JSON when it starts with `{`, else (after one selector byte) the
/// snappy-compressed protobuf form. Invariant: accepted entries are valid.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLokiPush(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let d = ParseDefaults(receivedAtNanos: 1)
    let push: LokiPush?
    if data[0] == UInt8(ascii: "{") {
        push = try? LokiPush.parse(UnsafeRawBufferPointer(start: data, count: size), defaults: d)
    } else {
        push = try? LokiPush.parseProtobuf(UnsafeRawBufferPointer(start: data + 1, count: size - 1), defaults: d, limit: 1 << 20)
    }
    for e in push?.entries ?? [] { precondition(e.validationError == nil, "an invalid entry was accepted") }
    return 0
}
