import StrataAgent

/// Scans arbitrary bytes as an agent buffer segment file (header, records) and as a `HEAD`
/// file, and checks the scan's invariants: a violation traps, so libFuzzer reports it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgentBuffer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let scan = AgentBufferFormat.scanSegment(bytes)
    var next = scan.header == nil ? 0 : AgentBufferFormat.segmentHeaderSize
    for (i, record) in scan.records.enumerated() {
        precondition(record.offset == next, "records must lie back to back (BUF-2)")
        precondition(i == 0 || record.sequence == scan.records[i - 1].sequence &+ 1, "sequences must be consecutive (BUF-4)")
        precondition(record.payloadLength <= AgentBufferFormat.maxRecordBytes)
        next = record.offset + record.sizeInBytes
    }
    precondition(scan.validBytes == next && scan.validBytes <= size, "validBytes must end the last valid record")
    precondition((scan.stop == .endOfSegment) == (scan.header != nil && scan.validBytes == size))
    _ = try? AgentBufferFormat.Head.decode(from: bytes)
    return 0
}
