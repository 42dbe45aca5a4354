import StrataPipeline

/// MaxMind DB files: the input is a whole `.mmdb`; opened, then looked up with a few IPv4 and
/// IPv6 addresses and flattened. Invariants: a bad file throws a GeoIPError (never traps, never
/// loops on pointer cycles or tree loops); lookups on an opened file throw or return.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGeoIP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let db = try? GeoIPDatabase(bytes: Array(UnsafeBufferPointer(start: data, count: size)), path: "fuzz.mmdb") else { return 0 }
    for ip in ["81.2.69.160", "1.1.1.1", "2001:db8::1", "::ffff:10.0.0.1", "255.255.255.255", "::"] {
        _ = try? db.lookup(ip)
        _ = db.geoFields(ip)
    }
    return 0
}
