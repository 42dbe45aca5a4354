import StrataFormat

/// The first byte picks a column decoder (int, string, presence, field, Bloom filter) and a row count; the
/// rest is its input. Whatever decodes must re-encode and decode to the same values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzColumns(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let kind = data[0] % 5
    let rows = Int(data[1]) + 1
    let input = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    var r = ByteReader(input, section: "fuzz")
    switch kind {
    case 0:
        if let v = try? IntColumn.decode(from: &r, limit: 1 << 16) {
            var w = ByteWriter()
            IntColumn.encode(v, into: &w)
            let back = w.bytes.withUnsafeBytes { p -> [Int64]? in var r2 = ByteReader(p, section: "re"); return try? IntColumn.decode(from: &r2) }
            precondition(back == v, "int column re-encoding changed values")
        }
    case 1:
        if let v = try? StringColumn.decode(from: &r, maxLength: 1 << 16, limit: 1 << 16) {
            var w = ByteWriter()
            StringColumn.encode(v, into: &w)
            let back = w.bytes.withUnsafeBytes { p -> [[UInt8]]? in var r2 = ByteReader(p, section: "re"); return try? StringColumn.decode(from: &r2, maxLength: 1 << 16) }
            precondition(back == v, "string column re-encoding changed values")
        }
    case 2:
        _ = try? PresenceBitmap.decode(rows: rows, from: &r)
    case 3:
        if let f = try? BloomFilter.decode(from: &r) {
            var w = ByteWriter()
            f.encode(into: &w)
            precondition(w.bytes.count <= input.count, "Bloom filter re-encoding grew")
            _ = f.mayContain(UInt64(rows) &* 0x9E37_79B9_7F4A_7C15)
        }
    default:
        _ = try? FieldColumn.decode(rows: rows, from: &r)
    }
    return 0
}
