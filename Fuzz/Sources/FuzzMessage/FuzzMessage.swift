import StrataFormat

/// Two directions: the input as a message must round-trip through template encoding exactly;
/// the input split into three streams must decode or throw, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let fields: [MessageTemplate.RowField] = [.init(column: 20, value: .int(42)), .init(column: 21, value: .string("GET /api")),
                                              .init(column: 22, value: .float(12.5))]
    let col = MessageColumn.encode([bytes, bytes], fields: [fields, []])
    let back = col.templates.bytes.withUnsafeBytes { t in
        col.numbers.bytes.withUnsafeBytes { n in
            col.strings.bytes.withUnsafeBytes { s -> [[UInt8]]? in
                var tr = ByteReader(t, section: "t"), nr = ByteReader(n, section: "n"), sr = ByteReader(s, section: "s")
                return try? MessageColumn.decode(rows: 2, templates: &tr, numbers: &nr, strings: &sr) { c, row in
                    row == 0 ? fields.first { $0.column == c }?.value : nil
                }
            }
        }
    }
    precondition(back == [bytes, bytes], "message did not round-trip")
    // Arbitrary streams: split the input in three.
    let a = size / 3, b = 2 * size / 3
    var t = ByteReader(UnsafeRawBufferPointer(start: data, count: a), section: "t")
    var n = ByteReader(UnsafeRawBufferPointer(start: data + a, count: b - a), section: "n")
    var s = ByteReader(UnsafeRawBufferPointer(start: data + b, count: size - b), section: "s")
    _ = try? MessageColumn.decode(rows: 3, templates: &t, numbers: &n, strings: &s) { _, _ in .int(1) }
    return 0
}
