import StrataFormat
import StrataParse
import StrataReceivers

/// A syslog TCP stream: split into frames (at a split point taken from byte 0, to exercise
/// frames that cross reads), each frame parsed as RFC 5424/3164. Invariants: no frame exceeds the
/// limit; every frame parses to an entry that encodes (the parser never refuses).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyslog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let cut = body.count == 0 ? 0 : Int(data[0]) % (body.count + 1)
    var framing = SyslogFraming(maxFrameBytes: 512)
    let defaults = ParseDefaults(receivedAtNanos: 1_795_910_400_000_000_000)
    let check: (UnsafeRawBufferPointer) -> Void = { frame in
        precondition(frame.count <= 512, "a frame over the limit")
        let e = SyslogParser.parse(frame, defaults: defaults)
        var out = [UInt8]()
        LogEntryJSON.append(e, to: &out)
    }
    framing.feed(UnsafeRawBufferPointer(rebasing: body[0..<cut]), check)
    framing.feed(UnsafeRawBufferPointer(rebasing: body[cut...]), check)
    framing.finish(check)
    // The whole input as one datagram too.
    _ = SyslogParser.parse(body, defaults: defaults)
    return 0
}
