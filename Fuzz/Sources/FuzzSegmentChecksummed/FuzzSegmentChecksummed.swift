import StrataFormat
import StrataSegment

/// Structure-aware segment fuzzing: the input is a (mutated) segment whose checksums are
/// recomputed before reading, so mutations reach the column decoders instead of stopping at a
/// checksum mismatch. Must throw or succeed, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegmentChecksummed(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var b = Array(UnsafeBufferPointer(start: data, count: size))
    guard b.count >= SegmentHeader.size + SegmentFooter.size else { return 0 }
    fix(&b, 0..<56)
    let at = b.count - SegmentFooter.size
    fix(&b, at..<(at + 32))
    let off = Int(truncatingIfNeeded: load(b, at)), len = Int(truncatingIfNeeded: load(b, at + 8))
    if off >= SegmentHeader.size, len >= 0, len <= at, off <= at - len - 8 {
        fix(&b, off..<(off + len))
        let index: BlockIndex? = b.withUnsafeBytes { p in
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: p[off..<(off + len)]), base: off, section: "index")
            return try? BlockIndex.decode(from: &r, dataEnd: off)
        }
        for block in index?.blocks ?? [] {
            for c in block.chunks where c.offset + c.storedLength + 8 <= off { fix(&b, c.offset..<(c.offset + c.storedLength)) }
        }
        fix(&b, at..<(at + 32))
    }
    guard let reader = try? SegmentReader(bytes: b, name: "fuzz.seg") else { return 0 }
    _ = try? SegmentVerifier.verify(reader)
    for i in reader.index.blocks.indices { _ = try? reader.decodeBlock(i) }
    return 0
}

/// Writes the xxhash64 of `range` into the 8 bytes after it.
func fix(_ b: inout [UInt8], _ range: Range<Int>) {
    let h = b.withUnsafeBytes { xxhash64(UnsafeRawBufferPointer(rebasing: $0[range])) }
    for k in 0..<8 { b[range.upperBound + k] = UInt8(truncatingIfNeeded: h >> UInt64(8 * k)) }
}

func load(_ b: [UInt8], _ at: Int) -> UInt64 {
    var v: UInt64 = 0
    for k in 0..<8 { v |= UInt64(b[at + k]) << UInt64(8 * k) }
    return v
}
