import StrataFormat
import StrataParse
import StrataReceivers

/// An Elasticsearch `_bulk` body. Invariant: every item is either stored (a valid entry) or failed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzElasticBulk(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = UnsafeRawBufferPointer(start: data, count: size)
    if let items = try? ElasticBulk.parse(body, defaultIndex: "fuzz", defaults: ParseDefaults(receivedAtNanos: 1)) {
        for item in items {
            precondition((item.entry == nil) != (item.failure == nil), "an item is neither stored nor failed, or both")
            if let e = item.entry { precondition(e.validationError == nil, "an invalid entry was accepted") }
        }
    }
    return 0
}
