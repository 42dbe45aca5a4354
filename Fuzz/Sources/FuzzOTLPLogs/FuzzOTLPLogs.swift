import StrataFormat
import StrataParse
import StrataReceivers

/// An OTLP/HTTP logs body: byte 0 picks protobuf or JSON. Invariant: accepted entries are valid;
/// the response encodes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOTLPLogs(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let d = ParseDefaults(receivedAtNanos: 1)
    let logs = data[0] & 1 == 0 ? try? OTLPLogs.decodeProtobuf(body, defaults: d) : try? OTLPLogs.decodeJSON(body, defaults: d)
    if let logs {
        for e in logs.entries { precondition(e.validationError == nil, "an invalid entry was accepted") }
        _ = logs.protobufResponse
        _ = logs.jsonResponse
    }
    return 0
}
