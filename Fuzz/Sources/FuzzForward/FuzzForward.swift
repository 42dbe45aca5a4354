import StrataFormat
import StrataParse
import StrataReceivers

/// A Fluentd forward stream (MessagePack), fed in two reads split at byte 0's choice.
/// Invariants: accepted entries are valid; an ack encodes for every chunk id.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForward(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let cut = body.count == 0 ? 0 : Int(data[0]) % (body.count + 1)
    var decoder = ForwardDecoder(maxEventBytes: 1 << 20)
    let d = ParseDefaults(receivedAtNanos: 1)
    for part in [UnsafeRawBufferPointer(rebasing: body[0..<cut]), UnsafeRawBufferPointer(rebasing: body[cut...])] {
        guard let batches = try? decoder.feed(part, defaults: d) else { return 0 }
        for b in batches {
            for e in b.entries { precondition(e.validationError == nil, "an invalid entry was accepted") }
            if let c = b.chunk, c.utf8.count < 65_536 { _ = ForwardDecoder.ack(c) }
        }
    }
    return 0
}
