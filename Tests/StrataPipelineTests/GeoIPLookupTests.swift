#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import StrataTestSupport
import Testing
@testable import StrataPipeline

@Suite struct GeoIPLookupTests {
    @Test(arguments: GeoIPFixtures.layouts)
    func lookupsHitTheRightNetwork(recordSize: Int, ipVersion: Int) throws {
        let db = try GeoIPFixtures.database(recordSize: recordSize, ipVersion: ipVersion)
        for ip in ["81.2.69.0", "81.2.69.142", "81.2.69.255"] {
            #expect(try db.lookup(ip)?["city"]?["names"]?["en"] == .string("London"), "\(ip)")
        }
        #expect(try db.lookup("81.2.70.9")?["city"]?["names"]?["en"] == .string("Manchester"))
        #expect(try db.lookup("81.2.71.255")?["city"]?["names"]?["en"] == .string("Manchester"))
        #expect(try db.lookup("1.1.1.1")?["autonomous_system_number"] == .uint(13335))
        #expect(try db.lookup("1.255.255.255")?["autonomous_system_organization"] == .string("Cloudflare, Inc."))
        let record = try #require(try db.lookup("81.2.69.142"))
        #expect(record["location"]?["latitude"] == .double(51.5142))
        #expect(record["location"]?["accuracy_radius"] == .uint(10))
        #expect(record["country"]?["names"]?["de"] == .string("Vereinigtes Königreich"))
        #expect(record["subdivisions"]?[0]?["iso_code"] == .string("ENG"))
    }

    @Test(arguments: GeoIPFixtures.layouts)
    func missesReturnNil(recordSize: Int, ipVersion: Int) throws {
        let db = try GeoIPFixtures.database(recordSize: recordSize, ipVersion: ipVersion)
        for ip in ["81.2.68.255", "81.2.72.0", "2.0.0.0", "0.255.255.255", "0.0.0.0", "255.255.255.255", "2001:db9::1"] {
            #expect(try db.lookup(ip) == nil, "\(ip)")
        }
    }

    @Test(arguments: [24, 28, 32])
    func ipv6NetworksResolve(recordSize: Int) throws {
        let db = try GeoIPFixtures.database(recordSize: recordSize, ipVersion: 6)
        let doc = try #require(try db.lookup("2001:db8::1"))
        #expect(doc == (try db.lookup("2001:DB8:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF")))
        #expect(doc["is_documentation"] == .bool(true))
        #expect(doc["tags"] == .array([.string("rfc3849"), .string("example")]))
        #expect(doc["location"]?["latitude"] == .float(1.5))
        #expect(doc["location"]?["longitude"] == .int(-2))
        #expect(try db.lookup("2001:4860:4860::8888")?["autonomous_system_number"] == .uint(15169))
        #expect(try db.lookup("2001:db7:ffff::1") == nil)
        #expect(try db.lookup("::") == nil)
    }

    @Test(arguments: [24, 28, 32])
    func ipv4InsideIPv6TreeUsesTheIPv4Subtree(recordSize: Int) throws {
        let db = try GeoIPFixtures.database(recordSize: recordSize, ipVersion: 6)
        #expect(db.ipv4StartDepth == 96)
        let expected = try #require(try db.lookup("81.2.69.142"))
        #expect(try db.lookup("::81.2.69.142") == expected)
        #expect(try db.lookup("::ffff:81.2.69.142") == expected)
        #expect(try db.lookup("0:0:0:0:0:ffff:5102:458e") == expected)
        #expect(try db.lookup(address: [81, 2, 69, 142]) == expected)
        var mapped = [UInt8](repeating: 0, count: 16)
        mapped[10] = 0xFF; mapped[11] = 0xFF; mapped[12] = 81; mapped[13] = 2; mapped[14] = 69; mapped[15] = 142
        #expect(try db.lookup(address: mapped) == expected)
    }

    @Test func ipv4TreeAnswersMappedAddressesButNotOtherIPv6() throws {
        let db = try GeoIPFixtures.database(recordSize: 24, ipVersion: 4)
        #expect(try db.lookup("::ffff:1.2.3.4")?["autonomous_system_number"] == .uint(13335))
        #expect(try db.lookup("2001:db8::1") == nil)
        #expect(try db.lookup("::1.2.3.4") == nil)
    }

    @Test func invalidAddressTextReturnsNil() throws {
        let db = try GeoIPFixtures.database()
        for text in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "hello", "2001:db8:::1",
                     "1:2:3:4:5:6:7:8:9", ":1", "1:", "12345::", "::ffff:1.2.3", "1::2::3"] {
            #expect(try db.lookup(text) == nil, "\(text)")
        }
        #expect(try db.lookup(address: [1, 2, 3]) == nil)
    }

    @Test func addressTextForms() {
        #expect(IPAddress("1.2.3.4") == .v4(0x0102_0304))
        #expect(IPAddress("::") == IPAddress(high: 0, low: 0, bitCount: 128))
        #expect(IPAddress("::1") == IPAddress(high: 0, low: 1, bitCount: 128))
        #expect(IPAddress("1::") == IPAddress(high: 1 << 48, low: 0, bitCount: 128))
        #expect(IPAddress("2001:db8::ff00:42:8329") == IPAddress(high: 0x2001_0DB8_0000_0000, low: 0x0000_FF00_0042_8329, bitCount: 128))
        #expect(IPAddress("1:2:3:4:5:6:7:8") == IPAddress(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0008, bitCount: 128))
        #expect(IPAddress("1:2:3:4:5:6:1.2.3.4") == IPAddress(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0102_0304, bitCount: 128))
        #expect(IPAddress("fe80::1%eth0") == IPAddress(high: 0xFE80_0000_0000_0000, low: 1, bitCount: 128))
        #expect(IPAddress("::ffff:1.2.3.4")?.mappedIPv4 == .v4(0x0102_0304))
    }

    @Test func metadataIsParsed() throws {
        let w = GeoIPFixtures.writer(recordSize: 28, ipVersion: 6)
        let built = w.build()
        let db = try GeoIPDatabase(bytes: built.bytes, path: "test.mmdb")
        #expect(db.metadata.nodeCount == built.nodeCount)
        #expect(db.metadata.recordSize == 28)
        #expect(db.metadata.ipVersion == 6)
        #expect(db.metadata.databaseType == "Strata-Test")
        #expect(db.metadata.languages == ["en", "de"])
        #expect(db.metadata.binaryFormatMajorVersion == 2)
        #expect(db.metadata.buildEpoch == 1_700_000_000)
        #expect(db.metadata.description == ["en": "Strata test database"])
        #expect(db.data.sectionStart == built.dataStart)
        #expect(db.data.sectionEnd == built.markerStart)
    }

    @Test func repeatedStringsAreStoredOnceAndReachedThroughPointers() throws {
        let bytes = GeoIPFixtures.bytes()
        let needle = Array("United Kingdom".utf8)
        let occurrences = (0...(bytes.count - needle.count)).filter { Array(bytes[$0..<$0 + needle.count]) == needle }
        #expect(occurrences.count == 1)
        let db = try GeoIPDatabase(bytes: bytes, path: "test.mmdb")
        #expect(try db.lookup("81.2.70.1")?["country"]?["names"]?["en"] == .string("United Kingdom"))
        #expect(try db.lookup("81.2.69.1")?["country"]?["names"]?["en"] == .string("United Kingdom"))
    }

    @Test func pathLookupDecodesOnlyTheRequestedValue() throws {
        let db = try GeoIPFixtures.database()
        #expect(try db.lookup("81.2.69.142", path: ["subdivisions", 0, "iso_code"]) == .string("ENG"))
        #expect(try db.lookup("81.2.69.142", path: ["location"])?["time_zone"] == .string("Europe/London"))
        #expect(try db.lookup("81.2.69.142", path: ["subdivisions", 1]) == nil)
        #expect(try db.lookup("81.2.69.142", path: ["nope"]) == nil)
        #expect(try db.lookup("81.2.69.142", path: ["city", 0]) == nil)
        #expect(try db.lookup("9.9.9.9", path: ["city"]) == nil)
    }

    @Test func prefixLengthReportsTheMatchedNetwork() throws {
        let db = try GeoIPFixtures.database(recordSize: 24, ipVersion: 6)
        #expect(try db.prefixLength("81.2.69.142")?.bits == 24)
        #expect(try db.prefixLength("81.2.71.1")?.bits == 23)
        #expect(try db.prefixLength("1.2.3.4")?.bits == 8)
        #expect(try db.prefixLength("2001:db8::1")?.bits == 32)
        #expect(try db.prefixLength("2001:db8::1")?.hasData == true)
        #expect(try db.prefixLength("9.9.9.9")?.hasData == false)
        #expect(try db.prefixLength("not an ip") == nil)
    }

    @Test func openingFromAFileReadsTheWholeFile() throws {
        let bytes = GeoIPFixtures.bytes()
        let path = "/tmp/strata-geoip-\(getpid()).mmdb"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
        defer { unlink(path) }
        let db = try GeoIPDatabase(path: path)
        #expect(db.path == path)
        #expect(try db.lookup("1.1.1.1")?["autonomous_system_number"] == .uint(13335))
    }

    @Test func throughputOfLookupsAndGeoFields() throws {
        let db = try GeoIPFixtures.database(recordSize: 28, ipVersion: 6)
        let ips = ["81.2.69.142", "81.2.70.1", "1.1.1.1", "9.9.9.9", "2001:db8::1", "2001:4860::8888"]
        let rounds = 2000
        var hits = 0
        let clock = ContinuousClock()
        let full = try clock.measure {
            for _ in 0..<rounds { for ip in ips where try db.lookup(ip) != nil { hits += 1 } }
        }
        let flat = clock.measure {
            for _ in 0..<rounds { for ip in ips { hits += db.geoFields(ip).count } }
        }
        func rate(_ d: Duration) -> Int {
            Int(Double(rounds * ips.count) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18))
        }
        print("geoip: lookup \(rate(full))/s, geoFields \(rate(flat))/s (\(hits))")
        #expect(rate(full) > 1000 && rate(flat) > 1000)
    }

    @Test func missingFileIsAnUnreadableFileError() {
        #expect(throws: GeoIPError.unreadableFile(path: "/nonexistent/x.mmdb", errno: ENOENT)) {
            try GeoIPDatabase(path: "/nonexistent/x.mmdb")
        }
    }
}

/// `Fixtures/sample.mmdb` (the fuzz seed of FuzzGeoIP and a file-path test) is exactly what the
/// test writer builds today; regenerate with STRATA_WRITE_FIXTURES=1 after changing the writer.
@Suite struct GeoIPSampleFileTests {
    static let path = packageRootPath() + "/Tests/StrataPipelineTests/Fixtures/sample.mmdb"

    @Test func committedSampleDatabaseMatchesTheWriterAndOpensFromDisk() throws {
        let built = GeoIPFixtures.bytes()
        if ProcessInfo.processInfo.environment["STRATA_WRITE_FIXTURES"] == "1" {
            try Data(built).write(to: URL(fileURLWithPath: Self.path))
        }
        let onDisk = try #require(FileManager.default.contents(atPath: Self.path))
        #expect([UInt8](onDisk) == built)
        let db = try GeoIPDatabase(path: Self.path)
        #expect(db.geoFields("81.2.69.160").contains { $0.key == "country_code" && $0.value == .string("GB") })
    }
}
