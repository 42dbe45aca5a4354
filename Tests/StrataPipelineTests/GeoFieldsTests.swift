import Testing
@testable import StrataPipeline

@Suite struct GeoFieldsTests {
    /// Compares the (key, value) list, which is not Equatable as a tuple array.
    private func same(_ a: [(key: String, value: GeoFieldValue)], _ b: [(String, GeoFieldValue)]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.0 && $0.value == $1.1 }
    }

    @Test(arguments: GeoIPFixtures.layouts)
    func cityRecordFlattensToLogFields(recordSize: Int, ipVersion: Int) throws {
        let db = try GeoIPFixtures.database(recordSize: recordSize, ipVersion: ipVersion)
        let fields = db.geoFields("81.2.69.142")
        #expect(same(fields, [
            ("country_code", .string("GB")), ("country_name", .string("United Kingdom")), ("city", .string("London")),
            ("region", .string("England")), ("latitude", .number(51.5142)), ("longitude", .number(-0.0931)),
        ]), "\(fields)")
    }

    @Test func regionFallsBackToTheSubdivisionCode() throws {
        let db = try GeoIPFixtures.database()
        let fields = db.geoFields("81.2.70.1")
        #expect(same(fields, [
            ("country_code", .string("GB")), ("country_name", .string("United Kingdom")), ("city", .string("Manchester")),
            ("region", .string("ENG")), ("latitude", .number(53.4809)), ("longitude", .number(-2.2374)),
        ]), "\(fields)")
    }

    @Test func asnRecordFlattensToAsnFields() throws {
        let db = try GeoIPFixtures.database()
        #expect(same(db.geoFields("1.1.1.1"), [("asn", .number(13335)), ("as_org", .string("Cloudflare, Inc."))]))
        #expect(same(db.geoFields("2001:4860::1"), [("asn", .number(15169)), ("as_org", .string("Google LLC"))]))
    }

    @Test func numericFieldsAcceptEveryNumberType() throws {
        let db = try GeoIPFixtures.database()
        #expect(same(db.geoFields("2001:db8::5"), [
            ("country_code", .string("ZZ")), ("country_name", .string("Documentation")),
            ("latitude", .number(1.5)), ("longitude", .number(-2)),
        ]))
    }

    @Test func missesAndBadTextGiveNoFields() throws {
        let db = try GeoIPFixtures.database()
        #expect(db.geoFields("9.9.9.9").isEmpty)
        #expect(db.geoFields("999.1.1.1").isEmpty)
        #expect(db.geoFields("").isEmpty)
    }

    @Test func flatteningADecodedRecordMatchesTheDatabasePath() throws {
        let db = try GeoIPFixtures.database()
        for ip in ["81.2.69.142", "81.2.70.1", "1.1.1.1", "2001:db8::5", "2001:4860::1"] {
            let record = try #require(try db.lookup(ip))
            let fromValue = GeoIPDatabase.geoFields(from: record)
            #expect(same(fromValue, db.geoFields(ip).map { ($0.key, $0.value) }), "\(ip)")
        }
    }

    @Test func traitsHoldAsnFieldsInEnterpriseShapedRecords() {
        let record: MMDBValue = .map(["traits": .map([
            "autonomous_system_number": .uint(64500), "autonomous_system_organization": .string("Example AS"),
        ])])
        #expect(same(GeoIPDatabase.geoFields(from: record), [("asn", .number(64500)), ("as_org", .string("Example AS"))]))
    }

    @Test func wronglyTypedFieldsAreLeftOut() {
        let record: MMDBValue = .map([
            "country": .map(["iso_code": .uint(5)]),
            "location": .map(["latitude": .string("north")]),
            "city": .map(["names": .map(["en": .string("Paris")])]),
        ])
        #expect(same(GeoIPDatabase.geoFields(from: record), [("city", .string("Paris"))]))
    }

    @Test func corruptRecordGivesNoFields() throws {
        // Valid tree, but the record is a map whose only key is an unsigned integer.
        let data = MMDBWriter.control(type: 7, size: 1) + MMDBWriter.encoded(.uint32(1)) + MMDBWriter.encoded(.string("x"))
        let db = try GeoIPDatabase(bytes: MMDBWriter.singleRecord(data: data).bytes, path: "bad.mmdb")
        #expect(db.geoFields("1.2.3.4").isEmpty)
        #expect(throws: GeoIPError.self) { try db.lookup("1.2.3.4") }
    }
}
