@testable import StrataPipeline

/// The sample databases the GeoIP tests share: a few IPv4 networks (and, in IPv6 trees, two
/// IPv6 ones) with GeoIP2-City-, ASN- and custom-shaped records.
enum GeoIPFixtures {
    static let london: WValue = .map([
        ("city", .map([("geoname_id", .uint32(2_643_743)), ("names", .map([("de", .string("London")), ("en", .string("London"))]))])),
        ("country", .map([
            ("geoname_id", .uint32(2_635_167)), ("iso_code", .string("GB")),
            ("names", .map([("de", .string("Vereinigtes Königreich")), ("en", .string("United Kingdom"))])),
        ])),
        ("location", .map([
            ("accuracy_radius", .uint16(10)), ("latitude", .double(51.5142)), ("longitude", .double(-0.0931)),
            ("time_zone", .string("Europe/London")),
        ])),
        ("subdivisions", .array([.map([("iso_code", .string("ENG")), ("names", .map([("en", .string("England"))]))])])),
    ])

    /// Shares "United Kingdom", "GB", "names", ... with `london`, so the writer stores pointers.
    static let manchester: WValue = .map([
        ("city", .map([("names", .map([("en", .string("Manchester"))]))])),
        ("country", .map([("iso_code", .string("GB")), ("names", .map([("en", .string("United Kingdom"))]))])),
        ("location", .map([("latitude", .double(53.4809)), ("longitude", .double(-2.2374))])),
        ("subdivisions", .array([.map([("iso_code", .string("ENG"))])])),
    ])

    static let cloudflare: WValue = .map([
        ("autonomous_system_number", .uint32(13335)),
        ("autonomous_system_organization", .string("Cloudflare, Inc.")),
    ])

    static let documentation: WValue = .map([
        ("country", .map([("iso_code", .string("ZZ")), ("names", .map([("en", .string("Documentation"))]))])),
        ("is_documentation", .bool(true)),
        ("tags", .array([.string("rfc3849"), .string("example")])),
        ("location", .map([("latitude", .float(1.5)), ("longitude", .int32(-2))])),
    ])

    static let googleV6: WValue = .map([
        ("autonomous_system_number", .uint32(15169)),
        ("autonomous_system_organization", .string("Google LLC")),
    ])

    /// The writer with every sample network inserted.
    static func writer(recordSize: Int, ipVersion: Int) -> MMDBWriter {
        var w = MMDBWriter(ipVersion: ipVersion, recordSize: recordSize)
        w.insert("81.2.69.0/24", london)
        w.insert("81.2.70.0/23", manchester)
        w.insert("1.0.0.0/8", cloudflare)
        if ipVersion == 6 {
            w.insert("2001:db8::/32", documentation)
            w.insert("2001:4860::/32", googleV6)
        }
        return w
    }

    /// The built file bytes.
    static func bytes(recordSize: Int = 28, ipVersion: Int = 6) -> [UInt8] {
        writer(recordSize: recordSize, ipVersion: ipVersion).build().bytes
    }

    /// The opened sample database.
    static func database(recordSize: Int = 28, ipVersion: Int = 6) throws -> GeoIPDatabase {
        try GeoIPDatabase(bytes: bytes(recordSize: recordSize, ipVersion: ipVersion), path: "test.mmdb")
    }

    /// Every (record size, IP version) combination the reader supports.
    static let layouts: [(Int, Int)] = [(24, 4), (28, 4), (32, 4), (24, 6), (28, 6), (32, 6)]

    /// Addresses the fuzz tests look up: hits, misses, IPv4 and IPv6.
    static let probeAddresses = [
        "81.2.69.142", "81.2.70.1", "1.1.1.1", "8.8.8.8", "0.0.0.0", "255.255.255.255",
        "2001:db8::1", "2001:4860:4860::8888", "::ffff:81.2.69.1", "fe80::1",
    ]
}
