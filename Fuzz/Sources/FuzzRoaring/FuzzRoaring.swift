import StrataIndex

/// Deserialises arbitrary bytes as a portable Roaring bitmap; what decodes must re-serialise
/// to a bitmap with the same values, and set operations on it must not crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRoaring(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let bm = try? RoaringBitmap.deserialize(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    let again = bm.serialized().withUnsafeBytes { try? RoaringBitmap.deserialize($0) }
    precondition(again?.values == bm.values, "roaring re-serialisation changed the set")
    _ = bm.union(bm).intersection(bm).subtracting(RoaringBitmap([1, 2, 3]))
    return 0
}
