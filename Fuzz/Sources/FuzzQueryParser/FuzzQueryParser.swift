import StrataQuery

/// Parses arbitrary text as a whole query (filter and stages) and compiles its filter: a
/// compiled tree or a syntax error with a position inside the text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueryParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let q = try Query.parse(text)
        _ = try CompiledNode.compile(q.filter)
    } catch {
        precondition(error.position >= 0 && error.position <= text.unicodeScalars.count, "error position outside the query")
    }
    return 0
}
