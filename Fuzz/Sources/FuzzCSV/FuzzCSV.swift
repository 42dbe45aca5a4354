import StrataParse

/// CSV records: byte 0 picks the delimiter, quote and header mode; the rest is split into
/// records (quoted newlines kept) and each parsed. Invariants: never traps; the records cover
/// the input without reading outside it; a record either parses or throws a ParseError with an
/// offset inside it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var options = CSVOptions()
    options.delimiter = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")][Int(data[0] & 3)]
    options.quote = data[0] & 4 == 0 ? UInt8(ascii: "\"") : UInt8(ascii: "'")
    options.header = [CSVOptions.HeaderMode.auto, .present, .absent, .columns(["a", "b"])][Int(data[0] >> 3) & 3]
    options.trimSpaces = data[0] & 0x20 != 0
    var parser = CSVParser(options: options)
    var total = 0
    CSVParser.splitRecords(in: body, options: options) { record in
        total += record.count
        precondition(total <= body.count, "records longer than the input")
        do throws(ParseError) {
            _ = try parser.parse(record: record)
        } catch {
            precondition(error.offset >= 0 && error.offset <= record.count + 3, "error offset outside the record")
        }
    }
    return 0
}
