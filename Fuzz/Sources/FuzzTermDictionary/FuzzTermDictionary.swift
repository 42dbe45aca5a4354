import StrataFormat
import StrataIndex

/// Opens arbitrary bytes as a term dictionary: whatever opens and enumerates fully must
/// re-encode to a dictionary with the same terms and postings, and lookups and prefix scans on
/// it must agree with the enumeration.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTermDictionary(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let d = try? TermDictionary(bytes: bytes, section: "fuzz"), let all = try? d.allEntries() else { return 0 }
    let again = try? TermDictionary(bytes: TermDictionary.encode(all), section: "re").allEntries()
    precondition(again?.map(\.term) == all.map(\.term) && again?.map(\.posting) == all.map(\.posting),
                 "term dictionary re-encoding changed it")
    for e in all.prefix(8) {
        precondition((try? d.lookup(e.term)) == e.posting, "lookup disagrees with enumeration")
        var n = 0
        try? d.forEach(prefix: e.term) { _ in n += 1; return true }
        precondition(n >= 1, "prefix scan misses its own term")
    }
    return 0
}
