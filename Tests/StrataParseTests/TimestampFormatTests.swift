import Testing
import StrataFormat
@testable import StrataParse

@Suite struct TimestampFormatTests {
    func parse(_ layout: String, _ text: String, zone: TimeZoneRule = .utc, year: Int = 1970) throws -> Int64? {
        let f = try TimestampFormat(layout)
        return Array(text.utf8).withUnsafeBytes { f.parse($0, zone: zone, defaultYear: year) }
    }
    func flexible(_ text: String, year: Int = 2026) -> Int64? { Array(text.utf8).withUnsafeBytes { FlexibleTimestamp.parse($0, defaultYear: year) } }
    let t = { (s: String) in Timestamp.parseRFC3339(s)! }

    @Test func layoutsCoverCommonDirectives() throws {
        #expect(try parse("%d/%b/%Y:%H:%M:%S %z", "29/Nov/2026:10:00:00 +0530") == t("2026-11-29T04:30:00Z"))
        #expect(try parse("%Y-%m-%d %H:%M:%S,%f", "2026-11-29 10:00:00,123") == t("2026-11-29T10:00:00.123Z"))
        #expect(try parse("%b %e %H:%M:%S", "Nov  9 10:00:00", year: 2026) == t("2026-11-09T10:00:00Z"))
        #expect(try parse("%m/%d/%y %I:%M:%S %p", "11/29/26 01:05:00 PM") == t("2026-11-29T13:05:00Z"))
        #expect(try parse("%s", "1795946400.5") == t("2026-11-29T10:00:00.5Z"))
        #expect(try parse("%A, %d %B %Y %H:%M:%S %Z", "Sunday, 29 November 2026 10:00:00 GMT") == t("2026-11-29T10:00:00Z"))
    }

    @Test func impossibleDatesAndTrailingBytesAreRejected() throws {
        #expect(try parse("%Y-%m-%d", "2026-02-30") == nil)
        #expect(try parse("%Y-%m-%d", "2024-02-29") == t("2024-02-29T00:00:00Z"))
        #expect(try parse("%H:%M:%S", "24:00:00") == nil)
        #expect(try parse("%Y-%m-%d", "2026-11-29x") == nil)
        // Fuzz regression (FuzzAccessLog crash-31fe73b3): year 9999 overflowed the nanosecond count and trapped.
        #expect(try parse("%d/%b/%Y:%H:%M:%S %z", "31/Dec/9999:23:59:59 +0000") == nil)
        #expect(try parse("%Y", "1000") == nil)
        // Fuzz regression (FuzzTimestamp crash-fc847df6): a 12-digit %s overflowed.
        #expect(try parse("%s", "151464017959") == nil)
        #expect(try parse("%Y-%m-%d", "2261-12-31") == t("2261-12-31T00:00:00Z"))
        #expect(throws: ParseError.self) { try TimestampFormat("%Q") }
        #expect(throws: ParseError.self) { try TimestampFormat("50%") }
    }

    @Test func zonesApplyToLocalTimes() throws {
        #expect(try parse("%Y-%m-%d %H:%M:%S", "2026-11-29 10:00:00", zone: try TimeZoneRule("+02:00")) == t("2026-11-29T08:00:00Z"))
        // Paris is UTC+1 in winter and UTC+2 in summer.
        let paris = try TimeZoneRule("Europe/Paris")
        #expect(try parse("%Y-%m-%d %H:%M:%S", "2026-11-29 10:00:00", zone: paris) == t("2026-11-29T09:00:00Z"))
        #expect(try parse("%Y-%m-%d %H:%M:%S", "2026-07-01 10:00:00", zone: paris) == t("2026-07-01T08:00:00Z"))
        #expect(throws: ParseError.self) { try TimeZoneRule("Mars/Olympus") }
        #expect(throws: ParseError.self) { try TimeZoneRule("+25:00") }
    }

    @Test func flexibleRecognisesLogSpellings() {
        #expect(flexible("2026-11-29T10:00:00.5Z") == t("2026-11-29T10:00:00.5Z"))
        #expect(flexible("2026-11-29 10:00:00,5") == t("2026-11-29T10:00:00.5Z"))
        #expect(flexible("29/Nov/2026:10:00:00 +0000") == t("2026-11-29T10:00:00Z"))
        #expect(flexible("Nov 29 10:00:00") == t("2026-11-29T10:00:00Z"))
        #expect(flexible("2026/11/29 10:00:00") == t("2026-11-29T10:00:00Z"))
        #expect(flexible("Sun Nov 29 10:00:00 2026") == t("2026-11-29T10:00:00Z"))
        #expect(flexible("1795946400") == t("2026-11-29T10:00:00Z"))
        #expect(flexible("1795946400123") == t("2026-11-29T10:00:00.123Z"))
        #expect(flexible("99999999999999999") == nil || flexible("99999999999999999")! > 0)
        #expect(flexible("9999999999999999999") == nil)
        #expect(flexible("yesterday") == nil)
    }
}
